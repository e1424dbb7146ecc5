/// HF `tokenizers`' BertPreTokenizer: split on whitespace (dropped), and make every punctuation scalar a
/// word of its own.
///
/// Whitespace is Rust's `char::is_whitespace`; punctuation is HF's `is_bert_punc`: ASCII 33–47, 58–64,
/// 91–96, 123–126 plus general category P* of HF's (older) Unicode table. Both come from `BertUnicodeTables`.
public struct BertPreTokenizer: Sendable, Equatable {
    public init() {}

    /// The words of an already-normalized text (for tests and debugging).
    public func preTokenize(_ text: String) -> [String] {
        var scalars: [UInt32] = []
        UTF8Scalars.appendScalars(of: text, to: &scalars)
        var words: [String] = []
        scalars.withUnsafeBufferPointer { buffer in
            forEachWord(in: buffer) { range in words.append(UTF8Scalars.string(buffer[range])) }
        }
        return words
    }

    /// Calls `body` with the index range of each word, in order.
    @inline(__always)
    func forEachWord(in scalars: UnsafeBufferPointer<UInt32>, _ body: (Range<Int>) -> Void) {
        let properties = BertCharacterProperties.shared
        typealias Flag = BertCharacterProperties.Flag
        var wordStart = -1
        var index = 0
        while index < scalars.count {
            defer { index += 1 }
            let flags = properties.flags(scalars[index])
            if flags & (Flag.splitSpace | Flag.punctuation) == 0 {
                if wordStart < 0 { wordStart = index }
            } else if flags & Flag.splitSpace != 0 {
                if wordStart >= 0 { body(wordStart..<index) }
                wordStart = -1
            } else {
                if wordStart >= 0 { body(wordStart..<index) }
                wordStart = -1
                body(index..<index + 1)
            }
        }
        if wordStart >= 0 { body(wordStart..<scalars.count) }
    }
}
