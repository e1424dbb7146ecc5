import RealModule
import SoftPromptTasks
import SoftPromptTensor

/// What the head's outputs mean for a task kind (methods.md §7.2): the loss of a micro-batch, its gradient,
/// and the per-example output the metrics read.
///
/// Rows come in units: one example per unit, except for multiple choice, where a unit is the `candidates`
/// consecutive rows of one question. Losses are means over the units of the global batch, so each rank's
/// gradient is its share of the sum / B and the ranks' shares add up to one rank's gradient.
public struct TaskObjective: Sendable, Equatable {
    public let kind: TaskKind
    /// Columns of the head: the label count for classification, 1 (a score) otherwise.
    public let outputs: Int

    public init(kind: TaskKind, classes: Int) {
        self.kind = kind
        switch kind {
        case .classification: outputs = classes
        case .regression, .binaryCandidates, .multipleChoice: outputs = 1
        }
    }

    /// Rows per unit.
    public var unitSize: Int {
        if case .multipleChoice(let candidates) = kind { return candidates }
        return 1
    }

    /// logits (rows, outputs) → the micro-batch's loss sum over its units, the units predicted right (for the
    /// training log; 0 for regression), and dLogits (rows, outputs) = ∂(loss sum / globalUnits)/∂logits.
    public func lossAndGradient(logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, scores: UnsafePointer<Float>,
                                rows: Int, globalUnits: Int, dLogits: UnsafeMutablePointer<Float>) -> (loss: Double, correct: Int) {
        let scale = 1 / Float(globalUnits)
        var loss = 0.0, correct = 0
        switch kind {
        case .classification:
            let c = outputs
            for r in 0..<rows {
                let z = logits + r * c, d = dLogits + r * c
                let logSumExp = softmaxRow(d, z, c)  // d = softmax(z)
                let t = Int(labels[r])
                loss += Double(logSumExp - z[t])
                if argmax(z, count: c) == t { correct += 1 }
                for j in 0..<c { d[j] *= scale }
                d[t] -= scale
            }
        case .regression:
            // Squared error (s − y)², as PyTorch's MSELoss; ∂/∂s = 2 (s − y).
            for r in 0..<rows {
                let error = logits[r] - scores[r]
                loss += Double(error * error)
                dLogits[r] = 2 * error * scale
            }
        case .binaryCandidates:
            // Binary cross-entropy with logits: softplus(z) − y·z, computed stably; ∂/∂z = σ(z) − y.
            for r in 0..<rows {
                let z = Double(logits[r]), y = Double(labels[r])
                loss += max(z, 0) - y * z + Double.log(onePlus: .exp(-abs(z)))
                dLogits[r] = Float(sigmoid(z) - y) * scale
                if (z > 0 ? 1 : 0) == labels[r] { correct += 1 }
            }
        case .multipleChoice(let k):
            // Softmax over the candidates' scores; the target is the candidate labelled 1.
            for unit in 0..<rows / k {
                let z = logits + unit * k, d = dLogits + unit * k
                let logSumExp = softmaxRow(d, z, k)
                let t = (0..<k).first { labels[unit * k + $0] == 1 } ?? 0
                loss += Double(logSumExp - z[t])
                if argmax(z, count: k) == t { correct += 1 }
                for j in 0..<k { d[j] *= scale }
                d[t] -= scale
            }
        }
        return (loss, correct)
    }

    /// The per-row output the metrics read: the predicted class (classification), the score (regression),
    /// the predicted 0/1 (binary candidates), the candidate's score (multiple choice).
    public func output(logits: UnsafePointer<Float>, row: Int) -> Double {
        switch kind {
        case .classification: return Double(argmax(logits + row * outputs, count: outputs))
        case .regression, .multipleChoice: return Double(logits[row])
        case .binaryCandidates: return logits[row] > 0 ? 1 : 0
        }
    }
}

private func argmax(_ values: UnsafePointer<Float>, count: Int) -> Int {
    var best = 0
    for j in 1..<max(count, 1) where values[j] > values[best] { best = j }
    return best
}

private func sigmoid(_ z: Double) -> Double {
    z >= 0 ? 1 / (1 + .exp(-z)) : .exp(z) / (1 + .exp(z))
}
