/// The normalizer of a SentencePiece (T5) tokenizer.json: one step, or a `Sequence` of them, applied in order.
///
/// The steps are those transformers' SentencePiece converters write: `Precompiled` (the model's own rules),
/// `Strip` (whitespace off either end) and `Replace` (a literal, or a regex such as `" {2,}"` → "▁").
public struct UnigramNormalizer: Sendable {
    public enum Step: Sendable {
        case precompiled(PrecompiledNormalizer)
        /// Removes Rust `char::is_whitespace` characters from the left and/or right end.
        case strip(left: Bool, right: Bool)
        case replace(Replace)
    }

    /// HF's Replace normalizer: every non-overlapping match, leftmost first, becomes `content`.
    public struct Replace: Sendable {
        public enum Pattern: Sendable, Equatable {
            case string(String)
            case regex(String)
        }

        public let pattern: Pattern
        public let content: String
        private let literal: [UInt8]
        private let contentBytes: [UInt8]
        private let regex: CompiledRegex?

        /// Throws a description of the problem when the regex does not compile, or when the pattern can match
        /// empty text (HF would then insert `content` between every two characters; no converter writes that).
        public init(pattern: Pattern, content: String) throws(PatternError) {
            self.pattern = pattern
            self.content = content
            contentBytes = Array(content.utf8)
            switch pattern {
            case .string(let string):
                guard !string.isEmpty else { throw PatternError(description: "an empty string pattern matches empty text") }
                literal = Array(string.utf8)
                regex = nil
            case .regex(let source):
                literal = []
                regex = try CompiledRegex(source)
            }
        }

        public struct PatternError: Error, CustomStringConvertible {
            public var description: String
        }

        /// Appends `input` with the matches replaced. Returns how many leading bytes of the result HF aligns
        /// to the input's start when the first `alignedBytes` of `input` are: a replacement takes the alignment
        /// of the last byte it replaces.
        func apply(_ input: [UInt8], appendingTo output: inout [UInt8], alignedBytes: Int) -> Int {
            let ranges = regex?.matches(in: input) ?? Self.literalMatches(of: literal, in: input)
            var cursor = 0
            for range in ranges {
                output.append(contentsOf: input[cursor..<range.lowerBound])
                output.append(contentsOf: contentBytes)
                cursor = range.upperBound
            }
            output.append(contentsOf: input[cursor...])
            guard alignedBytes > 0 else { return 0 }
            var aligned = 0
            cursor = 0
            for range in ranges {
                aligned += max(0, min(range.lowerBound, alignedBytes) - cursor)
                guard range.lowerBound <= alignedBytes else { return aligned }
                if !contentBytes.isEmpty {
                    guard range.upperBound - 1 < alignedBytes else { return aligned }
                    aligned += contentBytes.count
                }
                cursor = range.upperBound
            }
            return aligned + max(0, alignedBytes - cursor)
        }

        private static func literalMatches(of literal: [UInt8], in input: [UInt8]) -> [Range<Int>] {
            var ranges: [Range<Int>] = []
            var index = 0
            let first = literal[0]
            while index + literal.count <= input.count {
                if input[index] == first && input[index..<index + literal.count].elementsEqual(literal) {
                    ranges.append(index..<index + literal.count)
                    index += literal.count
                } else {
                    index += 1
                }
            }
            return ranges
        }
    }

    public let steps: [Step]

    public init(steps: [Step]) {
        self.steps = steps
    }

    /// The normalized text (for tests and debugging).
    public func normalize(_ text: String) -> String {
        var output: [UInt8] = []
        _ = normalize(text, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Replaces `output` with the UTF-8 of the normalized text. When the first `inputStartBytes` bytes of
    /// `text` stand at the start of the input, returns how many leading bytes of the output HF still aligns
    /// there (what Metaspace's prepend_scheme "first" asks); 0 otherwise.
    func normalize(_ text: String, into output: inout [UInt8], inputStartBytes: Int = 0) -> Int {
        output.removeAll(keepingCapacity: true)
        var aligned = inputStartBytes
        var steps = self.steps[...]
        if case .precompiled(let precompiled)? = steps.first {
            precompiled.normalize(text, appendingTo: &output)
            aligned = precompiled.inputStartPrefix(of: text, alignedBytes: aligned)
            steps = steps.dropFirst()
        } else {
            output.append(contentsOf: text.utf8)
        }
        for step in steps {
            switch step {
            case .precompiled(let precompiled):
                let input = String(decoding: output, as: UTF8.self)
                output.removeAll(keepingCapacity: true)
                precompiled.normalize(input, appendingTo: &output)
                aligned = precompiled.inputStartPrefix(of: input, alignedBytes: aligned)
            case .strip(let left, let right):
                // Stripping drops characters; the ones kept keep their alignment.
                let kept = output.withUnsafeBufferPointer { Self.unstrippedRange(of: $0, left: left, right: right) }
                aligned = max(0, min(aligned, kept.upperBound) - kept.lowerBound)
                output.removeSubrange(kept.upperBound...)
                output.removeSubrange(..<kept.lowerBound)
            case .replace(let replace):
                let input = output
                output.removeAll(keepingCapacity: true)
                aligned = replace.apply(input, appendingTo: &output, alignedBytes: aligned)
            }
        }
        return aligned
    }

    private static func unstrippedRange(of bytes: UnsafeBufferPointer<UInt8>, left: Bool, right: Bool) -> Range<Int> {
        var start = 0
        var end = bytes.count
        if left {
            while start < end {
                let (scalar, length) = UTF8Scalars.scalar(in: bytes, at: start)
                guard UTF8Scalars.isWhitespace(scalar) else { break }
                start += length
            }
        }
        if right {
            while end > start {
                let previous = UTF8Scalars.previousScalarStart(in: bytes, before: end)
                guard UTF8Scalars.isWhitespace(UTF8Scalars.scalar(in: bytes, at: previous).value) else { break }
                end = previous
            }
        }
        return start..<end
    }
}

/// A regex of a `Replace` normalizer, matched scalar by scalar as HF's Oniguruma does (Swift's default would
/// match whole grapheme clusters, so " {2,}" would miss a space followed by a combining mark).
struct CompiledRegex: @unchecked Sendable {  // Regex is immutable once built
    private let regex: Regex<AnyRegexOutput>

    init(_ source: String) throws(UnigramNormalizer.Replace.PatternError) {
        let compiled: Regex<AnyRegexOutput>
        do {
            compiled = try Regex(source).matchingSemantics(.unicodeScalar)
        } catch {
            throw UnigramNormalizer.Replace.PatternError(description: "the regex \"\(source)\" does not compile: \(error)")
        }
        if (try? compiled.firstMatch(in: "")) != nil {
            throw UnigramNormalizer.Replace.PatternError(description: "the regex \"\(source)\" matches empty text")
        }
        regex = compiled
    }

    /// The UTF-8 ranges of the non-overlapping, non-empty matches, leftmost first.
    func matches(in bytes: [UInt8]) -> [Range<Int>] {
        let text = String(decoding: bytes, as: UTF8.self)
        let utf8 = text.utf8
        return text.ranges(of: regex).compactMap {
            $0.isEmpty ? nil
                : utf8.distance(from: utf8.startIndex, to: $0.lowerBound)..<utf8.distance(from: utf8.startIndex, to: $0.upperBound)
        }
    }
}
