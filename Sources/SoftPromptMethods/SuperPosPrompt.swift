import SoftPromptTensor

/// SuperPos-Prompt (Sadraei Javaheri et al. 2024; methods.md §4 and our decisions in §7.6): each prompt token
/// is a learned superposition of m frozen, sampled vocabulary embeddings, p_i = Σ_j W_ij (E_s + ΔE)_j.
/// E_s = E_voc[ids] for m distinct non-special ids sampled with the run's seed (the same on every rank);
/// trainable W (n,m), initialised so prompt i starts as sampled token i, and a shared ΔE (m,d) starting at 0
/// (`delta: false` drops it). No softmax, no non-linearity. Dropout in the backbone should stay off.
public final class SuperPosPrompt: PromptMethod, @unchecked Sendable {
    public let name = "superpos"
    public let promptLength: Int
    public let width: Int
    public let tokens: Int
    public let delta: Bool
    public private(set) var sampledIds: [Int32] = []
    private var frozen: [Float] = []  // E_s (m,d)
    private var mixed: [Float] = []   // E_s + ΔE (m,d), from the latest materialize
    private var weights: ParameterSpec?
    private var deltaSpec: ParameterSpec?

    public init(promptLength: Int, width: Int, tokens: Int = 128, delta: Bool = true) {
        self.promptLength = promptLength
        self.width = width
        self.tokens = tokens
        self.delta = delta
    }

    public func declare(in layout: inout ParameterLayout) {
        weights = layout.add("superpos.weights", shape: [promptLength, tokens], group: .prompt)
        if delta { deltaSpec = layout.add("superpos.delta", shape: [tokens, width], group: .prompt) }
    }

    public func prepare(context: InitializationContext) throws {
        var sampling = context
        sampling.random = context.random.split("superpos-tokens")
        sampledIds = try PromptInitializer.sampleVocabulary(tokens, population: .max, context: &sampling)
        frozen = sampledIds.flatMap { id in Array(UnsafeBufferPointer(start: context.row(id), count: width)) }
        mixed = frozen
    }

    public func initialize(theta: UnsafeMutablePointer<Float>, context: inout InitializationContext) throws {
        guard let weights else { preconditionFailure("SuperPosPrompt used before declare(in:)") }
        let w = theta + weights.offset
        w.update(repeating: 0, count: promptLength * tokens)
        for i in 0..<promptLength { w[i * tokens + i % tokens] = 1 }  // [I_n | 0], or one-hot at i mod m
        if let deltaSpec { (theta + deltaSpec.offset).update(repeating: 0, count: tokens * width) }
    }

    /// P (n,d) = W (n,m) · (E_s + ΔE) (m,d).
    public func materialize(theta: UnsafePointer<Float>, prompt: UnsafeMutablePointer<Float>) {
        guard let weights, !frozen.isEmpty else { preconditionFailure("SuperPosPrompt used before prepare(context:)") }
        // E_s + ΔE, written in place (no copy of E_s per step).
        if let deltaSpec { for i in 0..<tokens * width { mixed[i] = frozen[i] + theta[deltaSpec.offset + i] } }
        gemm(m: promptLength, n: width, k: tokens, a: theta + weights.offset, lda: tokens, b: mixed, ldb: width,
             c: prompt, ldc: width)
    }

    /// dW += dP · (E_s + ΔE)ᵀ;  dΔE += Wᵀ · dP.
    public func backward(theta: UnsafePointer<Float>, dPrompt: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>) {
        guard let weights else { preconditionFailure("SuperPosPrompt used before declare(in:)") }
        gemm(transposeB: true, m: promptLength, n: tokens, k: width, a: dPrompt, lda: width, b: mixed, ldb: width,
             beta: 1, c: gradient + weights.offset, ldc: tokens)
        if let deltaSpec {
            gemm(transposeA: true, m: tokens, n: width, k: promptLength, a: theta + weights.offset, lda: tokens,
                 b: dPrompt, ldb: width, beta: 1, c: gradient + deltaSpec.offset, ldc: width)
        }
    }
}
