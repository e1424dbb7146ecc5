import Foundation
import SoftPromptCheckpoint
import SoftPromptDistributed
import SoftPromptMethods
import SoftPromptModels
import SoftPromptTasks
import SoftPromptTensor
import SoftPromptTokenizers
import SoftPromptTraining

/// One trainer that `bench --method` times: a whole optimizer step of a prompt method on a BERT or a T5.
struct BenchTrainer {
    let method: String
    /// The method's prompt rows n.
    let rows: Int
    let trainableParameters: Int
    /// One optimizer step; its report counts the positions the model computed.
    let step: () throws -> StepReport
}

/// The trainers of `--method` and a description of their inputs.
struct BenchTrainers {
    let trainers: [BenchTrainer]
    let isT5: Bool
    /// The model's folder, or the random shape's name.
    let source: String
    let inputs: String
    /// FLOPs of one rank's step for a prompt of n rows, where the shapes are fixed and a formula counts them
    /// (synthetic T5 inputs); nil otherwise.
    let stepFLOPs: ((Int) -> Double)?
    /// Keeps a `--random-model`'s temporary folder until the benchmark ends.
    let keepAlive: AnyObject?
}

extension Bench {
    /// One trainer per entry of `list` (`pt`, `dept:60`, …) on the model of --model or --random-model, each with its
    /// own θ and optimizer and the same training units: `perRank` × the communicator's size of them per global
    /// batch, enough for a warm-up and --repeats steps. The units are synthetic sequences of exactly --seq tokens
    /// (T5: and targets of --target tokens), or with --data the task's first training examples, framed and
    /// tokenized as `train` does (batches padded to their longest).
    func makeBenchTrainers(methods list: String, communicator: any Communicator, perRank: Int) throws -> BenchTrainers {
        BLAS.setThreads(threads)
        let entries = try list.split(separator: ",").map { entry -> (name: String, rows: Int, options: MethodOptions) in
            let parts = entry.split(separator: ":")
            let name = String(parts[0]), rows = parts.count > 1 ? Int(parts[1]) ?? prompt : prompt
            return (name, rows, try MethodOptions.parse(["--method", name, "--prompt-length", String(rows)]))
        }
        var options = TrainingOptions()
        options.batchSize = perRank * communicator.size
        options.microBatchSize = perRank
        options.evalBatchSize = perRank
        options.maxLength = seq
        let units = options.batchSize * (repeats + 1)
        if let randomModel {
            let random = try RandomT5(shape: randomModel)
            return try t5Trainers(entries, model: random.model, source: "random \(randomModel)", tokenizer: nil, units: units,
                                  options: options, communicator: communicator, keepAlive: random)
        }
        let directory = try ModelDirectory(try ModelLocator.resolve(model))
        if try Backbone.of(directory) == .t5 {
            let model = try T5(directory: directory)
            let tokenizer = try data.map { _ in try UnigramTokenizer(contentsOf: directory.tokenizerURL) }
            if let tokenizer { try T5Inputs.check(tokenizer: tokenizer, model: model, directory: directory) }
            return try t5Trainers(entries, model: model, source: directory.url.path, tokenizer: tokenizer,
                                  units: units, options: options, communicator: communicator, keepAlive: nil)
        }
        return try bertTrainers(entries, directory: directory, units: units, options: options, communicator: communicator)
    }

