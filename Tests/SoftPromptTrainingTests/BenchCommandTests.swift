import Foundation
import SoftPromptTestSupport
import Testing

/// `softprompt bench` on the tiny BERT (d = 32, F = 37, 2 layers) and the tiny T5: the FLOPs its rates are
/// computed from, the products-only replay, whole training steps on synthetic and real batches, and the scaling
/// over ranks. Times are only read back, never asserted.
@Suite(.serialized, .enabled(if: MPIRun.binary != nil, "needs mpirun on PATH and a built softprompt (scripts/setup)"))
struct BenchCommandTests {
    static let model = MPIRun.packageRoot.appendingPathComponent("Tests/SoftPromptModelsTests/Fixtures/tiny-bert").path
    static let t5 = MPIRun.packageRoot.appendingPathComponent("Tests/SoftPromptModelsTests/Fixtures/tiny-t5-unigram").path
    static let shape = ["--model", model, "--batch", "2", "--seq", "6", "--prompt", "3", "--repeats", "2",
                        "--shape", "64,64,64", "--json"]
    static let t5Shape = ["--model", t5] + shape.dropFirst(2)

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

    @Test func t5TrainingStepsAreRatedByTheFLOPsOfTheBareStepOfTheSameShapes() throws {
        let bare = try T5CommandTests.json(["bench"] + Self.t5Shape)
        #expect(bare["benchmark"] as? String == "t5_prompt_tuning_step")
        let steps = try T5CommandTests.json(["bench", "--method", "pt,residual"] + Self.t5Shape)
        #expect(steps["benchmark"] as? String == "t5_training_step")
        let methods = try #require(steps["methods"] as? [[String: Any]])
        #expect(methods.map { $0["method"] as? String } == ["pt", "residual"])
        for method in methods {
            let flops = try #require(method["flops_per_step"] as? Double)
            #expect(flops == bare["flops_per_step"] as? Double)
            let median = try #require(method["step_seconds_median"] as? Double), gflops = try #require(method["gflops"] as? Double)
            #expect(abs(gflops * median * 1e9 / flops - 1) < 1e-9)
        }
    }

    @Test(.enabled(if: sharedDataDirectory() != nil, "../shared/data is absent"),
          arguments: [(model, "glue/SST-2", "sst2"), (t5, "glue/RTE", "rte")])
    func trainingStepsRunOnATasksRealBatches(model: String, folder: String, task: String) throws {
        let data = try #require(sharedDataDirectory()).appendingPathComponent(folder).path
        let steps = try T5CommandTests.json(["bench", "--model", model, "--method", "pt", "--data", data, "--task", task,
                                             "--batch", "4", "--seq", "24", "--prompt", "3", "--repeats", "2",
                                             "--shape", "64,64,64", "--json"])
        #expect((steps["inputs"] as? String)?.hasPrefix("\(task) training batches of 4") == true)
        #expect((steps["tokens_per_second"] as? Double ?? 0) > 0)
        #expect(steps["gflops"] == nil, "real batches have no fixed shape to count FLOPs for")
    }

    @Test(arguments: [model, t5])
    func ranksReportTheScalingOverOneRank(model: String) throws {
        let scaling = try T5CommandTests.json(["bench", "--model", model, "--method", "pt", "--ranks", "2"] + Self.shape.dropFirst(2))
        #expect(scaling["ranks"] as? Int == 2)
        let one = try #require(scaling["one_rank_tokens_per_second"] as? Double)
        let two = try #require(scaling["ranks_tokens_per_second"] as? Double)
        #expect(abs((scaling["scaling"] as? Double ?? 0) - two / one) < 1e-12)
        #expect((scaling["rank_max_rss_mb"] as? Double ?? 0) > 0)
        // What the ranks lose, split per rank into computing and time in the gradient exchange.
        let computing = try #require(scaling["rank_computing_seconds_mean"] as? [Double])
        let waiting = try #require(scaling["rank_waiting_seconds_mean"] as? [Double])
        let alone = try #require(scaling["one_rank_computing_seconds_mean"] as? Double)
        #expect(computing.count == 2 && computing.allSatisfy { $0 > 0 } && alone > 0)
        #expect(waiting.count == 2 && waiting.allSatisfy { $0 >= 0 })
        #expect(abs((scaling["computing_slowdown"] as? Double ?? 0) - (computing[0] + computing[1]) / 2 / alone) < 1e-12)
    }

    @Test func alternatedRoundsReportTheMedianOfTheirScalings() throws {
        let scaling = try T5CommandTests.json(["bench", "--method", "pt", "--ranks", "2", "--rounds", "3"] + Self.shape)
        let rounds = try #require(scaling["round_scalings"] as? [Double])
        #expect(rounds.count == 3 && scaling["rounds"] as? Int == 3)
        #expect(scaling["scaling"] as? Double == rounds.sorted()[1])
    }

    /// The ceiling under any synchronous step: sgemm on every rank, a barrier after each step.
    @Test func lockstepSgemmReportsWhatTheMachineAllowsSynchronousRanks() throws {
        let scaling = try T5CommandTests.json(["bench", "--sgemm", "--ranks", "2", "--shape", "64,64,64",
                                               "--step-products", "3", "--repeats", "2", "--json"])
        #expect(scaling["benchmark"] as? String == "lockstep_sgemm_scaling" && scaling["step_products"] as? Int == 3)
        let one = try #require(scaling["one_rank_gflops"] as? Double), two = try #require(scaling["ranks_gflops"] as? Double)
        #expect(one > 0 && abs((scaling["scaling"] as? Double ?? 0) - two / one) < 1e-12)
        #expect((scaling["rank_waiting_seconds_mean"] as? [Double])?.count == 2)
    }

    /// Refused when the arguments are read (status 64), before any model or data is opened.
    @Test(arguments: [["--ranks", "2"], ["--data", "/nonexistent"], ["--method", "pt,dept", "--ranks", "2"],
                      ["--method", "pt", "--rounds", "2"], ["--sgemm", "--method", "pt"], ["--sgemm", "--rounds", "2"],
                      ["--random-model", "t5-small", "--method", "pt", "--data", "/nonexistent"]])
    func refusesWhatItCannotTime(arguments: [String]) throws {
        let command = ["bench"] + arguments + (arguments.contains("--random-model") ? [] : ["--model", Self.model])
            + Self.shape.dropFirst(2)
        #expect(throws: MPIRunError.failed(command.count, 64)) { try T5CommandTests.run(command) }
    }
}
