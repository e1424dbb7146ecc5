import Foundation
import SoftPromptCheckpoint
import SoftPromptDistributed
import SoftPromptMethods
import SoftPromptModels
import SoftPromptTensor
import SoftPromptTraining

extension Bench {
    /// `bench` on a T5 (a folder, or `--random-model`) without --method: the bare model step (encoder n+seq, decoder
    /// --target tokens: forward, teacher-forced loss, input-gradient backward to the prompt). Synthetic ids; targets
    /// end with `</s>`. Whole training steps (--method) take the path BERT takes (`makeBenchTrainers`).
    func benchT5() throws {
        BLAS.setThreads(threads)
        let random = try randomModel.map { try RandomT5(shape: $0) }
        let directory = random == nil ? try ModelDirectory(try ModelLocator.resolve(model)) : nil
        let t5 = try random?.model ?? T5(directory: directory!)
        let source = randomModel.map { "random \($0) (weights in a temporary file)" } ?? directory!.url.path
        let c = t5.config
        var tokens = SyntheticTokens(vocabularySize: c.vocabularySize, random: RandomStream(seed: 1))
        let targets = (0..<batch).map { _ in tokens.next(target - 1) + [Int32(c.eosTokenId)] }
        let inputs = (0..<batch).map { _ in tokens.next(seq) }
        let positions = batch * (prompt + seq + target)
        let flops = Self.t5StepFLOPs(c, batch: batch, encoderLength: prompt + seq, decoderLength: target)
        let startup = ProcessClock.secondsSinceProcessStart()

        let d = c.modelDim
        let input = T5PromptedBatch<Float>(batch: batch, promptLength: prompt, textLength: seq, targetLength: target, width: d)
        let promptValues = Tensor(zeros: [max(prompt, 1), d])
        tokens.random.fillUniform(promptValues.buffer, low: -0.5, high: 0.5)
        let ids = inputs.flatMap { $0 }, mask = [Int32](repeating: 1, count: batch * seq)
        let dPrompt = Tensor(zeros: [max(prompt, 1), d])
        input.setTargets(targets.flatMap { $0 }, model: t5)
        var forwardTimes: [Double] = []
        func step() throws {
            let start = DispatchTime.now().uptimeNanoseconds
            try input.fill(prompt: promptValues.pointer, ids: ids, textMask: mask, embedding: t5)
            _ = try input.forward(t5)
            forwardTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            input.backward(t5, dLoss: 1)
            dPrompt.fill(0)
            input.accumulatePromptGradient(into: dPrompt.pointer)
        }
        let times = try timedSteps(step)
        let rates = referenceRates()
        forwardTimes.removeFirst()  // the warm-up's
        let stepMedian = median(times), gflops = flops / stepMedian / 1e9
        let forwardMedian = median(forwardTimes)
        let rss = ProcessClock.maxResidentMegabytes()
        try report([
            "benchmark": "t5_prompt_tuning_step", "model": source, "batch": batch, "seq": seq, "prompt": prompt,
            "target": target, "threads": threads, "blas_core": BLAS.coreName, "repeats": repeats,
            "flops_per_step": flops, "startup_seconds": startup,
            "step_seconds_min": times[0], "step_seconds_median": stepMedian, "forward_seconds_median": forwardMedian,
            "tokens_per_second": Double(positions) / stepMedian, "gflops": gflops, "max_rss_mb": rss,
        ].merging(rates.fields(achieved: gflops)) { a, _ in a }, text: String(format: """
            T5 %@: B=%d, encoder %d+%d, decoder %d, %d thread; %.1f GFLOP per step
            model step: min %.3f s, median %.3f s (forward %.3f s), %.0f tokens/s, %.1f GFLOP/s
            %@; peak RSS %.0f MB; start-up %.2f s
            """, source, batch, prompt, seq, target, threads, flops / 1e9, times[0], stepMedian, forwardMedian,
                        Double(positions) / stepMedian, gflops, rates.text(achieved: gflops), rss, startup))
    }

    /// FLOPs of one T5 step (the `--help` formula): 4 per weight per token that a matrix is applied to (forward 2,
    /// input-gradient backward 2) — encoder tokens through the encoder's matrices and the decoder's cross-attention
    /// keys/values, decoder tokens through the decoder's other matrices and the LM head — plus attention, 12·width
    /// per query–key pair and layer (4 forward, 8 backward).
    static func t5StepFLOPs(_ c: T5Config, batch: Int, encoderLength te: Int, decoderLength td: Int) -> Double {
        let (d, inner, f, v) = (Double(c.modelDim), Double(c.innerDim), Double(c.feedForwardDim), Double(c.vocabularySize))
        let (le, ld) = (Double(c.encoderLayers), Double(c.decoderLayers))
        let feedForward = (c.feedForward.gated ? 3 : 2) * d * f
        let perEncoderToken = le * (4 * d * inner + feedForward) + ld * 2 * d * inner
        let perDecoderToken = ld * (6 * d * inner + feedForward) + d * v
        let (b, e, t) = (Double(batch), Double(te), Double(td))
        let matrices = 4 * b * (e * perEncoderToken + t * perDecoderToken)
        let attention = 12 * b * inner * (le * e * e + ld * t * t + ld * t * e)
        return matrices + attention
    }
}
