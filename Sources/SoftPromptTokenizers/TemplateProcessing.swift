/// HF's TemplateProcessing post-processor: where the special tokens go around one sequence or a pair, and
/// the type id of every part. BertProcessing is the same thing with a fixed template:
/// `[CLS] $A [SEP]` and `[CLS] $A [SEP] $B:1 [SEP]:1`.
public struct TemplateProcessing: Sendable, Equatable {
    public enum Sequence: Sendable, Equatable {
        case a, b
    }

    public enum Piece: Sendable, Equatable {
        case sequence(Sequence, typeId: Int32)
        /// A name from `specialTokens`.
        case specialToken(String, typeId: Int32)
    }

    public struct SpecialToken: Sendable, Equatable {
        public var ids: [Int32]
        public var tokens: [String]

        public init(ids: [Int32], tokens: [String]) {
            self.ids = ids
            self.tokens = tokens
        }
    }

    public var single: [Piece]
    public var pair: [Piece]
    public var specialTokens: [String: SpecialToken]

    public init(single: [Piece], pair: [Piece], specialTokens: [String: SpecialToken]) {
        self.single = single
        self.pair = pair
        self.specialTokens = specialTokens
    }

    /// BertProcessing's template.
    public static func bert(cls: (token: String, id: Int32), sep: (token: String, id: Int32)) -> TemplateProcessing {
        TemplateProcessing(
            single: [.specialToken(cls.token, typeId: 0), .sequence(.a, typeId: 0), .specialToken(sep.token, typeId: 0)],
            pair: [.specialToken(cls.token, typeId: 0), .sequence(.a, typeId: 0), .specialToken(sep.token, typeId: 0),
                   .sequence(.b, typeId: 1), .specialToken(sep.token, typeId: 1)],
            specialTokens: [cls.token: SpecialToken(ids: [cls.id], tokens: [cls.token]),
                            sep.token: SpecialToken(ids: [sep.id], tokens: [sep.token])])
    }

    /// How many tokens the template adds (what truncation must leave room for).
    public func addedTokenCount(isPair: Bool) -> Int {
        var count = 0
        for piece in isPair ? pair : single {
            if case .specialToken(let name, _) = piece { count += specialTokens[name]?.ids.count ?? 0 }
        }
        return count
    }

    /// Lays out the encoding of one sequence (`b` nil) or a pair; each sequence comes as ids and tokens.
    public func apply(a: (ids: [Int32], tokens: [String]), b: (ids: [Int32], tokens: [String])?) -> TokenizedText {
        let template = b == nil ? single : pair
        let capacity = a.ids.count + (b?.ids.count ?? 0) + addedTokenCount(isPair: b != nil)
        var ids: [Int32] = []
        var tokens: [String] = []
        var typeIds: [Int32] = []
        ids.reserveCapacity(capacity)
        tokens.reserveCapacity(capacity)
        typeIds.reserveCapacity(capacity)
        for piece in template {
            switch piece {
            case .sequence(let which, let typeId):
                guard let part = which == .a ? a : b else { continue }
                ids.append(contentsOf: part.ids)
                tokens.append(contentsOf: part.tokens)
                typeIds.append(contentsOf: repeatElement(typeId, count: part.ids.count))
            case .specialToken(let name, let typeId):
                guard let special = specialTokens[name] else { continue }
                ids.append(contentsOf: special.ids)
                tokens.append(contentsOf: special.tokens)
                typeIds.append(contentsOf: repeatElement(typeId, count: special.ids.count))
            }
        }
        return TokenizedText(ids: ids, tokens: tokens, typeIds: typeIds)
    }
}
