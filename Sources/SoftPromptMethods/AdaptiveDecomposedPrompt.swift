import SoftPromptTensor

/// ADePT (Tang, Hu, Liu, ICLR 2025; methods.md §3b): DePT's short prompt, but the input offset comes from a
/// token-conditioned FFN shared by all positions: X′ = X + ReLU(Dropout_p(X A + a)) B + b, with A (d,r),
/// a (r), B (r,d), b (d); dropout (0.1 in the code) only while training. A ~ U(−1/√d, 1/√d) (kaiming-uniform
/// with a = √5 over fan-in d), B = a = b = 0, so the offset starts at zero.
public final class AdaptiveDecomposedPrompt: PromptMethod, @unchecked Sendable {
    public let name = "adept"
    public let promptLength: Int
    public let width: Int
    public let rank: Int
    public let dropout: Double
    public let initialization: PromptTuning.Initialization
    private var prompt, a, aBias, b, bBias: ParameterSpec?
    // Caches of the latest batch, (N = batch·length rows): X (N,d), pre-activation h (N,r), ReLU output (N,r),
    // dropout mask (N,r); backward scratch. Grown, never shrunk.
    private var inputs: [Float] = [], hidden: [Float] = [], activated: [Float] = [], mask: [Float] = []
    private var dOffset: [Float] = [], dHidden: [Float] = []
    private var random = RandomStream(seed: 0)
    private var lastTraining = false  // whether the latest batch had dropout applied

    public init(promptLength: Int, width: Int, rank: Int, dropout: Double = 0.1,
                initialization: PromptTuning.Initialization = .text("Classify this text:")) {
        self.promptLength = promptLength
        self.width = width
        self.rank = rank
        self.dropout = dropout
        self.initialization = initialization
    }

    public func declare(in layout: inout ParameterLayout) {
        prompt = layout.add("prompt", shape: [promptLength, width], group: .prompt)
        a = layout.add("adept.A", shape: [width, rank], group: .lowRank)
        aBias = layout.add("adept.a", shape: [rank], group: .lowRank)
        b = layout.add("adept.B", shape: [rank, width], group: .lowRank)
        bBias = layout.add("adept.b", shape: [width], group: .lowRank)
    }

    private var offsets: (prompt: Int, a: Int, aBias: Int, b: Int, bBias: Int) {
        guard let prompt, let a, let aBias, let b, let bBias else {
            preconditionFailure("AdaptiveDecomposedPrompt used before declare(in:)")
        }
        return (prompt.offset, a.offset, aBias.offset, b.offset, bBias.offset)
    }

    public func prepare(context: InitializationContext) throws {
        random = context.random.split("adept-dropout")
    }

    public func initialize(theta: UnsafeMutablePointer<Float>, context: inout InitializationContext) throws {
        let o = offsets
        try PromptInitializer.fill(theta + o.prompt, rows: promptLength, with: initialization, context: &context)
        var initial = context.random.split("adept-A")
        let bound = 1 / Float(width).squareRoot()
        initial.fillUniform(UnsafeMutableBufferPointer(start: theta + o.a, count: width * rank), low: -bound, high: bound)
        (theta + o.aBias).update(repeating: 0, count: rank)
        (theta + o.b).update(repeating: 0, count: rank * width)
        (theta + o.bBias).update(repeating: 0, count: width)
    }

    public func materialize(theta: UnsafePointer<Float>, prompt out: UnsafeMutablePointer<Float>) {
        copyPlainPrompt(theta: theta, offset: offsets.prompt, into: out)
    }

    public func backward(theta: UnsafePointer<Float>, dPrompt: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>) {
        addPlainPromptGradient(dPrompt, offset: offsets.prompt, to: gradient)
    }

    public var offsetsInputEmbeddings: Bool { true }

    public func applyInputOffset(theta: UnsafePointer<Float>, embeddings: UnsafeMutablePointer<Float>, batch: Int,
                                 length: Int, rowStride: Int, training: Bool) {
        let o = offsets, (d, r, n) = (width, rank, batch * length)
        if inputs.count < n * d {
            inputs = Array(repeating: 0, count: n * d)
            dOffset = inputs
            hidden = Array(repeating: 0, count: n * r)
            activated = hidden
            mask = hidden
            dHidden = hidden
        }
        for e in 0..<batch {
            for i in 0..<length * d { inputs[e * length * d + i] = embeddings[e * rowStride + i] }
        }
        // h = X A + a;  z = ReLU(h ⊙ mask);  offset = z B + b
        for row in 0..<n { for k in 0..<r { hidden[row * r + k] = theta[o.aBias + k] } }
        gemm(m: n, n: r, k: d, a: inputs, lda: d, b: theta + o.a, ldb: r, beta: 1, c: &hidden, ldc: r)
        let active = training && dropout > 0
        if active {
            mask.withUnsafeMutableBufferPointer { random.fillDropoutMask(UnsafeMutableBufferPointer(rebasing: $0[0..<n * r]), p: dropout) }
        }
        for i in 0..<n * r {
            if active { hidden[i] *= mask[i] }
            activated[i] = hidden[i] > 0 ? hidden[i] : 0
        }
        for row in 0..<n { for c in 0..<d { dOffset[row * d + c] = theta[o.bBias + c] } }  // dOffset as scratch
        gemm(m: n, n: d, k: r, a: activated, lda: r, b: theta + o.b, ldb: d, beta: 1, c: &dOffset, ldc: d)
        for e in 0..<batch {
            for i in 0..<length * d { embeddings[e * rowStride + i] += dOffset[e * length * d + i] }
        }
        lastTraining = active
    }

    public func inputOffsetBackward(theta: UnsafePointer<Float>, dEmbeddings: UnsafePointer<Float>, batch: Int,
                                    length: Int, rowStride: Int, gradient: UnsafeMutablePointer<Float>) {
        let o = offsets, (d, r, n) = (width, rank, batch * length)
        for e in 0..<batch {
            for i in 0..<length * d { dOffset[e * length * d + i] = dEmbeddings[e * rowStride + i] }
        }
        // db += Σ dOffset;  dB += zᵀ · dOffset;  dz = dOffset · Bᵀ
        for row in 0..<n { for c in 0..<d { gradient[o.bBias + c] += dOffset[row * d + c] } }
        gemm(transposeA: true, m: r, n: d, k: n, a: activated, lda: r, b: dOffset, ldb: d, beta: 1, c: gradient + o.b, ldc: d)
        gemm(transposeB: true, m: n, n: r, k: d, a: dOffset, lda: d, b: theta + o.b, ldb: d, c: &dHidden, ldc: r)
        // through ReLU and the dropout mask: dh = dz · [h > 0] · mask
        for i in 0..<n * r {
            dHidden[i] = hidden[i] > 0 ? dHidden[i] * (lastTraining ? mask[i] : 1) : 0
        }
        // da += Σ dh;  dA += Xᵀ · dh
        for row in 0..<n { for k in 0..<r { gradient[o.aBias + k] += dHidden[row * r + k] } }
        gemm(transposeA: true, m: d, n: r, k: n, a: inputs, lda: d, b: dHidden, ldb: r, beta: 1, c: gradient + o.a, ldc: r)
    }
}