    private func bertTrainers(_ entries: [(name: String, rows: Int, options: MethodOptions)], directory: ModelDirectory,
                              units: Int, options: TrainingOptions, communicator: any Communicator) throws -> BenchTrainers {
        let encoder = try BertModel(directory: directory)
        encoder.keepsAttentionProbabilities = keepAttentionProbabilities
        let c = encoder.config
        var tokens = SyntheticTokens(vocabularySize: c.vocabularySize, random: RandomStream(seed: 1))
        var examples: [EncodedExample]
        var labels = ["a", "b"], kind = TaskKind.classification
        if let data {
            let tokenizer = try WordPieceTokenizer(contentsOf: directory.tokenizerURL)
            let task = try TaskCatalog.load(self.task, directory: URL(fileURLWithPath: data), seed: 1)
            examples = try tokenizer.encode(Array(task.train.prefix(units)), maxLength: seq, pairEncoding: .joint)
            (labels, kind) = (task.labels, task.kind)
        } else {
            examples = (0..<units).map { i in
                EncodedExample(ids: tokens.next(seq), typeIds: Array(repeating: 0, count: seq), label: i % 2)
            }
        }
        let trainers = try entries.map { entry in
            let method = entry.options.makeMethod(width: c.hiddenSize, maxLength: seq, labels: labels)
            let trainer = PromptTrainer(model: encoder, method: method, classes: labels.count, kind: kind,
                                        communicator: communicator, options: options, train: examples, dev: [], padId: 0)
            var context = InitializationContext(embeddings: encoder.wordEmbeddings, vocabularySize: c.vocabularySize,
                                                width: c.hiddenSize, specialIds: [0], tokenize: tokens.tokenize,
                                                random: RandomStream(seed: 2))
            try trainer.initialize(context: &context)
            return BenchTrainer(method: entry.name, rows: entry.rows, trainableParameters: trainer.trainableParameters,
                                step: { try trainer.trainStep() })
        }
        return BenchTrainers(trainers: trainers, isT5: false, source: directory.url.path,
                             inputs: inputsDescription(perRank: options.microBatchSize, t5: false), stepFLOPs: nil, keepAlive: nil)
    }

    /// T5 trainers; `tokenizer` is the model folder's, present exactly when --data is.
    private func t5Trainers(_ entries: [(name: String, rows: Int, options: MethodOptions)], model t5: T5, source: String,
                            tokenizer: UnigramTokenizer?, units: Int, options: TrainingOptions,
                            communicator: any Communicator, keepAlive: AnyObject?) throws -> BenchTrainers {
        let c = t5.config
        var tokens = SyntheticTokens(vocabularySize: c.vocabularySize, random: RandomStream(seed: 1))
        var examples: [Seq2SeqExample]
        var labels = ["a", "b"]
        if let data, let tokenizer {
            let task = try TextToTextTask.load(self.task, directory: URL(fileURLWithPath: data), seed: 1)
            examples = T5Inputs.examples(Array(task.train.prefix(units)), tokenizer: tokenizer, maxLength: seq)
            labels = task.verbalizers.isEmpty ? labels : task.verbalizers
        } else {
            examples = (0..<units).map { _ in
                Seq2SeqExample(ids: tokens.next(seq), target: tokens.next(target - 1) + [Int32(c.eosTokenId)])
            }
        }
        let trainers = try entries.map { entry in
            let method = entry.options.makeMethod(width: c.modelDim, maxLength: seq, labels: labels)
            let trainer = Seq2SeqPromptTrainer(model: t5, method: method, communicator: communicator, options: options,
                                               train: examples, padId: Int32(c.padTokenId))
            var context = tokenizer.map { T5Inputs.initializationContext(model: t5, tokenizer: $0, random: RandomStream(seed: 2)) }
                ?? InitializationContext(embeddings: t5.wordEmbeddings, vocabularySize: c.vocabularySize, width: c.modelDim,
                                         specialIds: [0, 1, 2], tokenize: tokens.tokenize, random: RandomStream(seed: 2))
            try trainer.initialize(context: &context)
            return BenchTrainer(method: entry.name, rows: entry.rows, trainableParameters: trainer.trainableParameters,
                                step: { try trainer.trainStep() })
        }
        // Synthetic inputs have the fixed shapes the FLOP formula counts; a rank's step runs its share of them.
        let (perRank, textLength, targetLength) = (options.microBatchSize, seq, target)
        let stepFLOPs: ((Int) -> Double)? = data != nil ? nil : { rows in
            Self.t5StepFLOPs(c, batch: perRank, encoderLength: rows + textLength, decoderLength: targetLength)
        }
        return BenchTrainers(trainers: trainers, isT5: true, source: source, inputs: inputsDescription(perRank: perRank, t5: true),
                             stepFLOPs: stepFLOPs, keepAlive: keepAlive)
    }

    private func inputsDescription(perRank: Int, t5: Bool) -> String {
        if data != nil { return "\(task) training batches of \(perRank) per rank, padded to their longest (≤ \(seq) tokens)" }
        return "synthetic \(perRank)×\(seq) tokens per rank" + (t5 ? ", targets of \(target)" : "")
    }
}
