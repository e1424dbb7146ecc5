import SoftPromptMethods
import SoftPromptTensor

/// The trainable task head of BERT runs (methods.md §7.2): mean pooling over the real text tokens (not the
/// prompt, not padding) → Linear(d, C). Its parameters are part of θ, in their own learning-rate group.
///
/// With `comparesPairs` (pairs encoded apart, `PairEncoding.separate`) rows come in pairs (u, v), each pooled
/// on its own, and the linear layer reads SBERT's pair features (u, v, |u − v|, u ⊙ v): Linear(4d, C), one
/// logits row per pair.
public final class ClassificationHead: @unchecked Sendable {
    public let classes: Int
    public let width: Int
    public let comparesPairs: Bool
    /// Columns the linear layer reads: d, or 4d for pairs.
    public var featureWidth: Int { comparesPairs ? 4 * width : width }
    private var weight: ParameterSpec?  // (C, featureWidth)
    private var bias: ParameterSpec?    // (C)
    // Pair features (rows/2, 4d) and their gradient; grown on demand, reused across steps.
    private var features: [Float] = [], dFeatures: [Float] = []

    public init(classes: Int, width: Int, comparesPairs: Bool = false) {
        self.classes = classes
        self.width = width
        self.comparesPairs = comparesPairs
    }

    public func declare(in layout: inout ParameterLayout) {
        weight = layout.add("head.weight", shape: [classes, featureWidth], group: .head)
        bias = layout.add("head.bias", shape: [classes], group: .head)
    }

    private var offsets: (weight: Int, bias: Int) {
        guard let weight, let bias else { preconditionFailure("ClassificationHead used before declare(in:)") }
        return (weight.offset, bias.offset)
    }

    /// Logits rows for `rows` sequences: one per sequence, or one per pair.
    public func logitsRows(sequences rows: Int) -> Int { comparesPairs ? rows / 2 : rows }

    /// PyTorch's nn.Linear default: weight and bias ~ U(−1/√fan_in, 1/√fan_in).
    public func initialize(theta: UnsafeMutablePointer<Float>, random: inout RandomStream) {
        let bound = 1 / Float(featureWidth).squareRoot()
        random.fillUniform(UnsafeMutableBufferPointer(start: theta + offsets.weight, count: classes * featureWidth),
                           low: -bound, high: bound)
        random.fillUniform(UnsafeMutableBufferPointer(start: theta + offsets.bias, count: classes), low: -bound, high: bound)
    }

    /// hidden (B,T,d), poolMask (B,T) → pooled (B,d), logits (logitsRows(B),C).
    public func forward(theta: UnsafePointer<Float>, hidden: UnsafePointer<Float>, poolMask: UnsafePointer<Int32>,
                        batch: Int, length: Int, pooled: UnsafeMutablePointer<Float>, logits: UnsafeMutablePointer<Float>) {
        meanPoolForward(out: pooled, inp: hidden, mask: poolMask, batch: batch, length: length, width: width)
        let (w, b) = offsets, rows = logitsRows(sequences: batch)
        guard comparesPairs else {
            return linearForward(out: logits, inp: pooled, weight: theta + w, bias: theta + b,
                                 rows: rows, inFeatures: width, outFeatures: classes)
        }
        grow(&features, to: rows * featureWidth)
        features.withUnsafeMutableBufferPointer { f in
            let d = width
            for p in 0..<rows {
                let u = pooled + 2 * p * d, v = u + d, row = f.baseAddress! + p * 4 * d
                for j in 0..<d {
                    row[j] = u[j]
                    row[d + j] = v[j]
                    row[2 * d + j] = abs(u[j] - v[j])
                    row[3 * d + j] = u[j] * v[j]
                }
            }
            linearForward(out: logits, inp: f.baseAddress!, weight: theta + w, bias: theta + b,
                          rows: rows, inFeatures: featureWidth, outFeatures: classes)
        }
    }

    /// gradient[head] += dL/d(weight, bias); dHidden (B,T,d) = dL/dhidden (overwritten). pooled is the forward's.
    public func backward(theta: UnsafePointer<Float>, dLogits: UnsafePointer<Float>, pooled: UnsafePointer<Float>,
                         poolMask: UnsafePointer<Int32>, batch: Int, length: Int,
                         gradient: UnsafeMutablePointer<Float>, dPooled: UnsafeMutablePointer<Float>,
                         dHidden: UnsafeMutablePointer<Float>) {
        let (w, b) = offsets, rows = logitsRows(sequences: batch), d = width, k = featureWidth
        func backThroughLinear(features: UnsafePointer<Float>, dFeatures: UnsafeMutablePointer<Float>) {
            // dW (C,k) += dLogitsᵀ (C,rows) · features (rows,k);  db += Σ_rows dLogits;  dFeatures = dLogits · W
            gemm(transposeA: true, m: classes, n: k, k: rows, a: dLogits, lda: classes, b: features, ldb: k,
                 beta: 1, c: gradient + w, ldc: k)
            for r in 0..<rows { for c in 0..<classes { gradient[b + c] += dLogits[r * classes + c] } }
            linearBackward(dinp: dFeatures, dout: dLogits, weight: theta + w, rows: rows, inFeatures: k,
                           outFeatures: classes, accumulate: false)
        }
        if comparesPairs {
            grow(&dFeatures, to: rows * k)
            features.withUnsafeBufferPointer { f in
                dFeatures.withUnsafeMutableBufferPointer { df in
                    backThroughLinear(features: f.baseAddress!, dFeatures: df.baseAddress!)
                    // Back through (u, v, |u − v|, u ⊙ v); |·|′ is sign(u − v), 0 at 0 as in PyTorch.
                    for p in 0..<rows {
                        let u = pooled + 2 * p * d, v = u + d, g = df.baseAddress! + p * 4 * d
                        let du = dPooled + 2 * p * d, dv = du + d
                        for j in 0..<d {
                            let difference = u[j] - v[j]
                            let sign: Float = difference > 0 ? 1 : difference < 0 ? -1 : 0
                            du[j] = g[j] + sign * g[2 * d + j] + v[j] * g[3 * d + j]
                            dv[j] = g[d + j] - sign * g[2 * d + j] + u[j] * g[3 * d + j]
                        }
                    }
                }
            }
        } else {
            backThroughLinear(features: pooled, dFeatures: dPooled)
        }
        dHidden.update(repeating: 0, count: batch * length * width)
        meanPoolBackward(dinp: dHidden, dout: dPooled, mask: poolMask, batch: batch, length: length, width: width)
    }

    /// The head's tensors, for the adapter export.
    public func tensors(theta: UnsafePointer<Float>) -> [(name: String, tensor: Tensor)] {
        let (w, b) = offsets
        return [("weight", Tensor(shape: [classes, featureWidth], values: Array(UnsafeBufferPointer(start: theta + w, count: classes * featureWidth)))),
                ("bias", Tensor(shape: [classes], values: Array(UnsafeBufferPointer(start: theta + b, count: classes))))]
    }
}

/// Makes `buffer` hold at least `count` floats, reallocating only to grow.
private func grow(_ buffer: inout [Float], to count: Int) {
    if buffer.count < count { buffer = [Float](repeating: 0, count: count) }
}
