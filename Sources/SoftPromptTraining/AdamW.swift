import Foundation
import SoftPromptMethods

/// AdamW exactly as PyTorch's `torch.optim.AdamW` computes it (decoupled weight decay applied first, bias
/// correction, eps added to the corrected √v), with a learning rate and weight decay per parameter group.
///
/// The same gradient on every rank gives the same θ on every rank: the update is deterministic and
/// element-wise, so θ never needs to be broadcast after the start.
public struct AdamW: Sendable {
    public struct Hyperparameters: Sendable, Equatable, Codable {
        public var learningRate: Double
        public var weightDecay: Double
        public init(learningRate: Double, weightDecay: Double = 0) {
            self.learningRate = learningRate
            self.weightDecay = weightDecay
        }
    }

    public var beta1: Double
    public var beta2: Double
    public var eps: Double
    public var groups: [ParameterGroup: Hyperparameters]
    public private(set) var step = 0
    /// First and second moments, one per θ entry (optimizer state; checkpoints store them).
    public private(set) var firstMoment: [Float]
    public private(set) var secondMoment: [Float]
    private let ranges: [(range: Range<Int>, group: ParameterGroup)]

    public init(layout: ParameterLayout, groups: [ParameterGroup: Hyperparameters],
                beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.groups = groups
        firstMoment = Array(repeating: 0, count: layout.count)
        secondMoment = Array(repeating: 0, count: layout.count)
        ranges = layout.specs.map { ($0.range, $0.group) }
    }

    /// θ ← AdamW(θ, g) with every group's rate multiplied by `scale` (the schedule's factor for this step).
    public mutating func update(theta: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, scale: Double = 1) {
        step += 1
        let correction1 = 1 - pow(beta1, Double(step))
        let correction2 = 1 - pow(beta2, Double(step))
        // 1 − β in Double, then rounded, as PyTorch passes these Python floats to its Float32 kernels.
        let (b2, oneMinusB1, oneMinusB2) = (Float(beta2), Float(1 - beta1), Float(1 - beta2))
        let sqrtCorrection2 = Float(correction2.squareRoot())
        let epsilon = Float(eps)
        firstMoment.withUnsafeMutableBufferPointer { m in
            secondMoment.withUnsafeMutableBufferPointer { v in
                for (range, group) in ranges {
                    guard let h = groups[group] else { continue }  // a group without hyper-parameters is frozen
                    let lr = h.learningRate * scale
                    let decay = Float(1 - lr * h.weightDecay)
                    let stepSize = Float(lr / correction1)
                    for i in range {
                        let g = gradient[i]
                        theta[i] *= decay
                        m[i] += oneMinusB1 * (g - m[i])  // PyTorch: exp_avg.lerp_(grad, 1 − β1)
                        v[i] = b2 * v[i] + oneMinusB2 * g * g
                        theta[i] -= stepSize * m[i] / (v[i].squareRoot() / sqrtCorrection2 + epsilon)
                    }
                }
            }
        }
    }

    /// Restores the state a checkpoint saved.
    public mutating func restore(step: Int, firstMoment: [Float], secondMoment: [Float]) {
        precondition(firstMoment.count == self.firstMoment.count && secondMoment.count == self.secondMoment.count)
        self.step = step
        self.firstMoment = firstMoment
        self.secondMoment = secondMoment
    }
}
