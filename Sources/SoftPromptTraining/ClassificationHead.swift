import SoftPromptMethods
import SoftPromptTensor

/// The trainable task head of BERT runs (methods.md §7.2): mean pooling over the real text tokens (not the
/// prompt, not padding) → Linear(d, C). Its parameters are part of θ, in their own learning-rate group.
public final class ClassificationHead: @unchecked Sendable {
    public let classes: Int
    public let width: Int
    private var weight: ParameterSpec?  // (C,d)
    private var bias: ParameterSpec?    // (C)

    public init(classes: Int, width: Int) {
        self.classes = classes
        self.width = width
    }

    public func declare(in layout: inout ParameterLayout) {
        weight = layout.add("head.weight", shape: [classes, width], group: .head)
        bias = layout.add("head.bias", shape: [classes], group: .head)
    }

    private var offsets: (weight: Int, bias: Int) {
        guard let weight, let bias else { preconditionFailure("ClassificationHead used before declare(in:)") }
        return (weight.offset, bias.offset)
    }

    /// PyTorch's nn.Linear default: weight and bias ~ U(−1/√d, 1/√d).
    public func initialize(theta: UnsafeMutablePointer<Float>, random: inout RandomStream) {
        let bound = 1 / Float(width).squareRoot()
        random.fillUniform(UnsafeMutableBufferPointer(start: theta + offsets.weight, count: classes * width),
                           low: -bound, high: bound)
        random.fillUniform(UnsafeMutableBufferPointer(start: theta + offsets.bias, count: classes), low: -bound, high: bound)
    }

    /// hidden (B,T,d), poolMask (B,T) → pooled (B,d), logits (B,C).
    public func forward(theta: UnsafePointer<Float>, hidden: UnsafePointer<Float>, poolMask: UnsafePointer<Int32>,
                        batch: Int, length: Int, pooled: UnsafeMutablePointer<Float>, logits: UnsafeMutablePointer<Float>) {
        meanPoolForward(out: pooled, inp: hidden, mask: poolMask, batch: batch, length: length, width: width)
        linearForward(out: logits, inp: pooled, weight: theta + offsets.weight, bias: theta + offsets.bias,
                      rows: batch, inFeatures: width, outFeatures: classes)
    }

    /// gradient[head] += dL/d(weight, bias); dHidden (B,T,d) = dL/dhidden (overwritten).
    public func backward(theta: UnsafePointer<Float>, dLogits: UnsafePointer<Float>, pooled: UnsafePointer<Float>,
                         poolMask: UnsafePointer<Int32>, batch: Int, length: Int,
                         gradient: UnsafeMutablePointer<Float>, dPooled: UnsafeMutablePointer<Float>,
                         dHidden: UnsafeMutablePointer<Float>) {
        let (w, b) = offsets
        // dW (C,d) += dLogitsᵀ (C,B) · pooled (B,d);  db += Σ_rows dLogits
        gemm(transposeA: true, m: classes, n: width, k: batch, a: dLogits, lda: classes, b: pooled, ldb: width,
             beta: 1, c: gradient + w, ldc: width)
        for r in 0..<batch { for c in 0..<classes { gradient[b + c] += dLogits[r * classes + c] } }
        linearBackward(dinp: dPooled, dout: dLogits, weight: theta + w, rows: batch, inFeatures: width,
                       outFeatures: classes, accumulate: false)
        dHidden.update(repeating: 0, count: batch * length * width)
        meanPoolBackward(dinp: dHidden, dout: dPooled, mask: poolMask, batch: batch, length: length, width: width)
    }

    /// The head's tensors, for the adapter export.
    public func tensors(theta: UnsafePointer<Float>) -> [(name: String, tensor: Tensor)] {
        let (w, b) = offsets
        return [("weight", Tensor(shape: [classes, width], values: Array(UnsafeBufferPointer(start: theta + w, count: classes * width)))),
                ("bias", Tensor(shape: [classes], values: Array(UnsafeBufferPointer(start: theta + b, count: classes))))]
    }
}
