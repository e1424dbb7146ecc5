/// HF `tokenizers`' Metaspace pre-tokenizer: every U+0020 becomes the replacement ("▁"), a replacement is put in
/// front of a word that does not start with one (as `prepend_scheme` says), and with `split` the word is cut
/// before every replacement, which stays with the text after it ("▁Hey▁▁you" → "▁Hey", "▁", "▁you").
public struct MetaspacePreTokenizer: Sendable, Equatable {
    public enum PrependScheme: String, Sendable, Equatable {
        case always
        /// Only for a word that starts at the very beginning of the input (offset 0 of the original text).
        case first
        case never
    }

    public let replacement: Unicode.Scalar
    public let prependScheme: PrependScheme
    public let split: Bool
    let replacementBytes: [UInt8]

    public init(replacement: Unicode.Scalar = "\u{2581}", prependScheme: PrependScheme = .always, split: Bool = true) {
        self.replacement = replacement
        self.prependScheme = prependScheme
        self.split = split
        replacementBytes = Array(String(replacement).utf8)
    }

    /// Rewrites `word` at the end of `output` and appends the range of each resulting word to `words`.
    /// `inputStartBytes` is how many leading bytes of `word` HF aligns to offset 0 of the original text
    /// (prepend_scheme "first" prepends only when the first character is one of them).
    func preTokenize(_ word: UnsafeBufferPointer<UInt8>, inputStartBytes: Int, into output: inout [UInt8],
                     words: inout [UnigramPreTokenizer.Word]) {
        guard !word.isEmpty else { return }  // HF drops empty pieces before pre-tokenizing them
        let start = output.count
        let prepend: Bool
        switch prependScheme {
        case .always: prepend = true
        case .first: prepend = inputStartBytes > 0
        case .never: prepend = false
        }
        // A replacement takes the alignment of the space it replaces; a prepended one, that of the first character.
        var aligned = 0
        // The space test comes first: HF checks for a leading replacement after replacing the spaces.
        if prepend && word[0] != 0x20 && !word.starts(with: replacementBytes) {
            output.append(contentsOf: replacementBytes)
            if inputStartBytes > 0 { aligned += replacementBytes.count }
        }
        // Copies runs between spaces in bulk; each space becomes the replacement.
        var runStart = 0
        for index in 0...word.count where index == word.count || word[index] == 0x20 {
            output.append(contentsOf: UnsafeBufferPointer(rebasing: word[runStart..<index]))
            aligned += max(0, min(index, inputStartBytes) - runStart)
            if index < word.count {
                output.append(contentsOf: replacementBytes)
                if index < inputStartBytes { aligned += replacementBytes.count }
            }
            runStart = index + 1
        }
        guard split else {
            words.append(.init(range: start..<output.count, inputStartBytes: aligned))
            return
        }
        let first = replacementBytes[0]
        let length = replacementBytes.count
        var wordStart = start
        var index = start + 1  // a replacement at the start begins the first word, it does not cut one
        output.withUnsafeBufferPointer { output in
            while index + length <= output.count {
                if output[index] == first && UnsafeBufferPointer(rebasing: output[index..<index + length])
                    .elementsEqual(replacementBytes) {
                    words.append(.init(range: wordStart..<index, inputStartBytes: max(0, aligned - (wordStart - start))))
                    wordStart = index
                    index += length
                } else {
                    index += 1
                }
            }
            words.append(.init(range: wordStart..<output.count, inputStartBytes: max(0, aligned - (wordStart - start))))
        }
    }
}
