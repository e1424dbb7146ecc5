import SoftPromptTensor

/// Residual Prompt Tuning (Razdaibiedina et al., Findings ACL 2023; methods.md §2): every prompt row goes
/// through a shallow MLP with a skip connection, P′ = [Φ(p_1); …; Φ(p_n)]. One MLP shared by all rows (the
/// paper's default) or one per row (`separateMLPs`). Bottleneck 800 as in the official code. The trained
/// result exports as the plain prompt Φ(P), so inference is ordinary prompt tuning.
public final class ResidualPrompt: PromptMethod, @unchecked Sendable {
    public let name = "residual"
    public let promptLength: Int
    public let width: Int
    public let bottleneck: Int
    public let separateMLPs: Bool
    public let initialization: PromptTuning.Initialization
    private var prompt: ParameterSpec?
    private var mlp: ParameterSpec?
    private var network: ResidualMLP<Float>
    private var rowNetworks: [ResidualMLP<Float>]

    public init(promptLength: Int, width: Int, bottleneck: Int = 800, separateMLPs: Bool = false,
                initialization: PromptTuning.Initialization = .sampledVocabulary(population: .max)) {
        self.promptLength = promptLength
        self.width = width
        self.bottleneck = bottleneck
        self.separateMLPs = separateMLPs
        self.initialization = initialization
        network = ResidualMLP(width: width, bottleneck: bottleneck, rows: promptLength)
        rowNetworks = separateMLPs ? (0..<promptLength).map { _ in ResidualMLP(width: width, bottleneck: bottleneck, rows: 1) } : []
    }

    private var blockSize: Int { ResidualMLP<Float>.parameterCount(width: width, bottleneck: bottleneck) }

    public func declare(in layout: inout ParameterLayout) {
        prompt = layout.add("prompt", shape: [promptLength, width], group: .prompt)
        // The MLP trains at the prompt's rate, as in the official code.
        mlp = layout.add("residual.mlp", shape: [separateMLPs ? promptLength : 1, blockSize], group: .prompt)
    }

    private var offsets: (prompt: Int, mlp: Int) {
        guard let prompt, let mlp else { preconditionFailure("ResidualPrompt used before declare(in:)") }
        return (prompt.offset, mlp.offset)
    }

    public func initialize(theta: UnsafeMutablePointer<Float>, context: inout InitializationContext) throws {
        try PromptInitializer.fill(theta + offsets.prompt, rows: promptLength, with: initialization, context: &context)
        var random = context.random.split("residual-mlp")
        for k in 0..<(separateMLPs ? promptLength : 1) {
            ResidualMLP<Float>.initialize(block: theta + offsets.mlp + k * blockSize, width: width, bottleneck: bottleneck,
                                          random: &random)
        }
    }

    public func materialize(theta: UnsafePointer<Float>, prompt out: UnsafeMutablePointer<Float>) {
        let (p, m) = offsets
        if separateMLPs {
            for r in 0..<promptLength {
                rowNetworks[r].forward(out: out + r * width, inp: theta + p + r * width, block: theta + m + r * blockSize, rows: 1)
            }
        } else {
            network.forward(out: out, inp: theta + p, block: theta + m, rows: promptLength)
        }
    }

    public func backward(theta: UnsafePointer<Float>, dPrompt: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>) {
        let (p, m) = offsets
        if separateMLPs {
            for r in 0..<promptLength {
                rowNetworks[r].backward(dinp: gradient + p + r * width, dblock: gradient + m + r * blockSize,
                                        dout: dPrompt + r * width, inp: theta + p + r * width,
                                        block: theta + m + r * blockSize, rows: 1)
            }
        } else {
            network.backward(dinp: gradient + p, dblock: gradient + m, dout: dPrompt, inp: theta + p, block: theta + m,
                             rows: promptLength)
        }
    }
}
