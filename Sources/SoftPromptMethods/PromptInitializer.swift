import SoftPromptTensor

/// The prompt initialisations shared by the methods (methods.md §1c and §7.8).
public enum PromptInitializer {
    /// Writes `rows` prompt rows (rows, d) at `out`.
    public static func fill(_ out: UnsafeMutablePointer<Float>, rows: Int, with initialization: PromptTuning.Initialization,
                            context: inout InitializationContext) throws {
        let d = context.width
        switch initialization {
        case .randomUniform(let range):
            context.random.fillUniform(UnsafeMutableBufferPointer(start: out, count: rows * d), low: -range, high: range)
        case .sampledVocabulary(let population):
            let ids = try sampleVocabulary(rows, population: population, context: &context)
            for (r, id) in ids.enumerated() { (out + r * d).update(from: context.row(id), count: d) }
        case let .classLabels(labels, population):
            let labelled = min(labels.count, rows)
            for (r, label) in labels.prefix(labelled).enumerated() {
                let pieces = context.tokenize(label)
                guard !pieces.isEmpty else { throw PromptMethodError.emptyInitializationText(label) }
                let row = out + r * d
                row.update(repeating: 0, count: d)
                for id in pieces { for c in 0..<d { row[c] += context.row(id)[c] } }
                for c in 0..<d { row[c] /= Float(pieces.count) }
            }
            if rows > labelled {
                try fill(out + labelled * d, rows: rows - labelled, with: .sampledVocabulary(population: population),
                         context: &context)
            }
        case .text(let text):
            let pieces = context.tokenize(text)
            guard !pieces.isEmpty else { throw PromptMethodError.emptyInitializationText(text) }
            for r in 0..<rows { (out + r * d).update(from: context.row(pieces[r % pieces.count]), count: d) }
        }
    }

    /// `count` distinct non-special ids from the first `population` rows, in a seeded random order.
    public static func sampleVocabulary(_ count: Int, population: Int,
                                        context: inout InitializationContext) throws -> [Int32] {
        var eligible = (0..<Int32(min(population, context.vocabularySize))).filter { !context.specialIds.contains($0) }
        guard eligible.count >= count else {
            throw PromptMethodError.notEnoughVocabulary(needed: count, available: eligible.count)
        }
        // Partial Fisher–Yates: the first `count` entries become a uniform sample without replacement.
        for i in 0..<count {
            let j = i + Int(context.random.next() % UInt64(eligible.count - i))
            eligible.swapAt(i, j)
        }
        return Array(eligible.prefix(count))
    }
}
