/// One encoded text or text pair: special tokens included, not padded (callers pad).
public struct TokenizedText: Sendable, Equatable {
    public var ids: [Int32]
    /// The vocabulary string of each id (added tokens by their content, unknown words as the unknown token).
    public var tokens: [String]
    /// 0 for the first sequence and its special tokens, 1 for the second (as the template says).
    public var typeIds: [Int32]

    public init(ids: [Int32], tokens: [String], typeIds: [Int32]) {
        self.ids = ids
        self.tokens = tokens
        self.typeIds = typeIds
    }

    public var count: Int { ids.count }
}
