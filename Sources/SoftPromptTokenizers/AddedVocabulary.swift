/// One entry of tokenizer.json's `added_tokens`.
public struct AddedToken: Sendable, Equatable {
    public var id: Int32
    public var content: String
    public var singleWord: Bool
    public var leftStrip: Bool
    public var rightStrip: Bool
    /// Matched against the normalized text (true) or the raw input (false).
    public var normalized: Bool
    public var special: Bool

    public init(id: Int32, content: String, singleWord: Bool = false, leftStrip: Bool = false,
                rightStrip: Bool = false, normalized: Bool = false, special: Bool = true) {
        self.id = id
        self.content = content
        self.singleWord = singleWord
        self.leftStrip = leftStrip
        self.rightStrip = rightStrip
        self.normalized = normalized
        self.special = special
    }
}

/// Finds added tokens in text before the model sees it, as HF's AddedVocabulary does: tokens with
/// `normalized: false` are matched in the raw input, the others in each normalized piece between those
/// matches; leftmost match first, the longest at that position (Aho–Corasick LeftmostLongest), then
/// `single_word` (discard a match touching a word character), `lstrip` / `rstrip` (swallow whitespace).
/// Matching is case-sensitive and exact: "[sep]" is not "[SEP]".
struct AddedVocabulary: Sendable {
    /// One set of patterns (raw or normalized), stored flat so matching touches no nested arrays.
    struct Patterns: Sendable {
        fileprivate(set) var tokens: [AddedToken] = []
        fileprivate var pool: [UInt32] = []
        fileprivate var starts: [Int] = []
        fileprivate var lengths: [Int] = []
        /// The distinct first scalars: a position whose scalar is not among them cannot start a match.
        fileprivate var firstScalars: [UInt32] = []

        var isEmpty: Bool { tokens.isEmpty }

        fileprivate mutating func append(_ scalars: [UInt32], _ token: AddedToken) {
            tokens.append(token)
            starts.append(pool.count)
            lengths.append(scalars.count)
            pool.append(contentsOf: scalars)
            if !firstScalars.contains(scalars[0]) { firstScalars.append(scalars[0]) }
        }
    }

    private(set) var rawPatterns = Patterns()
    private(set) var normalizedPatterns = Patterns()

    /// Whether the matched text is exactly the token's content (then the token's name is its content).
    func matchIsContent(_ text: Slice<UnsafeBufferPointer<UInt32>>, id: Int32) -> Bool {
        for patterns in [rawPatterns, normalizedPatterns] {
            for token in patterns.tokens where token.id == id {
                return token.content.unicodeScalars.elementsEqual(text, by: { $0.value == $1 })
            }
        }
        return true
    }

    init(tokens: [AddedToken], normalize: (String) -> [UInt32]) {
        for token in tokens where !token.content.isEmpty {
            if token.normalized {
                let scalars = normalize(token.content)
                if !scalars.isEmpty { normalizedPatterns.append(scalars, token) }
            } else {
                var scalars: [UInt32] = []
                UTF8Scalars.appendScalars(of: token.content, to: &scalars)
                rawPatterns.append(scalars, token)
            }
        }
    }

    /// A piece of text: either an added token (`id`) or a range still to be tokenized.
    struct Split {
        var range: Range<Int>
        var id: Int32?
    }

    /// Splits `text[range]` on the patterns; the splits cover the range in order.
    static func split(_ text: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, patterns: Patterns,
                      into splits: inout [Split]) {
        if patterns.isEmpty || range.isEmpty {
            if !range.isEmpty { splits.append(Split(range: range, id: nil)) }
            return
        }
        patterns.pool.withUnsafeBufferPointer { pool in
            patterns.starts.withUnsafeBufferPointer { starts in
                patterns.lengths.withUnsafeBufferPointer { lengths in
                    patterns.firstScalars.withUnsafeBufferPointer { firstScalars in
                        split(text, range, patterns, pool, starts, lengths, firstScalars, into: &splits)
                    }
                }
            }
        }
    }

    private static func split(_ text: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, _ patterns: Patterns,
                              _ pool: UnsafeBufferPointer<UInt32>, _ starts: UnsafeBufferPointer<Int>,
                              _ lengths: UnsafeBufferPointer<Int>, _ firstScalars: UnsafeBufferPointer<UInt32>,
                              into splits: inout [Split]) {
        let end = range.upperBound
        let patternCount = starts.count
        var cursor = range.lowerBound   // where the unmatched text starts
        var searchFrom = range.lowerBound
        while searchFrom < end {
            // Leftmost position with a match, longest pattern there.
            var matchStart = -1
            var matchPattern = -1
            var position = searchFrom
            while position < end {
                let scalar = text[position]
                var candidate = false
                var f = 0
                while f < firstScalars.count {
                    if firstScalars[f] == scalar {
                        candidate = true
                        break
                    }
                    f += 1
                }
                if candidate {
                    var bestLength = 0
                    var p = 0
                    while p < patternCount {
                        let length = lengths[p]
                        if length > bestLength && position + length <= end {
                            var i = 0
                            let start = starts[p]
                            while i < length && text[position + i] == pool[start + i] { i += 1 }
                            if i == length {
                                bestLength = length
                                matchPattern = p
                            }
                        }
                        p += 1
                    }
                    if bestLength > 0 {
                        matchStart = position
                        break
                    }
                }
                position += 1
            }
            if matchStart < 0 { break }
            let token = patterns.tokens[matchPattern]
            var start = matchStart
            var stop = matchStart + lengths[matchPattern]
            searchFrom = stop
            if token.singleWord {
                let startsClean = start == range.lowerBound || !isWordCharacter(text[start - 1])
                let stopsClean = stop == end || !isWordCharacter(text[stop])
                if !(startsClean && stopsClean) { continue }
            }
            if token.leftStrip {
                var newStart = start
                while newStart > range.lowerBound, isWhitespace(text[newStart - 1]) { newStart -= 1 }
                start = max(newStart, cursor)
            }
            if token.rightStrip {
                while stop < end, isWhitespace(text[stop]) { stop += 1 }
                searchFrom = stop
            }
            if cursor < start { splits.append(Split(range: cursor..<start, id: nil)) }
            splits.append(Split(range: start..<stop, id: token.id))
            cursor = stop
        }
        if cursor < end { splits.append(Split(range: cursor..<end, id: nil)) }
    }

    /// Rust regex `\s`: White_Space.
    private static func isWhitespace(_ value: UInt32) -> Bool {
        Unicode.Scalar(value)?.properties.isWhitespace ?? false
    }

    /// Rust regex `\w`: Alphabetic, marks, decimal digits, connector punctuation, Join_Control.
    private static func isWordCharacter(_ value: UInt32) -> Bool {
        guard let scalar = Unicode.Scalar(value) else { return false }
        let properties = scalar.properties
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }
}
