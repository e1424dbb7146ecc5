import ArgumentParser
import Foundation
import SoftPromptCheckpoint
import SoftPromptDistributed
import SoftPromptMethods
import SoftPromptModels
import SoftPromptTasks
import SoftPromptTensor
import SoftPromptTokenizers
import SoftPromptTraining

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a soft prompt (one rank, or every rank of an MPI job) and export a PEFT adapter.",
        discussion: """
            Run it directly, under `softprompt launch`, or under your own mpirun/srun: each rank takes items \
            r, r+N, … of every global batch, and the ranks sum gradients deterministically, so N ranks give \
            one rank's result. Writes config.json, metrics.jsonl, summary.json and adapter/ into --output.
            """)

    @Option(help: "A YAML recipe of flag: value pairs (see launch/); flags on the command line override it.")
    var recipe: String?

    @Option(help: "Model folder (config.json, model.safetensors, tokenizer.json). Default: the installed MiniLM.")
    var model: String?

    @Option(help: "Task: \(TaskCatalog.names.joined(separator: ", ")).")
    var task = "demo"

    @Option(help: "The task's data folder (e.g. ../shared/data/glue/SST-2). Not needed for demo.")
    var data: String?

    @Option(help: "How splits are made: dept (DePT's rule: small tasks halve the validation file into validation and test; large ones hold 1,000 training examples out as validation) or plain (train on train, validate and report on the validation file).")
    var split = "dept"

    @OptionGroup var methodOptions: MethodOptions

    @Option(help: "Global batch size (all ranks together).")
    var batchSize = 32

    @Option(help: "Examples per forward/backward on a rank (gradient accumulation). Default: the rank's share.")
    var microBatchSize: Int?

    @Option(help: "Optimizer steps.")
    var steps = 300

    @Option(help: "Learning rate of the prompt.")
    var lr = 0.3

    @Option(help: "Learning rate of the classification head.")
    var headLr = 5e-3

    @Option(help: "AdamW weight decay.")
    var weightDecay = 1e-5

    @Option(help: "Warm-up steps of a linear warm-up/decay schedule (0: constant learning rate).")
    var warmup = 0

    @Option(help: "Evaluate on the dev set every this many steps (0: only at the end).")
    var evalEvery = 100

    @Option(help: "Text tokens per example, [CLS]/[SEP] included; the prompt comes on top.")
    var maxLength = 128

    @Option(help: "Seed of every random choice (initialisation, data order, dropout).")
    var seed: UInt64 = 42

    @Option(help: "Print progress every this many steps.")
    var logEvery = 10

    @Flag(help: "Dropout inside the frozen backbone, at its config.json rates (off by default; BERT only: the T5 backbone runs without dropout).")
    var backboneDropout = false

    @Flag(help: "BERT: cache the attention probabilities for the backward instead of recomputing them from two softmax statistics per row (B·H·T² more floats per layer: 190 MB in all at 32 × 148; no faster there on the reference machine, see bench/RESULTS.md).")
    var keepAttentionProbabilities = false

    @Option(help: ArgumentHelp("BERT pair tasks: joint (one sequence [CLS] a [SEP] b [SEP], methods.md §7.2) or separate (each text its own prompted sequence, mean-pooled apart; the head reads (u, v, |u − v|, u ⊙ v), as sentence-embedding models such as the default MiniLM were trained to compare texts).", valueName: "joint|separate"))
    var pairEncoding = "joint"

    @Option(help: ArgumentHelp("T5 models: how answers are read at evaluation — rank (score each verbaliser's summed token log-probability, pick the best) or greedy (greedy decoding, exact match with a verbaliser; anything else counts as wrong). STS-B is always decoded greedily and read as a number (0 when it is none).", valueName: "rank|greedy"))
    var t5Eval = "rank"

    @Option(help: "Output folder.")
    var output = "runs/latest"

    @Option(help: "Write a checkpoint every this many steps into OUTPUT/checkpoints (0: only on SIGTERM).")
    var checkpointEvery = 0

    @Option(help: "Complete checkpoints to keep.")
    var keep = 2

    @Option(help: ArgumentHelp("Continue from a checkpoint: a step-N folder, a run's output or checkpoints folder, or auto (the newest complete one in OUTPUT/checkpoints, if any).", valueName: "dir|auto"))
    var resume: String?

    func validate() throws {
        for (name, value) in [("--prompt-length", methodOptions.promptLength), ("--batch-size", batchSize), ("--steps", steps),
                              ("--max-length", maxLength)] where value < 1 {
            throw ValidationError("\(name) must be at least 1")
        }
        if let microBatchSize, microBatchSize < 1 { throw ValidationError("--micro-batch-size must be at least 1") }
        guard SplitRule(rawValue: split) != nil else { throw ValidationError("--split must be dept or plain, got \(split)") }
        if checkpointEvery < 0 { throw ValidationError("--checkpoint-every must be 0 or more") }
        if keep < 1 { throw ValidationError("--keep must be at least 1") }
        guard PairEncoding(rawValue: pairEncoding) != nil else {
            throw ValidationError("--pair-encoding must be joint or separate, got \(pairEncoding)")
        }
        guard ["rank", "greedy"].contains(t5Eval) else { throw ValidationError("--t5-eval must be rank or greedy, got \(t5Eval)") }
    }

    func run() throws {
        let communicator: any Communicator = LaunchEnvironment.isUnderMPI
            ? MPICommunicator(runtime: try MPIRuntime.shared()) : SingleProcessCommunicator()
        defer { (communicator as? MPICommunicator).map { try? $0.runtime.finalize() } }
        let isRankZero = communicator.rank == 0
        func say(_ line: String) { if isRankZero { print(line) } }

        let directory = try ModelDirectory(try ModelLocator.resolve(model))
        let pairs = PairEncoding(rawValue: pairEncoding) ?? .joint
        if try Backbone.of(directory) == .t5 {
            guard pairs == .joint else { throw ValidationError("--pair-encoding separate is for BERT encoders; T5 reads its input as text") }
            try runT5(directory: directory, communicator: communicator)
            return
        }
        let tokenizer = try WordPieceTokenizer(contentsOf: directory.tokenizerURL)
        let encoder = try BertModel(directory: directory)
        guard methodOptions.promptLength + maxLength <= encoder.config.maxPositions else {
            throw ValidationError("--prompt-length \(methodOptions.promptLength) + --max-length \(maxLength) exceeds the model's "
                                  + "\(encoder.config.maxPositions) positions (max_position_embeddings in config.json)")
        }
        encoder.keepsAttentionProbabilities = keepAttentionProbabilities
        if backboneDropout {
            encoder.dropout = BackboneDropout(config: encoder.config, random: RandomStream(seed: seed).split("dropout", communicator.rank))
        }
        let taskData = try TaskCatalog.load(task, directory: data.map { URL(fileURLWithPath: $0) }, seed: seed,
                                            rule: SplitRule(rawValue: split) ?? .dept)
        if pairs == .separate, taskData.kind != .classification && taskData.kind != .regression {
            throw ValidationError("--pair-encoding separate needs a classification or regression pair task; \(taskData.name) scores candidates")
        }
        let train = try tokenizer.encode(taskData.train, maxLength: maxLength, pairEncoding: pairs)
        let validation = try tokenizer.encode(taskData.validation, maxLength: maxLength, pairEncoding: pairs)
        let sameSplits = taskData.validation == taskData.test
        let test = sameSplits ? validation : try tokenizer.encode(taskData.test, maxLength: maxLength, pairEncoding: pairs)

        let options = trainingOptions(ranks: communicator.size)

        let d = encoder.config.hiddenSize
        let method = methodOptions.makeMethod(width: d, maxLength: maxLength, labels: taskData.labels)
        let trainer = PromptTrainer(model: encoder, method: method, classes: taskData.labels.count, kind: taskData.kind,
                                    comparesPairs: pairs == .separate, communicator: communicator, options: options, train: train,
                                    dev: sameSplits ? validation : validation + test, padId: tokenizer.padId)
        let specials = Set([tokenizer.padId, tokenizer.clsId, tokenizer.sepId, tokenizer.unkId] + (tokenizer.maskId.map { [$0] } ?? []))
        var context = InitializationContext(embeddings: encoder.wordEmbeddings, vocabularySize: encoder.config.vocabularySize,
                                            width: d, specialIds: specials, tokenize: { tokenizer.encodeSequence($0) },
                                            random: RandomStream(seed: seed).split("init"))
        try trainer.initialize(context: &context)

        let (checkpoints, out) = try openRun(
            directory: directory, methodName: method.name, layout: trainer.layout,
            data: RunFingerprints.data(task: taskData.name, split: taskData.split, train: train), communicator: communicator)
        try out.writeConfig(recordedConfig(directory: directory, backbone: .bert, task: taskData, options: options,
                                           ranks: communicator.size,
                                           counts: (taskData.train.count, taskData.validation.count, taskData.test.count)))
        out.log(["event": "start", "world_size": communicator.size, "trainable_parameters": trainer.trainableParameters,
                 "blas": BLAS.name,
                 "split": taskData.split])
        say("\(taskData.name): \(taskData.train.count) train / \(taskData.validation.count) validation / \(taskData.test.count) test examples (\(taskData.split)\(pairs == .separate ? "; pairs encoded apart" : "")); \(method.name) n=\(methodOptions.promptLength), "
            + "\(trainer.trainableParameters) trainable parameters (prompt \(trainer.layout.count(in: .prompt)), "
            + "head \(trainer.layout.count(in: .head))); \(communicator.size) rank(s), global batch \(batchSize)")

        let peftConfig: [String: Any] = [
            "peft_type": "PROMPT_TUNING", "task_type": "FEATURE_EXTRACTION", "num_virtual_tokens": methodOptions.promptLength, "token_dim": d,
            "num_transformer_submodules": 1, "num_attention_heads": encoder.config.heads,
            "num_layers": encoder.config.layers, "base_model_name_or_path": directory.url.path,
            "prompt_tuning_init": methodOptions.promptInit == "text" ? "TEXT" : "RANDOM",
            "prompt_tuning_init_text": methodOptions.promptInit == "text" ? methodOptions.promptInitText : NSNull(), "inference_mode": true,
            "revision": NSNull(), "tokenizer_name_or_path": NSNull(),
        ]
        func evaluation(_ name: String, _ examples: [TaskExample], _ encoded: [EncodedExample]) -> EvaluationSplit {
            EvaluationSplit(name: name, examples: encoded) { outputs in
                TaskMetrics.compute(kind: taskData.kind, taskName: taskData.name, examples: examples, outputs: outputs)
            }
        }
        let session = TrainingSession(
            trainer: trainer, output: out, validation: evaluation("validation", taskData.validation, validation),
            test: sameSplits ? nil : evaluation("test", taskData.test, test),
            description: [
            "task": taskData.name, "method": method.name, "model": directory.url.path, "prompt_length": methodOptions.promptLength,
            "method_label": method.name == "ept" ? "EPT-like (our reconstruction; EPT has no public code)" : method.name,
            "split": taskData.split,
            "majority_baseline": Dictionary(uniqueKeysWithValues: TaskMetrics.majorityBaseline(
                train: taskData.train, test: taskData.test, kind: taskData.kind, taskName: taskData.name).map { ($0.name, $0.value) }),
        ], peftConfig: peftConfig, methodMetadata: methodOptions.record.mapValues { "\($0)" },
            checkpoints: checkpoints, progress: say)
        try finish(session, reported: sameSplits ? "validation" : "test", say: say)
    }

    /// config.json of a run: the resolved flags, the example counts, the split and the method's options.
    func recordedConfig(directory: ModelDirectory, backbone: Backbone, task: TaskData, options: TrainingOptions,
                        ranks: Int, counts: (train: Int, validation: Int, test: Int)) -> [String: Any] {
        var config: [String: Any] = [
            "model": directory.url.path, "backbone": backbone.rawValue, "task": task.name, "data": data ?? NSNull(),
            "batch_size": batchSize, "micro_batch_size": options.microBatchSize, "steps": steps, "lr": lr,
            "head_lr": headLr, "weight_decay": weightDecay, "warmup": warmup, "eval_every": evalEvery,
            "max_length": maxLength, "seed": seed, "pair_encoding": pairEncoding, "backbone_dropout": backboneDropout, "keep_attention_probabilities": keepAttentionProbabilities, "split_rule": split,
            "world_size": ranks, "train_examples": counts.train, "validation_examples": counts.validation,
            "test_examples": counts.test, "split": task.split, "blas": BLAS.name,
        ]
        if backbone == .t5 { config["t5_eval"] = t5Eval }
        return config.merging(methodOptions.record) { current, _ in current }
    }

    /// The run's TrainingOptions from the flags: micro-batches default to a rank's share of the global batch.
    func trainingOptions(ranks: Int) -> TrainingOptions {
        var options = TrainingOptions()
        options.batchSize = batchSize
        let share = (batchSize + ranks - 1) / ranks
        options.microBatchSize = microBatchSize ?? share
        options.evalBatchSize = options.microBatchSize  // one activation arena, sized for the training micro-batch
        options.steps = steps
        options.promptLearningRate = lr
        options.headLearningRate = headLr
        options.lowRankLearningRate = methodOptions.lowRankLr
        options.weightDecay = weightDecay
        options.schedule = warmup > 0 ? .linear(warmupSteps: warmup, totalSteps: steps) : .constant
        options.evalEvery = evalEvery
        options.maxLength = maxLength
        options.seed = seed
        options.logEvery = logEvery
        return options
    }

    /// Runs the session; a stop on request exits 128 + SIGTERM after its checkpoint; rank 0 prints the result line.
    func finish<T: SessionTrainer>(_ session: TrainingSession<T>, reported: String, say: (String) -> Void) throws {
        let summary: [String: Any]
        do {
            summary = try session.run()
        } catch let stopped as TrainingStopped {
            if session.trainer.communicator.rank == 0 {
                FileHandle.standardError.write(Data("softprompt train: \(stopped)\n".utf8))
            }
            throw ExitCode(128 + SIGTERM)
        }
        let metric = summary["metric"] as? String ?? "accuracy"
        say(String(format: "%@ %@ %.4f (best θ, from step %d: %.4f); adapter: %@", reported, metric,
                   summary["\(reported).\(metric)"] as? Double ?? 0, summary["best.step"] as? Int ?? 0,
                   summary["best.\(reported).\(metric)"] as? Double ?? 0, summary["adapter"] as? String ?? ""))
    }

    /// The run's checkpoint plan (store, resume point, fingerprint of world size, method, model and the training
    /// data `data`) and its output folder: the same for both backbones.
    func openRun(directory: ModelDirectory, methodName: String, layout: ParameterLayout, data: String,
                 communicator: any Communicator) throws -> (checkpoints: CheckpointPlan, output: RunOutput) {
        let outputURL = URL(fileURLWithPath: output)
        let store = CheckpointStore(output: outputURL, keep: keep)
        let resumeFolder = try resolveResume(store: store, communicator: communicator)
        let fingerprint = RunFingerprint(
            worldSize: communicator.size,
            method: RunFingerprints.method(name: methodName, options: methodOptions.record, layout: layout),
            model: RunFingerprints.model(directory), data: data)
        let out = try RunOutput(directory: outputURL, isWriter: communicator.rank == 0, resuming: resumeFolder != nil)
        return (CheckpointPlan(store: store, every: checkpointEvery, fingerprint: fingerprint, resume: resumeFolder), out)
    }

    /// The checkpoint folder to continue from, the same on every rank (rank 0 decides for `auto`); nil to start
    /// afresh. A torn newest checkpoint is skipped with a warning; an explicit folder must be complete.
    func resolveResume(store: CheckpointStore, communicator: any Communicator) throws -> URL? {
        guard let resume else { return nil }
        func warn(_ line: String) {
            if communicator.rank == 0 { FileHandle.standardError.write(Data("softprompt train: \(line)\n".utf8)) }
        }
        let candidates: CheckpointStore
        if resume == "auto" {
            candidates = store
        } else {
            let url = URL(fileURLWithPath: resume)
            if url.lastPathComponent.hasPrefix("step-") { return url }
            let nested = url.appendingPathComponent("checkpoints")
            candidates = FileManager.default.fileExists(atPath: nested.path) ? CheckpointStore(directory: nested) : CheckpointStore(directory: url)
        }
        var chosen: [Float] = [-1]
        if communicator.rank == 0, let folder = candidates.newestComplete(warn: warn), let step = Int(folder.lastPathComponent.dropFirst(5)) {
            chosen[0] = Float(step)
        }
        try chosen.withUnsafeMutableBufferPointer { try communicator.broadcast($0, root: 0) }
        guard chosen[0] >= 0 else {
            if resume == "auto" {
                warn("--resume auto: no complete checkpoint in \(store.directory.path); starting from step 0")
                return nil
            }
            throw CheckpointError.noCheckpoint(candidates.directory.path)
        }
        return candidates.folder(step: Int(chosen[0]))
    }
}
