import SoftPromptTokenizers

/// How a pair task's two texts reach a BERT encoder.
///
/// `joint` (methods.md §7.2, the default): one sequence `[CLS] a [SEP] b [SEP]`, token types 0 and 1.
/// `separate` (ours, for sentence-embedding backbones such as all-MiniLM-L6-v2, which were trained on one text
/// per sequence): `[CLS] a [SEP]` and `[CLS] b [SEP]` as two rows, each prompted, which the head compares
/// (`ClassificationHead(comparesPairs:)`). The frozen MiniLM's joint encoding carries no linear RTE signal,
/// its separate one does (bench/RESULTS.md, M5).
public enum PairEncoding: String, Sendable, CaseIterable {
    case joint
    case separate
}

public enum PairEncodingError: Error, CustomStringConvertible, Equatable {
    /// Example `index` has one text, so it has no pair to encode apart.
    case singleText(index: Int)

    public var description: String {
        switch self {
        case .singleText(let index):
            return "--pair-encoding separate needs a pair task, but example \(index) has a single text"
        }
    }
}

extension WordPieceTokenizer {
    /// `encode(_:maxLength:)` for `joint`; for `separate`, two rows per example, its first text then its second,
    /// each truncated to `maxLength` on its own and carrying the example's target.
    public func encode(_ examples: [TaskExample], maxLength: Int, pairEncoding: PairEncoding) throws -> [EncodedExample] {
        guard pairEncoding == .separate else { return encode(examples, maxLength: maxLength) }
        var rows: [EncodedExample] = []
        rows.reserveCapacity(2 * examples.count)
        for (index, e) in examples.enumerated() {
            guard let pair = e.pair else { throw PairEncodingError.singleText(index: index) }
            for text in [e.text, pair] {
                let t = encode(text, pair: nil, maxLength: maxLength)
                rows.append(EncodedExample(ids: t.ids, typeIds: t.typeIds, label: e.label, score: e.score))
            }
        }
        return rows
    }
}
