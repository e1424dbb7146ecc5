import Foundation
import SoftPromptCheckpoint
import SoftPromptTasks
import SoftPromptTensor

/// A split the session evaluates on, and how its outputs become metrics (primary metric first). `examples` is what
/// the trainer turns into one output per example (`SessionTrainer.outputs(for:)`): encoded examples for the BERT
/// trainer, inputs and a decoding rule for T5 (`Seq2SeqEvaluationSet`).
public struct SplitEvaluation<Examples> {
    public let name: String
    public let examples: Examples
    public let metrics: ([Double]) -> [(name: String, value: Double)]

    public init(name: String, examples: Examples, metrics: @escaping ([Double]) -> [(name: String, value: Double)]) {
        self.name = name
        self.examples = examples
        self.metrics = metrics
    }
}

/// A split of the BERT trainer.
public typealias EvaluationSplit = SplitEvaluation<[EncodedExample]>

extension SplitEvaluation where Examples == [EncodedExample] {
    /// Accuracy of predicted classes (`TaskObjective.output` of a classification head).
    public static func accuracy(name: String, examples: [EncodedExample]) -> EvaluationSplit {
        EvaluationSplit(name: name, examples: examples) { outputs in
            [("accuracy", SoftPromptTasks.accuracy(predictions: outputs.map { Int($0) }, labels: examples.map(\.label)))]
        }
    }
}

/// How a session checkpoints and where it resumes from.
public struct CheckpointPlan: Sendable {
    public var store: CheckpointStore
    /// Checkpoint every this many steps (0: only when asked to stop).
    public var every: Int
    public var fingerprint: RunFingerprint
    /// A complete checkpoint folder to continue from.
    public var resume: URL?

    public init(store: CheckpointStore, every: Int, fingerprint: RunFingerprint, resume: URL? = nil) {
        self.store = store
        self.every = every
        self.fingerprint = fingerprint
        self.resume = resume
    }
}

/// The run stopped early, on request, after writing a checkpoint.
public struct TrainingStopped: Error, CustomStringConvertible {
    public var step: Int
    public var checkpoint: URL
    public var description: String {
        "stopped at step \(step) on request (SIGTERM or the launcher); checkpoint \(checkpoint.path); continue with --resume auto"
    }
}

/// Runs a trainer for its steps: evaluation on the validation split every K steps and at the end, the best θ by
/// the validation split's primary metric, the test split's metrics for the final and the best θ, the metrics
/// log, progress on rank 0, the adapters and summary.json at the end. The same for every backbone (`SessionTrainer`).
public struct TrainingSession<Trainer: SessionTrainer> {
    public let trainer: Trainer
    public let output: RunOutput
    /// Selects the best θ (its first metric is the primary one).
    public let validation: SplitEvaluation<Trainer.Examples>
    /// Reported for the final and the best θ; nil when it is the validation split itself.
    public let test: SplitEvaluation<Trainer.Examples>?
    /// Facts about the run for summary.json (task, model, method, …).
    public let description: [String: Any]
    public let peftConfig: [String: Any]
    /// Written into method.safetensors: the method name and options, as strings.
    public let methodMetadata: [String: String]
    public let progress: (String) -> Void
    public let checkpoints: CheckpointPlan?

