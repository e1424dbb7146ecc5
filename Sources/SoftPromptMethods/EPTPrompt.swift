import SoftPromptTensor

/// "EPT-like": our reconstruction of EPT (Lan et al., AAAI 2025), which has no public code (methods.md §5 and
/// our design in §7.7). DePT's short prompt P_s, low-rank pair A, B and position-wise input offset, plus prompt
/// fusion with B, K low-rank subspace projections and a softmax gate over them (`FusedProjection`).
public final class EPTPrompt: PromptMethod, @unchecked Sendable {
    public let name = "ept"
    public let promptLength: Int
    public let width: Int
    public let subspaces: Int
    public let subspaceRank: Int
    private let decomposed: DecomposedPrompt
    private var projection: FusedProjection<Float>
    private var u, v, g, gBias: ParameterSpec?
    private var dept: (prompt: ParameterSpec, b: ParameterSpec)?

    public init(promptLength: Int, width: Int, maxLength: Int, rank: Int, subspaces: Int = 4, subspaceRank: Int = 8,
                initialization: PromptTuning.Initialization = .text("Classify this text:")) {
        self.promptLength = promptLength
        self.width = width
        self.subspaces = subspaces
        self.subspaceRank = subspaceRank
        decomposed = DecomposedPrompt(promptLength: promptLength, width: width, maxLength: maxLength, rank: rank,
                                      initialization: initialization)
        projection = FusedProjection(rows: promptLength, width: width, rank: rank, subspaces: subspaces, subspaceRank: subspaceRank)
    }

    public func declare(in layout: inout ParameterLayout) {
        decomposed.declare(in: &layout)
        dept = (layout["prompt"]!, layout["dept.B"]!)
        u = layout.add("ept.U", shape: [subspaces, width, subspaceRank], group: .lowRank)
        v = layout.add("ept.V", shape: [subspaces, subspaceRank, width], group: .lowRank)
        g = layout.add("ept.gate.weight", shape: [subspaces, width], group: .lowRank)
        gBias = layout.add("ept.gate.bias", shape: [subspaces], group: .lowRank)
    }

    /// DePT's initialisation; U ~ U(−1/√d, 1/√d), V = 0 (projections start at zero), gate weights U(−1/√d, 1/√d), bias 0.
    public func initialize(theta: UnsafeMutablePointer<Float>, context: inout InitializationContext) throws {
        try decomposed.initialize(theta: theta, context: &context)
        guard let u, let v, let g, let gBias else { preconditionFailure("EPTPrompt used before declare(in:)") }
        var random = context.random.split("ept")
        let bound = 1 / Float(width).squareRoot()
        random.fillUniform(UnsafeMutableBufferPointer(start: theta + u.offset, count: u.count), low: -bound, high: bound)
        (theta + v.offset).update(repeating: 0, count: v.count)
        random.fillUniform(UnsafeMutableBufferPointer(start: theta + g.offset, count: g.count), low: -bound, high: bound)
        (theta + gBias.offset).update(repeating: 0, count: gBias.count)
    }

    private func weights(_ theta: UnsafePointer<Float>) -> FusedProjection<Float>.Weights {
        guard let dept, let u, let v, let g, let gBias else { preconditionFailure("EPTPrompt used before declare(in:)") }
        return .init(prompt: theta + dept.prompt.offset, b: theta + dept.b.offset, u: theta + u.offset, v: theta + v.offset,
                     g: theta + g.offset, gBias: theta + gBias.offset)
    }

    public func materialize(theta: UnsafePointer<Float>, prompt: UnsafeMutablePointer<Float>) {
        projection.forward(out: prompt, weights: weights(theta))
    }

    public func backward(theta: UnsafePointer<Float>, dPrompt: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>) {
        let w = weights(theta)
        let at = { (p: UnsafePointer<Float>) in gradient + (p - theta) }
        projection.backward(dOut: dPrompt, weights: w,
                            gradients: .init(prompt: at(w.prompt), b: at(w.b), u: at(w.u), v: at(w.v), g: at(w.g), gBias: at(w.gBias)))
    }

    public var offsetsInputEmbeddings: Bool { true }

    public func applyInputOffset(theta: UnsafePointer<Float>, embeddings: UnsafeMutablePointer<Float>, batch: Int,
                                 length: Int, rowStride: Int, training: Bool) {
        decomposed.applyInputOffset(theta: theta, embeddings: embeddings, batch: batch, length: length, rowStride: rowStride,
                                    training: training)
    }

    public func inputOffsetBackward(theta: UnsafePointer<Float>, dEmbeddings: UnsafePointer<Float>, batch: Int,
                                    length: Int, rowStride: Int, gradient: UnsafeMutablePointer<Float>) {
        decomposed.inputOffsetBackward(theta: theta, dEmbeddings: dEmbeddings, batch: batch, length: length,
                                       rowStride: rowStride, gradient: gradient)
    }
}
