import ArgumentParser
import SoftPromptMethods

/// The prompt method and its hyper-parameters, shared by `train` and `bench`.
struct MethodOptions: ParsableArguments {
    @Option(help: "Prompt method: pt (prompt tuning), residual (Residual Prompt Tuning), superpos (SuperPos-Prompt), dept (DePT), adept (ADePT), ept (EPT-like: our reconstruction, EPT has no public code).")
    var method = "pt"

    @Option(help: "dept/ept: rank r of the low-rank pair A (s,r), B (r,d); s is --max-length.")
    var deptRank = 30

    @Option(help: "ept (EPT-like): number K of projection subspaces mixed by the gate.")
    var eptSubspaces = 4

    @Option(help: "ept (EPT-like): rank q of each subspace projection U_k (d,q) V_k (q,d).")
    var eptSubspaceRank = 8

    @Option(help: "adept: rank r of the token-conditioned FFN (A (d,r), B (r,d)).")
    var adeptRank = 19

    @Option(help: "adept: dropout inside the FFN while training (0.1 in the official code).")
    var adeptDropout = 0.1

    @Option(help: "dept/adept: learning rate of the low-rank parts (the second group).")
    var lowRankLr = 5e-4

    @Option(help: "residual: MLP bottleneck b (800 as in the official code).")
    var residualBottleneck = 800

    @Flag(help: "residual: one MLP per prompt row instead of one shared MLP.")
    var residualSeparateMlps = false

    @Option(help: "superpos: m, the number of sampled vocabulary embeddings superposed.")
    var superposTokens = 128

    @Flag(inversion: .prefixedNo, help: "superpos: train the shared offset ΔE (m,d) of the sampled embeddings.")
    var superposDelta = true

    @Option(help: "Prompt length n.")
    var promptLength = 20

    @Option(help: "Prompt initialisation: sampled (first 5,000 vocabulary rows), random (U(-0.5,0.5)), labels, text.")
    var promptInit = "sampled"

    @Option(help: "Text for --prompt-init text.")
    var promptInitText = "Classify this text:"

    static let methods = ["pt", "residual", "superpos", "dept", "adept", "ept"]

    func validate() throws {
        guard Self.methods.contains(method) else {
            throw ValidationError("--method must be one of \(Self.methods.joined(separator: ", ")), got \(method)")
        }
        guard ["sampled", "random", "labels", "text"].contains(promptInit) else {
            throw ValidationError("--prompt-init must be sampled, random, labels or text")
        }
        guard adeptDropout >= 0 && adeptDropout < 1 else { throw ValidationError("--adept-dropout must be in [0, 1)") }
        for (name, value) in [("--prompt-length", promptLength), ("--dept-rank", deptRank), ("--adept-rank", adeptRank),
                              ("--ept-subspaces", eptSubspaces), ("--ept-subspace-rank", eptSubspaceRank),
                              ("--residual-bottleneck", residualBottleneck), ("--superpos-tokens", superposTokens)] where value < 1 {
            throw ValidationError("\(name) must be at least 1")
        }
    }

    /// The method with these options for a model of width d and inputs of up to `maxLength` tokens.
    func makeMethod(width d: Int, maxLength: Int, labels: [String]) -> any PromptMethod {
        let initialization: PromptTuning.Initialization
        switch promptInit {
        case "random": initialization = .randomUniform(range: 0.5)
        case "labels": initialization = .classLabels(labels, population: 5000)
        case "text": initialization = .text(promptInitText)
        default: initialization = .sampledVocabulary(population: 5000)
        }
        // Each method's default initialisation (methods.md §7.8) unless another is asked for.
        let decomposedInit: PromptTuning.Initialization = promptInit == "sampled" ? .text(promptInitText) : initialization
        switch method {
        case "residual":
            return ResidualPrompt(promptLength: promptLength, width: d, bottleneck: residualBottleneck,
                                  separateMLPs: residualSeparateMlps,
                                  initialization: promptInit == "sampled" ? .sampledVocabulary(population: .max) : initialization)
        case "superpos":
            return SuperPosPrompt(promptLength: promptLength, width: d, tokens: superposTokens, delta: superposDelta)
        case "dept":
            return DecomposedPrompt(promptLength: promptLength, width: d, maxLength: maxLength, rank: deptRank,
                                    initialization: decomposedInit)
        case "adept":
            return AdaptiveDecomposedPrompt(promptLength: promptLength, width: d, rank: adeptRank, dropout: adeptDropout,
                                            initialization: decomposedInit)
        case "ept":
            return EPTPrompt(promptLength: promptLength, width: d, maxLength: maxLength, rank: deptRank,
                             subspaces: eptSubspaces, subspaceRank: eptSubspaceRank, initialization: decomposedInit)
        default:
            return PromptTuning(promptLength: promptLength, width: d, initialization: initialization)
        }
    }

    /// The options as recorded in config.json.
    var record: [String: Any] {
        ["method": method, "prompt_length": promptLength, "prompt_init": promptInit, "prompt_init_text": promptInitText,
         "residual_bottleneck": residualBottleneck, "residual_separate_mlps": residualSeparateMlps,
         "superpos_tokens": superposTokens, "superpos_delta": superposDelta, "dept_rank": deptRank,
         "adept_rank": adeptRank, "adept_dropout": adeptDropout, "ept_subspaces": eptSubspaces,
         "ept_subspace_rank": eptSubspaceRank, "low_rank_lr": lowRankLr]
    }
}
