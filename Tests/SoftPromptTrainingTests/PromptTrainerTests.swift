import Foundation
import SoftPromptCheckpoint
import SoftPromptDistributed
import SoftPromptMethods
import SoftPromptModels
import SoftPromptTasks
import SoftPromptTensor
import SoftPromptTestSupport
import SoftPromptTraining
import Testing

/// The tiny random BERT of the Models fixtures, and a learnable toy task on its 97-token vocabulary:
/// label 1 when token 7 occurs in the text.
enum TinySetup {
    static let modelDirectory: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return url.appendingPathComponent("Tests/SoftPromptModelsTests/Fixtures/tiny-bert")
    }()

    static func examples(_ count: Int, seed: UInt64) -> [EncodedExample] {
        var random = RandomStream(seed: seed)
        return (0..<count).map { _ in
            let length = 3 + Int(random.next() % 8)
            var ids: [Int32] = [1] + (0..<length - 2).map { _ in Int32(8 + random.next() % 89) } + [2]
            let label = Int(random.next() % 2)
            if label == 1 { ids[1 + Int(random.next() % UInt64(length - 2))] = 7 }
            return EncodedExample(ids: ids, typeIds: Array(repeating: 0, count: length), label: label)
        }
    }

    static var options: TrainingOptions {
        var o = TrainingOptions()
        o.batchSize = 6
        o.microBatchSize = 2
        o.evalBatchSize = 4
        o.steps = 20
        o.promptLearningRate = 0.05
        o.headLearningRate = 0.01
        o.maxLength = 12
        o.seed = 3
        return o
    }

    /// A single-rank trainer of PT (n = 4) on the toy task, θ initialised.
    static func initializedTrainer(options: TrainingOptions, train: Int, dev: Int,
                                   model: BertModel? = nil) throws -> PromptTrainer {
        let model = try model ?? BertModel(directory: ModelDirectory(modelDirectory))
        let trainer = PromptTrainer(model: model, method: PromptTuning(promptLength: 4, width: 32), classes: 2,
                                    communicator: SingleProcessCommunicator(), options: options,
                                    train: examples(train, seed: 1), dev: examples(dev, seed: 2), padId: 0)
        var context = InitializationContext(embeddings: model.wordEmbeddings, vocabularySize: 97, width: 32,
                                            specialIds: [0, 1, 2], tokenize: { _ in [] }, random: RandomStream(seed: 5))
        try trainer.initialize(context: &context)
        return trainer
    }

    /// θ after `steps` steps with `communicator` (one call per rank thread).
    static func train(communicator: any Communicator, steps: Int = 20) throws -> [Float] {
        let model = try BertModel(directory: ModelDirectory(modelDirectory))
        let method = PromptTuning(promptLength: 4, width: model.config.hiddenSize, initialization: .sampledVocabulary(population: 97))
        let trainer = PromptTrainer(model: model, method: method, classes: 2, communicator: communicator, options: options,
                                    train: examples(60, seed: 1), dev: examples(20, seed: 2), padId: 0)
        var context = InitializationContext(embeddings: model.wordEmbeddings, vocabularySize: 97, width: model.config.hiddenSize,
                                            specialIds: [0, 1, 2], tokenize: { _ in [] }, random: RandomStream(seed: 5))
        try trainer.initialize(context: &context)
        for _ in 0..<steps { try trainer.trainStep() }
        return trainer.theta
    }
}

@Suite struct PromptTrainerTests {
    @Test(arguments: [2, 3])
    func ranksReproduceOneRankOnTheSameGlobalBatches(ranks: Int) throws {
        let single = try TinySetup.train(communicator: SingleProcessCommunicator())
        let sharded = try runRanks(ranks) { try TinySetup.train(communicator: $0) }
        for theta in sharded {
            #expect(theta == sharded[0], "every rank holds the same θ, bit for bit")
            // Not bit-identical: a rank's micro-batches hold other examples than one rank's, so OpenBLAS rounds
            // products of other shapes (M), and AdamW's normalised steps carry the Float32 rounding on for 20 steps.
            #expect(relativeError(theta.doubles, single.doubles) < 5e-6)
        }
    }

    @Test func sameSeedAndRanksAreBitIdentical() throws {
        let first = try runRanks(2) { try TinySetup.train(communicator: $0, steps: 8) }
        let second = try runRanks(2) { try TinySetup.train(communicator: $0, steps: 8) }
        #expect(first[0] == second[0])
    }

    @Test func globalBatchesWalkASeededPermutationAcrossEpochs() throws {
        let model = try BertModel(directory: ModelDirectory(TinySetup.modelDirectory))
        let trainer = PromptTrainer(model: model, method: PromptTuning(promptLength: 2, width: 32), classes: 2,
                                    communicator: SingleProcessCommunicator(), options: TinySetup.options,
                                    train: TinySetup.examples(12, seed: 1), dev: [], padId: 0)
        let epoch = (0..<2).flatMap { trainer.globalBatch($0) }
        #expect(Set(epoch) == Set(0..<12) && epoch.count == 12)
        let next = (2..<4).flatMap { trainer.globalBatch($0) }
        #expect(Set(next) == Set(0..<12) && next != epoch)
    }

    /// Evaluation runs in eval mode, as PyTorch's `model.eval()`: with backbone dropout on, the dev outputs are
    /// the dropout-free ones, and evaluating draws nothing from the dropout stream.
    @Test func evaluationRunsWithoutBackboneDropout() throws {
        let plain = try TinySetup.initializedTrainer(options: TinySetup.options, train: 12, dev: 24)
        let model = try BertModel(directory: ModelDirectory(TinySetup.modelDirectory))
        let stream = RandomStream(seed: 11)
        model.dropout = BackboneDropout(hidden: 0.5, attention: 0.5, random: stream)
        let dropping = try TinySetup.initializedTrainer(options: TinySetup.options, train: 12, dev: 24, model: model)
        let dev = TinySetup.examples(24, seed: 2)
        #expect(try dropping.localOutputs(for: dev) == plain.localOutputs(for: dev))
        #expect(model.dropout?.random == stream)
        _ = try dropping.trainStep()
        #expect(model.dropout?.random != stream, "training steps still drop")
    }

    @Test func tinyModelLearnsTheToyTask() throws {
        var options = TinySetup.options
        options.promptLearningRate = 0.1
        options.headLearningRate = 0.05
        let trainer = try TinySetup.initializedTrainer(options: options, train: 120, dev: 60)
        let first = try trainer.trainStep().loss
        var last = first
        for _ in 0..<150 { last = try trainer.trainStep().loss }
        #expect(last < first)
        #expect(try trainer.evaluate() > 0.7)
    }
}
