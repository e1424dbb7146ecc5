import Foundation
import SoftPromptCheckpoint

/// Runs a trainer for its steps: evaluation every K steps and at the end, best-θ tracking, the metrics log,
/// progress on rank 0, the adapters and summary.json at the end.
public struct TrainingSession {
    public let trainer: PromptTrainer
    public let output: RunOutput
    /// Facts about the run for summary.json (task, model, method, …).
    public let description: [String: Any]
    public let peftConfig: [String: Any]
    /// Written into method.safetensors: the method name and options, as strings.
    public let methodMetadata: [String: String]
    public let progress: (String) -> Void

    public init(trainer: PromptTrainer, output: RunOutput, description: [String: Any], peftConfig: [String: Any],
                methodMetadata: [String: String] = [:], progress: @escaping (String) -> Void) {
        self.trainer = trainer
        self.output = output
        self.description = description
        self.peftConfig = peftConfig
        self.methodMetadata = methodMetadata
        self.progress = progress
    }

    /// Trains, evaluates, exports; returns the summary it wrote.
    @discardableResult
    public func run() throws -> [String: Any] {
        let options = trainer.options
        let started = Date()
        var windowStart = Date(), windowTokens = 0
        var best: (accuracy: Double, step: Int, theta: [Float])?
        var lastAccuracy = 0.0

        func evaluate() throws {
            let accuracy = try trainer.evaluate()
            lastAccuracy = accuracy
            output.log(["event": "eval", "step": trainer.step, "dev.accuracy": accuracy])
            if best == nil || accuracy > best!.accuracy { best = (accuracy, trainer.step, trainer.theta) }
            progress(String(format: "step %d/%d  dev accuracy %.4f  (best %.4f at step %d)", trainer.step, options.steps,
                            accuracy, best!.accuracy, best!.step))
        }

        while trainer.step < options.steps {
            let report = try trainer.trainStep()
            windowTokens += report.tokens
            output.log(["event": "train", "step": report.step, "loss": report.loss, "accuracy": report.accuracy,
                        "tokens": report.tokens, "lr_factor": report.learningRateFactor])
            if report.step % max(1, options.logEvery) == 0 || report.step == options.steps {
                let elapsed = Date().timeIntervalSince(windowStart)
                let perStep = Date().timeIntervalSince(started) / Double(report.step)
                let eta = perStep * Double(options.steps - report.step)
                progress(String(format: "step %d/%d  loss %.4f  acc %.3f  %.0f tokens/s  ETA %@", report.step, options.steps,
                                report.loss, report.accuracy, Double(windowTokens) / max(elapsed, 1e-9), durationText(eta)))
                windowStart = Date()
                windowTokens = 0
            }
            if options.evalEvery > 0, report.step % options.evalEvery == 0, report.step < options.steps { try evaluate() }
        }
        try evaluate()

        let finalTheta = trainer.theta
        try output.writeTheta(finalTheta, layout: trainer.layout)
        let adapter = try output.writeAdapter(named: "adapter", prompt: trainer.exportPrompt(),
                                              head: trainer.head.tensors(theta: finalTheta),
                                              method: trainer.methodTensors(theta: finalTheta), methodMetadata: methodMetadata,
                                              peftConfig: peftConfig)
        var bestAdapter = adapter
        if let best, best.step != trainer.step {
            trainer.load(theta: best.theta)
            bestAdapter = try output.writeAdapter(named: "best-adapter", prompt: trainer.exportPrompt(),
                                                  head: trainer.head.tensors(theta: best.theta),
                                                  method: trainer.methodTensors(theta: best.theta),
                                                  methodMetadata: methodMetadata, peftConfig: peftConfig)
            trainer.load(theta: finalTheta)
        }
        var summary = description
        summary["world_size"] = trainer.communicator.size
        summary["steps"] = trainer.step
        summary["trainable_parameters"] = trainer.trainableParameters
        summary["dev.accuracy"] = lastAccuracy
        summary["best.dev.accuracy"] = best?.accuracy ?? lastAccuracy
        summary["best.step"] = best?.step ?? trainer.step
        summary["seconds"] = Date().timeIntervalSince(started)
        summary["adapter"] = adapter.path
        summary["best_adapter"] = bestAdapter.path
        summary["theta_sha256"] = finalTheta.withUnsafeBufferPointer { SHA256.hex(of: $0) }
        try output.writeSummary(summary)
        return summary
    }
}

func durationText(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
}
