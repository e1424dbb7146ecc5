import SoftPromptTensor

/// Token ids for benchmarks on synthetic inputs: uniform over a vocabulary past its first min(1000, V/2) rows,
/// where BERT and T5 vocabularies keep their special and unused pieces.
struct SyntheticTokens {
    /// The first ordinary id.
    let first: Int
    let vocabularySize: Int
    var random: RandomStream

    init(vocabularySize: Int, random: RandomStream) {
        first = min(1000, vocabularySize / 2)
        self.vocabularySize = vocabularySize
        self.random = random
    }

    mutating func next(_ count: Int) -> [Int32] {
        (0..<count).map { _ in Int32(first + Int(random.next() % UInt64(vocabularySize - first))) }
    }

    /// A tokenizer stand-in for prompt initialisation: every text is the first two ordinary ids.
    var tokenize: (String) -> [Int32] {
        let ids = [Int32(first), Int32(first + 1)]
        return { _ in ids }
    }
}
