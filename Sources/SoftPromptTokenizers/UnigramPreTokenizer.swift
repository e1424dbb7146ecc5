/// The pre-tokenizer of a SentencePiece (T5) tokenizer.json: `Metaspace`, `WhitespaceSplit`, or a `Sequence` of
/// them applied in order (T5's files say WhitespaceSplit then Metaspace; newer converters Metaspace alone).
public struct UnigramPreTokenizer: Sendable, Equatable {
    public enum Step: Sendable, Equatable {
        /// Splits on Rust `char::is_whitespace`, dropping the whitespace.
        case whitespaceSplit
        case metaspace(MetaspacePreTokenizer)
    }

    /// A word: a byte range of a buffer, and how many of its leading bytes HF aligns to offset 0 of the
    /// original text (more than 0: the word starts the input, for Metaspace's prepend_scheme "first").
    struct Word {
        var range: Range<Int>
        var inputStartBytes: Int
    }

    public let steps: [Step]
    /// Whether a Metaspace step prepends only at the start of the input, so words need to know whether they
    /// stand there.
    let asksWhereTheInputStarts: Bool

    public init(steps: [Step]) {
        self.steps = steps
        asksWhereTheInputStarts = steps.contains { if case .metaspace(let m) = $0 { m.prependScheme == .first } else { false } }
    }

    /// The words of an already-normalized text that starts the input (for tests and debugging).
    public func preTokenize(_ text: String) -> [String] {
        var words: [String] = []
        let scratch = Scratch()
        let firstCharacter = text.utf8.first.map { UTF8Scalars.sequenceLength(leadByte: $0) } ?? 0
        forEachWord(of: Array(text.utf8), inputStartBytes: firstCharacter, scratch: scratch) { words.append(String(decoding: $0, as: UTF8.self)) }
        return words
    }

    /// Buffers reused from word to word, so pre-tokenizing allocates nothing once they have grown. Each step
    /// reads `buffer`/`words` and writes the spares, which are then swapped in.
    final class Scratch {
        // Only ever used by one encoding call at a time, so the runtime's exclusivity checks are pure cost.
        @exclusivity(unchecked) fileprivate var buffer: [UInt8] = []
        @exclusivity(unchecked) fileprivate var spareBuffer: [UInt8] = []
        @exclusivity(unchecked) fileprivate var words: [Word] = []
        @exclusivity(unchecked) fileprivate var spareWords: [Word] = []
        init() {}
    }

    /// Calls `body` with the bytes of each word of `text`, in order. `inputStartBytes`: how many leading bytes
    /// of `text` HF aligns to the start of the input.
    func forEachWord(of text: [UInt8], inputStartBytes: Int, scratch: Scratch,
                     _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        guard !text.isEmpty else { return }
        scratch.buffer.removeAll(keepingCapacity: true)
        scratch.buffer.append(contentsOf: text)
        scratch.words.removeAll(keepingCapacity: true)
        scratch.words.append(Word(range: 0..<text.count, inputStartBytes: inputStartBytes))
        for step in steps {
            scratch.spareWords.removeAll(keepingCapacity: true)
            switch step {
            case .whitespaceSplit:
                scratch.buffer.withUnsafeBufferPointer { buffer in
                    for word in scratch.words {
                        Self.splitOnWhitespace(buffer, word, into: &scratch.spareWords)
                    }
                }
            case .metaspace(let metaspace):
                scratch.spareBuffer.removeAll(keepingCapacity: true)
                scratch.buffer.withUnsafeBufferPointer { buffer in
                    for word in scratch.words {
                        metaspace.preTokenize(UnsafeBufferPointer(rebasing: buffer[word.range]),
                                              inputStartBytes: word.inputStartBytes, into: &scratch.spareBuffer,
                                              words: &scratch.spareWords)
                    }
                }
                swap(&scratch.buffer, &scratch.spareBuffer)
            }
            swap(&scratch.words, &scratch.spareWords)
        }
        scratch.buffer.withUnsafeBufferPointer { buffer in
            for word in scratch.words where !word.range.isEmpty {
                body(UnsafeBufferPointer(rebasing: buffer[word.range]))
            }
        }
    }

    private static func splitOnWhitespace(_ buffer: UnsafeBufferPointer<UInt8>, _ word: Word, into words: inout [Word]) {
        func alignedBytes(from start: Int) -> Int { max(0, word.inputStartBytes - (start - word.range.lowerBound)) }
        var wordStart = -1
        var index = word.range.lowerBound
        while index < word.range.upperBound {
            let byte = buffer[index]
            let length: Int
            let isWhitespace: Bool
            if byte < 0x80 {
                length = 1
                isWhitespace = byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
            } else {
                let scalar = UTF8Scalars.scalar(in: buffer, at: index)
                length = scalar.length
                isWhitespace = UTF8Scalars.isWhitespace(scalar.value)
            }
            if isWhitespace {
                if wordStart >= 0 {
                    words.append(Word(range: wordStart..<index, inputStartBytes: alignedBytes(from: wordStart)))
                }
                wordStart = -1
            } else if wordStart < 0 {
                wordStart = index
            }
            index += length
        }
        if wordStart >= 0 {
            words.append(Word(range: wordStart..<word.range.upperBound, inputStartBytes: alignedBytes(from: wordStart)))
        }
    }
}