    public init(trainer: Trainer, output: RunOutput, validation: SplitEvaluation<Trainer.Examples>,
                test: SplitEvaluation<Trainer.Examples>? = nil,
                description: [String: Any], peftConfig: [String: Any], methodMetadata: [String: String] = [:],
                checkpoints: CheckpointPlan? = nil, progress: @escaping (String) -> Void) {
        self.checkpoints = checkpoints
        self.trainer = trainer
        self.output = output
        self.validation = validation
        self.test = test
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
        var best: (score: Double, step: Int, theta: [Float])?
        var last: [(name: String, value: Double)] = []
        let rank = trainer.communicator.rank
        let heartbeat = Heartbeat(rank: rank)
        trainer.onEvaluationChunk = { [trainer] in heartbeat.beat(step: trainer.step) }
        defer { trainer.onEvaluationChunk = nil }
        let stopRequest = checkpoints.map { _ in StopRequest() }
        let fault = try FaultInjection.fromEnvironment()
        let restart = FaultInjection.restartCount()
        var resumedFrom: Int?

        if let checkpoints, let folder = checkpoints.resume {
            let (state, rankState) = try checkpoints.store.load(folder, rank: rank, fingerprint: checkpoints.fingerprint)
            try trainer.restore(state)
            best = state.best.map { ($0.score, $0.step, $0.theta) }
            if let words = rankState.dropoutWords, let random = RandomStream(state: words) { trainer.dropoutRandom = random }
            try output.rewindMetrics(toStep: state.step)
            output.log(["event": "resume", "step": state.step, "checkpoint": folder.path, "restart": restart])
            progress("resumed from \(folder.path) at step \(state.step)")
            resumedFrom = state.step
        }

        func checkpoint() throws -> URL {
            guard let checkpoints else { preconditionFailure("checkpoint without a plan") }
            let state = TrainingState(step: trainer.step, theta: trainer.theta, optimizerStep: trainer.optimizer.step,
                                      firstMoment: trainer.optimizer.firstMoment, secondMoment: trainer.optimizer.secondMoment,
                                      best: best.map { .init(score: $0.score, step: $0.step, theta: $0.theta) })
            let started = Date()
            let folder = try checkpoints.store.write(
                state: state, rankState: RankState(rank: rank, dataCursor: trainer.step, dropoutState: trainer.dropoutRandom?.state),
                fingerprint: checkpoints.fingerprint, communicator: trainer.communicator)
            output.log(["event": "checkpoint", "step": trainer.step, "path": folder.path,
                        "seconds": Date().timeIntervalSince(started)])
            return folder
        }
        /// Every rank's stop request, agreed on: a stop seen by one rank stops all of them at the same step.
        func agreedStop() throws -> Bool {
            guard let stopRequest else { return false }
            var flag: [Float] = [stopRequest.isRequested ? 1 : 0]
            try flag.withUnsafeMutableBufferPointer { try trainer.communicator.allreduceSum($0) }
            return flag[0] > 0
        }

        func scores(_ split: SplitEvaluation<Trainer.Examples>) throws -> [(name: String, value: Double)] {
            split.metrics(try trainer.outputs(for: split.examples))
        }
        func evaluate() throws {
            last = try scores(validation)
            var event: [String: Any] = ["event": "eval", "step": trainer.step]
            for (name, value) in last { event["\(validation.name).\(name)"] = value }
            output.log(event)
            let primary = last.first?.value ?? 0
            if best == nil || primary > best!.score { best = (primary, trainer.step, trainer.theta) }
            progress(String(format: "step %d/%d  %@ %@ %.4f  (best %.4f at step %d)", trainer.step, options.steps,
                            validation.name, last.first?.name ?? "", primary, best!.score, best!.step))
        }

        while trainer.step < options.steps {
            fault?.strikeIfDue(rank: rank, step: trainer.step + 1, restart: restart)
            let report = try trainer.trainStep()
            heartbeat.beat(step: report.step)
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
            let stop = try agreedStop()
            if let every = checkpoints?.every, (every > 0 && report.step % every == 0) || stop {
                let folder = try checkpoint()
                if stop {
                    output.log(["event": "stop", "step": report.step, "checkpoint": folder.path])
                    throw TrainingStopped(step: report.step, checkpoint: folder)
                }
            }
        }
        try evaluate()
        var summary = description
        summary["metric"] = last.first?.name ?? ""
        for (name, value) in last { summary["\(validation.name).\(name)"] = value }
        let finalTheta = trainer.theta
        let finalTest = try test.map { try scores($0) } ?? []
        if let test {
            var event: [String: Any] = ["event": "test", "step": trainer.step]
            for (name, value) in finalTest { event["\(test.name).\(name)"] = value }
            output.log(event)
        }
        for (name, value) in finalTest { summary["\(test!.name).\(name)"] = value }
        // The best θ's scores: the final ones when the last evaluation was the best.
        var bestValidation = last, bestTest = finalTest
        if let best, best.step != trainer.step {
            trainer.load(theta: best.theta)
            bestValidation = try scores(validation)
            bestTest = try test.map { try scores($0) } ?? []
            trainer.load(theta: finalTheta)
        }
        for (name, value) in bestValidation { summary["best.\(validation.name).\(name)"] = value }
        for (name, value) in bestTest { summary["best.\(test!.name).\(name)"] = value }

        try output.writeTheta(finalTheta, layout: trainer.layout)
        let adapter = try output.writeAdapter(named: "adapter", prompt: trainer.exportPrompt(),
                                              head: trainer.headTensors(theta: finalTheta),
                                              method: trainer.methodTensors(theta: finalTheta), methodMetadata: methodMetadata,
                                              peftConfig: peftConfig)
        var bestAdapter = adapter
        if let best, best.step != trainer.step {
            trainer.load(theta: best.theta)
            bestAdapter = try output.writeAdapter(named: "best-adapter", prompt: trainer.exportPrompt(),
                                                  head: trainer.headTensors(theta: best.theta),
                                                  method: trainer.methodTensors(theta: best.theta),
                                                  methodMetadata: methodMetadata, peftConfig: peftConfig)
            trainer.load(theta: finalTheta)
        }
        summary["world_size"] = trainer.communicator.size
        summary["restarts"] = restart
        summary["resumed_from_step"] = resumedFrom ?? NSNull()
        summary["steps"] = trainer.step
        summary["trainable_parameters"] = trainer.trainableParameters
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
