import Foundation
import SoftPromptTestSupport
import Testing

/// `softprompt bench` on the tiny BERT (d = 32, F = 37, 2 layers): the FLOPs its rates are computed from, and
/// the products-only replay. Times are only read back, never asserted.
@Suite(.serialized, .enabled(if: MPIRun.binary != nil, "needs mpirun on PATH and a built softprompt (scripts/setup)"))
struct BenchCommandTests {
    static let model = MPIRun.packageRoot.appendingPathComponent("Tests/SoftPromptModelsTests/Fixtures/tiny-bert").path
    static let shape = ["--model", model, "--batch", "2", "--seq", "6", "--prompt", "3", "--repeats", "2",
                        "--shape", "64,64,64", "--json"]

    /// 4·N_w + 12·L·d·T per token, N_w = L·(4·d² + 2·d·F), at B·T = 2 × (3 + 6) tokens.
    static let modelFLOPs: Double = {
        let (d, f, layers, length) = (32.0, 37.0, 2.0, 9.0)
        return (4 * layers * (4 * d * d + 2 * d * f) + 12 * layers * d * length) * 2 * length
    }()

    /// Less the last layer's prompt rows (8·d² + 8·d·F + 12·d·T each, B·P of them), the first layer's q, k, v
    /// input gradients of all but the P summed prompt rows (6·d² each), and its attention backward beyond the
    /// prompt's probability columns, rows and gradients (8·d·T² − 10·d·P·T per sequence, as 2·P ≤ T).
    static let executedFLOPs: Double = {
        let (d, f, length, prompt, tokens) = (32.0, 37.0, 9.0, 3.0, 18.0)
        return modelFLOPs - 2 * prompt * (8 * d * d + 8 * d * f + 12 * d * length) - (tokens - prompt) * 6 * d * d
            - 2 * (8 * d * length * length - 10 * d * prompt * length)
    }()

    @Test func theStepReportsTheModelsFLOPsPerToken() throws {
        let step = try T5CommandTests.json(["bench"] + Self.shape)
        #expect(step["benchmark"] as? String == "prompt_tuning_step")
        #expect(step["flops_per_token"] as? Double == Self.modelFLOPs / 18)
        let median = try #require(step["step_seconds_median"] as? Double)
        let gflops = try #require(step["gflops"] as? Double), executed = try #require(step["executed_gflops"] as? Double)
        #expect(abs(gflops * median * 1e9 / Self.modelFLOPs - 1) < 1e-9)
        #expect(abs(executed * median * 1e9 / Self.executedFLOPs - 1) < 1e-9)
    }

    @Test func productsOnlyRatesTheModelsFLOPsOverTheProductsTimeAgainstSGEMM() throws {
        let replay = try T5CommandTests.json(["bench", "--products-only"] + Self.shape)
        #expect(replay["benchmark"] as? String == "prompt_tuning_step_products_only")
        let median = try #require(replay["products_seconds_median"] as? Double)
        #expect(median > 0 && median >= (replay["products_seconds_min"] as? Double ?? .infinity))
        let gflops = try #require(replay["gflops"] as? Double), executed = try #require(replay["executed_gflops"] as? Double)
        #expect(abs(gflops * median * 1e9 / Self.modelFLOPs - 1) < 1e-9)
        #expect(abs(executed * median * 1e9 / Self.executedFLOPs - 1) < 1e-9)
        let sgemm = try #require(replay["sgemm_gflops"] as? Double)
        #expect(abs((replay["mfu_ceiling"] as? Double ?? 0) - gflops / sgemm) < 1e-12)
    }

    @Test func productsOnlyRefusesAWholeTrainingStep() throws {
        #expect(throws: MPIRunError.self) { try T5CommandTests.run(["bench", "--products-only", "--method", "pt"] + Self.shape) }
    }
}
