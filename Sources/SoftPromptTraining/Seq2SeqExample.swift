/// One text-to-text example, tokenized for T5 (methods.md §7.3): the encoder input ids (`</s>` included, truncated
/// to the run's maximum length; the prompt comes on top) and the target ids the decoder is teacher-forced on
/// (the verbalised label, `</s>` included).
public struct Seq2SeqExample: Sendable, Equatable {
    public var ids: [Int32]
    public var target: [Int32]

    public init(ids: [Int32], target: [Int32]) {
        self.ids = ids
        self.target = target
    }
}

/// What a T5 evaluation split hands `Seq2SeqPromptTrainer.outputs(for:)`: the encoder inputs and how an answer is
/// read from the decoder. One output per input, the same on every rank.
public struct Seq2SeqEvaluationSet: Sendable {
    public enum Decoding: Sendable {
        /// Rank classification (methods.md §7.3, the default): every candidate target (ids, `</s>` included) is
        /// scored by the sum of its tokens' log-probabilities given the input, against one encoding; the output is
        /// the index of the best candidate (the first on a tie).
        case rank(candidates: [[Int32]])
        /// Greedy decoding of at most `maxTokens` tokens, stopping at `</s>`; `read` turns the generated ids
        /// (without `</s>`) into the output (a verbaliser's index, a number, …).
        case greedy(maxTokens: Int, read: @Sendable ([Int32]) -> Double)
    }

    public var inputs: [[Int32]]
    public var decoding: Decoding

    public init(inputs: [[Int32]], decoding: Decoding) {
        self.inputs = inputs
        self.decoding = decoding
    }

    /// The longest decoder input the decoding needs.
    var targetLength: Int {
        switch decoding {
        case .rank(let candidates): return candidates.map(\.count).max() ?? 1
        case .greedy(let maxTokens, _): return maxTokens
        }
    }
}
