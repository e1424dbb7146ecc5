import SoftPromptTensor

/// Prompt tuning (Lester, Al-Rfou, Constant 2021): the prompt P (n,d) is itself the trainable parameter.
public final class PromptTuning: PromptMethod, @unchecked Sendable {
    /// How P starts (methods.md §1c, §7.8).
    public enum Initialization: Sendable, Equatable {
        /// U(−range, range) per entry (Lester's gin config samples [0, 0.5); the paper and the Residual-PT code
        /// use the symmetric range, as here).
        case randomUniform(range: Float)
        /// Distinct rows drawn without replacement from the first `population` non-special vocabulary rows.
        case sampledVocabulary(population: Int)
        /// Row i ← embedding of label i (mean over its word pieces); the rest sampled vocabulary.
        case classLabels([String], population: Int)
        /// The embeddings of a text's word pieces, repeated cyclically to length n.
        case text(String)
    }

    public let name = "pt"
    public let promptLength: Int
    public let width: Int
    public let initialization: Initialization
    private var spec: ParameterSpec?

    public init(promptLength: Int, width: Int, initialization: Initialization = .sampledVocabulary(population: 5000)) {
        self.promptLength = promptLength
        self.width = width
        self.initialization = initialization
    }

    public func declare(in layout: inout ParameterLayout) {
        spec = layout.add("prompt", shape: [promptLength, width], group: .prompt)
    }

    private var offset: Int {
        guard let spec else { preconditionFailure("PromptTuning used before declare(in:)") }
        return spec.offset
    }

    public func initialize(theta: UnsafeMutablePointer<Float>, context: inout InitializationContext) throws {
        try PromptInitializer.fill(theta + offset, rows: promptLength, with: initialization, context: &context)
    }

    public func materialize(theta: UnsafePointer<Float>, prompt: UnsafeMutablePointer<Float>) {
        copyPlainPrompt(theta: theta, offset: offset, into: prompt)
    }

    public func backward(theta: UnsafePointer<Float>, dPrompt: UnsafePointer<Float>,
                         gradient: UnsafeMutablePointer<Float>) {
        addPlainPromptGradient(dPrompt, offset: offset, to: gradient)
    }
}
