import SoftPromptTensor

/// DePT (Shi & Lipani, ICLR 2024; methods.md §3): a shorter prompt P_s (m,d) plus a low-rank pair A (s,r),
/// B (r,d) whose product, scaled by c = 8/√r as in the official code, is added position-wise to the input
/// token embeddings: X′[j] = X[j] + c·(A B)[j] for j < L (the first L rows of A·B for an input of length L,
/// methods.md §7.5), before P_s is prepended. P_s trains in the prompt group, A and B in the low-rank group.
public final class DecomposedPrompt: PromptMethod, @unchecked Sendable {
    public let name = "dept"
    public let promptLength: Int  // m
    public let width: Int
    public let maxLength: Int     // s
    public let rank: Int          // r
    public let initialization: PromptTuning.Initialization
    public var scale: Float { 8 / Float(rank).squareRoot() }
    private var prompt, a, b: ParameterSpec?
    private var offset: [Float] = []  // c·(A B)[0..<L] (L,d) of the latest batch
    private var dOffset: [Float] = []

    public init(promptLength: Int, width: Int, maxLength: Int, rank: Int,
                initialization: PromptTuning.Initialization = .text("Classify this text:")) {
        self.promptLength = promptLength
        self.width = width
        self.maxLength = maxLength
        self.rank = rank
        self.initialization = initialization
        offset = Array(repeating: 0, count: maxLength * width)
        dOffset = offset
    }

    public func declare(in layout: inout ParameterLayout) {
        prompt = layout.add("prompt", shape: [promptLength, width], group: .prompt)
        a = layout.add("dept.A", shape: [maxLength, rank], group: .lowRank)
        b = layout.add("dept.B", shape: [rank, width], group: .lowRank)
    }

    private var offsets: (prompt: Int, a: Int, b: Int) {
        guard let prompt, let a, let b else { preconditionFailure("DecomposedPrompt used before declare(in:)") }
        return (prompt.offset, a.offset, b.offset)
    }

    /// P_s from the initialisation (a text by default); A ~ kaiming-uniform(a=√5) = U(−1/√r, 1/√r); B = 0, so
    /// the offset starts at zero.
    public func initialize(theta: UnsafeMutablePointer<Float>, context: inout InitializationContext) throws {
        let (p, a, b) = offsets
        try PromptInitializer.fill(theta + p, rows: promptLength, with: initialization, context: &context)
        var random = context.random.split("dept-A")
        let bound = 1 / Float(rank).squareRoot()
        random.fillUniform(UnsafeMutableBufferPointer(start: theta + a, count: maxLength * rank), low: -bound, high: bound)
        (theta + b).update(repeating: 0, count: rank * width)
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
        precondition(length <= maxLength, "input of \(length) tokens is longer than DePT's s = \(maxLength)")
        let (_, a, b) = offsets
        // offset (L,d) = c · A[0..<L] (L,r) · B (r,d)
        gemm(m: length, n: width, k: rank, alpha: scale, a: theta + a, lda: rank, b: theta + b, ldb: width,
             c: &offset, ldc: width)
        for e in 0..<batch {
            let rows = embeddings + e * rowStride
            for i in 0..<length * width { rows[i] += offset[i] }
        }
    }

    /// dOffset (L,d) = Σ over the batch; dA[0..<L] += c · dOffset · Bᵀ;  dB += c · A[0..<L]ᵀ · dOffset.
    public func inputOffsetBackward(theta: UnsafePointer<Float>, dEmbeddings: UnsafePointer<Float>, batch: Int,
                                    length: Int, rowStride: Int, gradient: UnsafeMutablePointer<Float>) {
        let (_, a, b) = offsets
        for i in 0..<length * width { dOffset[i] = 0 }
        for e in 0..<batch {
            let rows = dEmbeddings + e * rowStride
            for i in 0..<length * width { dOffset[i] += rows[i] }
        }
        gemm(transposeB: true, m: length, n: rank, k: width, alpha: scale, a: dOffset, lda: width, b: theta + b, ldb: width,
             beta: 1, c: gradient + a, ldc: rank)
        gemm(transposeA: true, m: rank, n: width, k: length, alpha: scale, a: theta + a, lda: rank, b: dOffset, ldb: width,
             beta: 1, c: gradient + b, ldc: width)
    }
}
