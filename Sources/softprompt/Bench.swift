import ArgumentParser
import Foundation
import SoftPromptCheckpoint
import SoftPromptModels
import SoftPromptDistributed
import SoftPromptLauncher
import SoftPromptMethods
import SoftPromptTasks
import SoftPromptTensor
import SoftPromptTokenizers
import SoftPromptTraining

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time a prompt-tuning step (forward + input-gradient backward) or this machine's sgemm rate.",
        discussion: """
            FLOPs per token = 4·N_w + 12·L·d·T (N_w: weights in matrix products; forward 2·N_w, backward 2·N_w \
            since no weight gradients are needed; attention 4·L·d·T forward, 8·L·d·T backward). MFU is the \
            achieved rate over the one-thread sgemm rate of the serving BLAS, measured in the same run (with MKL \
            serving, also over OpenBLAS's, as mfu_openblas). Like the trainer, the step skips \
            the last layer's work for the prompt rows, whose outputs its head does not read, and the first layer's \
            attention and input-gradient backward for the text rows, which feed no parameter: `executed_gflops` \
            counts only the FLOPs run, `gflops` and MFU the model's.

            T5 (a T5 folder, or --random-model t5-base|t5-small): encoder length --prompt + --seq, decoder --target \
            tokens; the step is forward, teacher-forced loss and the input-gradient backward (with --method, whole \
            training steps). FLOPs per step = 4·B·(Te·(Le·(4·d·h + k·d·F) + Ld·2·d·h) + Td·(Ld·(6·d·h + k·d·F) + d·V)) \
            + 12·B·h·(Le·Te² + Ld·Td² + Ld·Td·Te), with Te, Td the encoder and decoder lengths, Le, Ld the layers, \
            h = heads·d_kv, k = 2 (ReLU) or 3 (gated) feed-forward matrices, V the vocabulary: 4 FLOPs per weight per \
            token it is applied to (encoder tokens also pass the decoder's cross-attention keys/values; decoder tokens \
            the LM head), attention as for BERT. Tokens/s counts encoder and decoder positions, B·(n + seq + target).
            """)

    @Option(help: "Model folder. Default: the installed MiniLM.")
    var model: String?

    @Option(help: "Sequences per step.")
    var batch = 32

    @Option(help: "Text tokens per sequence (the prompt is added on top).")
    var seq = 128

    @Option(help: "Prompt length n.")
    var prompt = 20

    @Option(help: "Timed steps after one warm-up step.")
    var repeats = 5

    @Option(help: "BLAS threads (1 = one per rank, the training setting).")
    var threads = 1

    @Option(help: ArgumentHelp("Time whole training steps of these prompt methods instead of the encoder step alone: a comma-separated list of pt, residual, superpos, dept, adept, ept, each optionally with its prompt rows (dept:60); steps are interleaved and reported as ratios to the first.", valueName: "methods"))
    var method: String?

    @Option(help: "With --method: time on this task's real training batches (the folder of its files) instead of synthetic ones, framed and tokenized as `train` does (BERT or a T5 folder).")
    var data: String?

    @Option(help: "The task of --data.")
    var task = "sst2"

    @Option(help: "With one --method: also time the step on N ranks under mpirun (each rank --batch sequences, the global batch N × --batch) and report the throughput scaling over 1 rank (BERT or T5), split per rank into computing and waiting in the gradient exchange.")
    var ranks = 1

    @Option(help: "With --ranks: alternate the 1-rank and the N-rank measurement this many times and report the median of the rounds' scalings, so that this machine's drift falls on both.")
    var rounds = 1

    @Option(help: "T5: time a random model of this shape instead of --model: t5-base or t5-small (random weights written to a temporary model.safetensors, deleted afterwards).")
    var randomModel: String?

    @Option(help: "T5: decoder tokens per sequence (a verbaliser-sized target, `</s>` included).")
    var target = 8

    @Flag(help: "BERT: cache the attention probabilities instead of recomputing them in the backward (as `train --keep-attention-probabilities`).")
    var keepAttentionProbabilities = false

    @Flag(help: "BERT: time only the step's matrix products, with its shapes and skips and nothing between them: the floor this BLAS puts under the step, and so the highest MFU it allows.")
    var productsOnly = false

    @Flag(help: "Only measure one-thread sgemm GFLOP/s. With --ranks N: lockstep sgemm on N ranks against 1 (steps of --step-products calls, each ended by a barrier), the scaling this machine allows any synchronous data-parallel step.")
    var sgemm = false

    @Option(help: "Matrix sizes M,N,K for the sgemm measurement (C[M,N] = A[M,K]·B[N,K]ᵀ).")
    var shape = "1024,1024,1024"

    @Option(help: "With --sgemm --ranks N: the sgemm calls of --shape in one lockstep step (each step ends with a barrier).")
    var stepProducts = 100

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard parsedShape != nil else { throw ValidationError("--shape must be three positive integers M,N,K, got \(shape)") }
        for (name, value) in [("--repeats", repeats), ("--batch", batch), ("--seq", seq), ("--threads", threads), ("--ranks", ranks),
                              ("--target", target), ("--rounds", rounds),
                              ("--step-products", stepProducts)] where value < 1 {
            throw ValidationError("\(name) must be at least 1")
        }
        guard prompt >= 0 else { throw ValidationError("--prompt must be 0 or more") }
        if threads > 1 && BLAS.library == .mkl {
            throw ValidationError("--threads \(threads) needs OpenBLAS (MKL is loaded sequential): set SOFTPROMPT_BLAS=openblas")
        }
        if productsOnly && (method != nil || randomModel != nil) {
            throw ValidationError("--products-only replays the BERT encoder step: no --method or --random-model")
        }
        if method == nil, data != nil || (ranks > 1 && !sgemm) {
            throw ValidationError("--data and --ranks time whole training steps: give --method too (or --sgemm with --ranks)")
        }
        if sgemm && (method != nil || productsOnly) { throw ValidationError("--sgemm times sgemm alone: no --method or --products-only") }
        if rounds > 1 && ranks == 1 { throw ValidationError("--rounds alternates 1 rank with --ranks N: give --ranks too") }
        if ranks > 1, let method, method.contains(",") {
            throw ValidationError("--ranks times one method, got --method \(method)")
        }
        if data != nil, randomModel != nil {
            throw ValidationError("--data needs a model folder with its tokenizer.json, not --random-model")
        }
        if let randomModel {
            guard RandomT5.shapes[randomModel] != nil else {
                throw ValidationError("--random-model must be one of \(RandomT5.shapes.keys.sorted().joined(separator: ", ")), got \(randomModel)")
            }
            if model != nil { throw ValidationError("give --model or --random-model, not both") }
        }
    }

    private var parsedShape: (Int, Int, Int)? {
        let parts = shape.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, parts.allSatisfy({ $0 > 0 && $0 <= 16384 }) else { return nil }
        return (parts[0], parts[1], parts[2])
    }

    func run() throws {
        guard let (m, n, k) = parsedShape else { return }
        if LaunchEnvironment.isUnderMPI, method != nil || (sgemm && ranks > 1) {
            try benchRank(m: m, n: n, k: k)
            return
        }
        if sgemm && ranks > 1 {
            try benchScaling { try measureLockstepSteps(m: m, n: n, k: k, communicator: $0) }
            return
        }
        if sgemm {
            let rates = SGEMMRates.measure(m: m, n: n, k: k, repeats: 20)
            let reference = rates.serving
            var object: [String: Any] = [
                "benchmark": "sgemm", "m": m, "n": n, "k": k, "repeats": reference.repeats,
                "blas_threads": BLAS.threadCount, "blas": BLAS.name, "blas_core": BLAS.coreName,
                "best_seconds": reference.bestSeconds, "median_seconds": reference.medianSeconds,
                "best_gflops": reference.bestGFLOPS, "median_gflops": reference.medianGFLOPS,
            ]
            var text = String(format: "sgemm %d×%d×%d, %d BLAS thread, %@: best %.1f GFLOP/s, median %.1f GFLOP/s",
                              m, n, k, BLAS.threadCount, BLAS.name, reference.bestGFLOPS, reference.medianGFLOPS)
            if let openBLAS = rates.openBLAS {
                object["openblas_best_gflops"] = openBLAS.bestGFLOPS
                object["openblas_median_gflops"] = openBLAS.medianGFLOPS
                text += String(format: "\nsgemm %d×%d×%d, OpenBLAS %@: best %.1f GFLOP/s, median %.1f GFLOP/s",
                               m, n, k, BLAS.coreName, openBLAS.bestGFLOPS, openBLAS.medianGFLOPS)
            }
            try report(object, text: text)
            return
        }
        let isT5 = try randomModel != nil || Backbone.of(ModelDirectory(ModelLocator.resolve(model))) == .t5
        if productsOnly {
            guard !isT5 else { throw ValidationError("--products-only replays the BERT encoder step; this is a T5 model") }
            try benchProducts()
        } else if let method, ranks > 1 {
            try benchScaling { try measureSteps(method: method, communicator: $0) }
        } else if let method {
            try benchTrainingSteps(methods: method)
        } else if isT5 {
            try benchT5()
        } else {
            try benchStep()
        }
    }

    /// Whole training steps (method, model, head or LM loss, optimizer) for each method of `--method`, interleaved
    /// step by step so that machine noise falls on all of them alike, on the same inputs in the same order
    /// (`makeBenchTrainers`). Synthetic T5 inputs have fixed shapes, so their rates and MFU are reported too.
    private func benchTrainingSteps(methods list: String) throws {
        let made = try makeBenchTrainers(methods: list, communicator: SingleProcessCommunicator(), perRank: batch)
        let startup = ProcessClock.secondsSinceProcessStart()
        let (times, tokens, _) = try timedTrainingSteps(made.trainers)
        let rates = referenceRates()
        var results: [[String: Any]] = []
        var lines: [String] = []
        let firstMedian = median(times[0])
        for (index, trainer) in made.trainers.enumerated() {
            let stepMedian = median(times[index])
            let tokensPerSecond = Double(tokens[index]) / times[index].reduce(0, +)
            var result: [String: Any] = [
                "method": trainer.method, "prompt": trainer.rows, "trainable_parameters": trainer.trainableParameters,
                "step_seconds_min": times[index].min() ?? 0, "step_seconds_median": stepMedian,
                "tokens_per_second": tokensPerSecond, "median_ratio_to_first": stepMedian / firstMedian,
            ]
            var line = String(format: "%@ (n=%d, %d trainable): step min %.3f s, median %.3f s (%.3f × %@), %.0f tokens/s",
                              trainer.method, trainer.rows, trainer.trainableParameters, times[index].min() ?? 0, stepMedian,
                              stepMedian / firstMedian, made.trainers[0].method, tokensPerSecond)
            if let flops = made.stepFLOPs?(trainer.rows) {
                let gflops = flops / stepMedian / 1e9
                result.merge(["flops_per_step": flops, "gflops": gflops]) { a, _ in a }
                result.merge(rates.fields(achieved: gflops)) { a, _ in a }
                line += String(format: ", %.1f GFLOP/s → ", gflops) + rates.mfuText(achieved: gflops)
            }
            results.append(result)
            lines.append(line)
        }
        let rss = ProcessClock.maxResidentMegabytes()
        var object: [String: Any] = [
            "benchmark": made.isT5 ? "t5_training_step" : "training_step", "model": made.source, "batch": batch, "seq": seq,
            "inputs": made.inputs, "repeats": repeats, "threads": threads, "blas_core": BLAS.coreName,
            "max_rss_mb": rss, "startup_seconds": startup,
        ]
        object.merge(rates.fields()) { a, _ in a }
        object[made.isT5 ? "target" : "attention_cache"] = made.isT5 ? target as Any : attentionCache
        if results.count == 1 { object.merge(results[0]) { a, _ in a } } else { object["methods"] = results }
        try report(object, text: (["training steps of \(made.source) on \(made.inputs), interleaved:"] + lines
                                  + [rates.text() + String(format: "; peak RSS %.0f MB; start-up %.2f s", rss, startup)])
            .joined(separator: "\n"))
    }

    /// One warm-up step of each trainer (it allocates the activation arenas), then --repeats rounds of one step
    /// each, interleaved so that machine noise falls on all of them alike: per trainer its step seconds (in
    /// order), the positions its timed steps computed and, given the trainers' `collectives`, each step's seconds
    /// in them.
    func timedTrainingSteps(_ trainers: [BenchTrainer], collectives: TimedCommunicator? = nil) throws
        -> (times: [[Double]], tokens: [Int], waits: [[Double]]) {
        var times = [[Double]](repeating: [], count: trainers.count), tokens = [Int](repeating: 0, count: trainers.count)
        var waits = times
        for trainer in trainers { _ = try trainer.step() }
        for _ in 0..<repeats {
            for (index, trainer) in trainers.enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds, waited = collectives?.seconds ?? 0
                tokens[index] += try trainer.step().tokens
                times[index].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                waits[index].append((collectives?.seconds ?? 0) - waited)
            }
        }
        return (times, tokens, waits)
    }

    /// One warm-up call of `step` (it allocates the activation arenas), then --repeats timed calls: their
    /// seconds, sorted.
    func timedSteps(_ step: () throws -> Void) rethrows -> [Double] {
        try step()
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            try step()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()
    }

    /// What the BERT encoder keeps of its attention for the backward, as the JSON reports it.
    var attentionCache: String { keepAttentionProbabilities ? "probabilities" : "softmax statistics (recomputed)" }

    private func benchStep() throws {
        BLAS.setThreads(threads)
        let directory = try ModelDirectory(try ModelLocator.resolve(model))
        let encoder = try BertModel(directory: directory)
        encoder.keepsAttentionProbabilities = keepAttentionProbabilities
        let c = encoder.config
        let length = prompt + seq
        let input = PromptedBatch<Float>(batch: batch, promptLength: prompt, textLength: seq, width: c.hiddenSize)
        var synthetic = SyntheticTokens(vocabularySize: c.vocabularySize, random: RandomStream(seed: 1))
        let ids = synthetic.next(batch * seq)
        var random = synthetic.random
        let types = [Int32](repeating: 0, count: batch * seq), mask = [Int32](repeating: 1, count: batch * seq)
        let promptValues = Tensor(zeros: [max(prompt, 1), c.hiddenSize])
        random.fillUniform(promptValues.buffer, low: -0.5, high: 0.5)
        let dHidden = Tensor(zeros: [batch * length * c.hiddenSize])
        random.fillNormal(dHidden.buffer)
        let dPrompt = Tensor(zeros: [max(prompt, 1), c.hiddenSize])

        var forwardTimes: [Double] = []
        func step() throws {
            let start = DispatchTime.now().uptimeNanoseconds
            try input.fill(prompt: promptValues.pointer, ids: ids, typeIds: types, attentionMask: mask, embedding: encoder)
            _ = try input.forward(encoder, readsPromptOutputs: false)  // as the trainer: its head pools the text
            forwardTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            dPrompt.fill(0)
            input.backwardToPrompt(encoder, dLastHidden: dHidden.pointer, accumulatingInto: dPrompt.pointer)
        }
        let startup = ProcessClock.secondsSinceProcessStart()
        let times = try timedSteps(step)
        let rates = referenceRates()
        forwardTimes.removeFirst()
        let stepMedian = median(times), best = times[0], forwardMedian = median(forwardTimes)
        let tokens = Double(batch * length)
        // Model FLOPs (what PyTorch executes too) and the fewer the encoder runs (`StepFLOPs`).
        let flops = StepFLOPs(config: c, batch: batch, prompt: prompt, seq: seq,
                              recomputes: !keepAttentionProbabilities)
        let gflops = flops.model / stepMedian / 1e9, executedGFLOPS = flops.executed / stepMedian / 1e9
        let rssMB = ProcessClock.maxResidentMegabytes()
        try report([
            "benchmark": "prompt_tuning_step", "attention_cache": attentionCache, "last_layer_prompt_rows": "skipped",
            "executed_gflops": executedGFLOPS, "model": directory.url.path, "batch": batch, "seq": seq,
            "prompt": prompt, "threads": threads, "blas_core": BLAS.coreName, "row_kernels": RowKernels.familyName,
            "repeats": repeats, "step_seconds_min": best, "step_seconds_median": stepMedian, "tokens_per_second": tokens / stepMedian,
            "gflops": gflops, "max_rss_mb": rssMB, "startup_seconds": startup, "flops_per_token": flops.perToken,
            "forward_seconds_median": forwardMedian,
        ].merging(rates.fields(achieved: gflops)) { a, _ in a }, text: String(format: """
            step (B=%d, T=%d+%d, %d thread): min %.3f s, median %.3f s (forward %.3f s), %.0f tokens/s
            %.1f GFLOP/s achieved (%.1f executed), %@; peak RSS %.0f MB; start-up %.2f s
            """, batch, prompt, seq, threads, best, stepMedian, forwardMedian, tokens / stepMedian, gflops, executedGFLOPS,
                                   rates.text(achieved: gflops), rssMB, startup))
    }

    /// The one-thread sgemm rates at --shape, measured after the timed steps so that start-up stays the time to
    /// the first step.
    func referenceRates() -> SGEMMRates {
        let (m, n, k) = parsedShape!
        return SGEMMRates.measure(m: m, n: n, k: k, repeats: 10)
    }

    func report(_ object: [String: Any], text: String) throws {
        if json { try printJSON(object) } else { print(text) }
    }
}
