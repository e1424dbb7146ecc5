import SoftPromptTokenizers

/// A tokenized example: word-piece ids with [CLS]/[SEP], token types, and its target (the label index, or
/// the score of a regression task).
public struct EncodedExample: Sendable, Equatable {
    public var ids: [Int32]
    public var typeIds: [Int32]
    public var label: Int
    public var score: Double

    public init(ids: [Int32], typeIds: [Int32], label: Int, score: Double = 0) {
        self.ids = ids
        self.typeIds = typeIds
        self.label = label
        self.score = score
    }
}

extension WordPieceTokenizer {
    /// Encodes every example, truncated to `maxLength` tokens (specials included; the prompt comes on top).
    public func encode(_ examples: [TaskExample], maxLength: Int) -> [EncodedExample] {
        examples.map { e in
            let t = encode(e.text, pair: e.pair, maxLength: maxLength)
            return EncodedExample(ids: t.ids, typeIds: t.typeIds, label: e.label, score: e.score)
        }
    }
}
