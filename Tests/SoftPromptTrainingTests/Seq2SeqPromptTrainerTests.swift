import Foundation
import SoftPromptCheckpoint
import SoftPromptDistributed
import SoftPromptMethods
import SoftPromptModels
import SoftPromptTasks
import SoftPromptTensor
import SoftPromptTestSupport
import SoftPromptTokenizers
import SoftPromptTraining
import Testing

@Suite struct Seq2SeqPromptTrainerTests {
    /// Each rank scales its share of the gradient by the global batch's target-token count, so N ranks take the
    /// steps one rank takes: the same θ after 8 steps of global batches 6 split into micro-batches of 2.
    @Test(arguments: [2, 3], ["pt", "dept"])
    func ranksReproduceOneRankOnTheSameGlobalBatches(ranks: Int, method: String) throws {
        let tokenizer = try T5Setup.tokenizer()
        let train = T5Setup.examples(30, seed: 1, tokenizer: tokenizer)
        // Learning rates as on the BERT path's test: at 0.3 Adam's first steps (≈ lr · sign g) let the ranks' different
        // padding and summation order (≈ 1e-7 in g) grow past 1e-6 in θ over 8 steps.
        var setting = T5Setup.options
        setting.promptLearningRate = 0.05
        setting.lowRankLearningRate = 0.005
        let options = setting
        @Sendable func run(_ communicator: any Communicator) throws -> [Float] {
            let trainer = try T5Setup.trainer(method, communicator: communicator, options: options, train: train,
                                              tokenizer: tokenizer)
            for _ in 0..<8 { try trainer.trainStep() }
            return trainer.theta
        }
        let single = try run(SingleProcessCommunicator())
        let sharded = try runRanks(ranks) { try run($0) }
        for theta in sharded {
            #expect(theta == sharded[0], "every rank holds the same θ, bit for bit")
            #expect(relativeError(theta.doubles, single.doubles) < 1e-6)
        }
        #expect(single != (try T5Setup.trainer(method, communicator: SingleProcessCommunicator(), options: options,
                                               train: train, tokenizer: tokenizer).theta), "the steps moved θ")
    }

    /// A step reports the positions the model ran: every example's prompt and text rows (the encoder packs away
    /// the padding of shorter inputs) and the decoder's targets, padded to the longest.
    @Test func aStepCountsTheEncoderRowsItRanAndThePaddedTargets() throws {
        let tokenizer = try T5Setup.tokenizer()
        let train = T5Setup.examples(6, seed: 4, tokenizer: tokenizer)
        #expect(Set(train.map(\.ids.count)).count > 1, "inputs of different lengths")
        var options = T5Setup.options
        options.microBatchSize = 6  // the whole global batch in one micro-batch
        let trainer = try T5Setup.trainer("pt", communicator: SingleProcessCommunicator(), options: options, train: train,
                                          tokenizer: tokenizer)
        let expected = train.reduce(0) { $0 + 8 + $1.ids.count } + 6 * train.map(\.target.count).max()!
        #expect(try trainer.trainStep().tokens == expected)
    }

    /// Evaluation outputs are gathered from the ranks' shares: every rank sees every input's answer.
    @Test func evaluationOnRanksGathersOneRanksOutputs() throws {
        let tokenizer = try T5Setup.tokenizer()
        let dev = T5Setup.rankSet(T5Setup.examples(13, seed: 2, tokenizer: tokenizer), tokenizer: tokenizer)
        let greedy = Seq2SeqEvaluationSet(inputs: dev.inputs, decoding: .greedy(maxTokens: 3) { Double($0.count) })
        @Sendable func outputs(_ communicator: any Communicator) throws -> [[Double]] {
            let trainer = try T5Setup.trainer("dept", communicator: communicator, options: T5Setup.options, train: [],
                                              tokenizer: tokenizer)
            return [try trainer.outputs(for: dev), try trainer.outputs(for: greedy)]
        }
        let single = try outputs(SingleProcessCommunicator())
        for shares in try runRanks(3, { try outputs($0) }) { #expect(shares == single) }
        #expect(single[0].allSatisfy { $0 == 0 || $0 == 1 })
        #expect(single[1].allSatisfy { (0...3).contains($0) }, "at most 3 tokens were generated")
    }

    /// The demo task in the text-to-text framing, over two ranks: the training loss falls and rank classification
    /// rises far beyond what 200 coin flips give (±0.035 around 0.5).
    @Test(arguments: ["pt", "dept"])
    func tinyT5LearnsTheDemoTaskOnTwoRanks(method: String) throws {
        let tokenizer = try T5Setup.tokenizer()
        let train = T5Setup.examples(1000, seed: 1, tokenizer: tokenizer)
        let dev = T5Setup.rankSet(T5Setup.examples(200, seed: 2, tokenizer: tokenizer), tokenizer: tokenizer)
        let labels = DemoTask.examples(count: 200, seed: 2).map { Double($0.label) }
        var setting = T5Setup.options
        setting.batchSize = 16
        setting.microBatchSize = 8
        setting.evalBatchSize = 50
        let options = setting, steps = 100
        let results = try runRanks(2) { communicator in
            let trainer = try T5Setup.trainer(method, communicator: communicator, options: options, train: train, tokenizer: tokenizer)
            func accuracy() throws -> Double {
                let outputs = try trainer.outputs(for: dev)
                return Double(zip(outputs, labels).filter { $0 == $1 }.count) / Double(labels.count)
            }
            let before = try accuracy()
            var losses: [Double] = []
            for _ in 0..<steps { losses.append(try trainer.trainStep().loss) }
            return (before, try accuracy(), losses)
        }
        let (before, after, losses) = results[0]
        let first = losses.prefix(10).reduce(0, +) / 10, last = losses.suffix(10).reduce(0, +) / 10
        print("T5 \(method) on 2 ranks: loss \(first) → \(last) (mean of the first/last 10 steps), "
              + "rank-classification accuracy \(before) → \(after)")
        #expect(last < 0.7 * first)
        #expect(after >= 0.75)
        #expect(after >= before + 0.1)
        #expect(results[1].1 == after, "both ranks gathered the same answers")
    }

    /// The whole training loss, run in Float64 through the trainer (prompt rows behind the encoder input, the offset on
    /// the text rows, micro-batches of a global batch, the global token count), against central differences with
    /// respect to every θ entry: PT's prompt, DePT's prompt and its low-rank pair through the offset.
    ///
    /// θ and the methods are Float32. θ sits on a grid of 2^-6 (|θ| < 1/2) and the steps are 2^-17, so θ ± h, the prompt
    /// and DePT's offset c·A·B (c = 8/√4 = 4; each product a multiple of 2^-23 below 1) are exact in Float32, and the
    /// loss is a Float64 function of θ.
    @Test(arguments: ["pt", "dept"])
    func trainingLossGradientMatchesFiniteDifferencesInFloat64(method name: String) throws {
        let model = try T5Model<Double>(directory: ModelDirectory(T5Setup.modelDirectory))
        let d = model.config.modelDim
        let method: any PromptMethod = name == "dept"
            ? DecomposedPrompt(promptLength: 2, width: d, maxLength: 8, rank: 4)
            : PromptTuning(promptLength: 3, width: d)
        let train = [Seq2SeqExample(ids: [43, 2558, 57, 873, 48, 11, 1], target: [1786, 1]),
                     Seq2SeqExample(ids: [2733, 2, 43, 47, 57, 1], target: [2744, 1]),
                     Seq2SeqExample(ids: [43, 362, 1], target: [57, 873, 11, 1])]
        var options = TrainingOptions()
        options.batchSize = 3
        options.microBatchSize = 2  // two micro-batches of different lengths
        options.maxLength = 8
        let trainer = Seq2SeqPromptTrainer(model: model, method: method, communicator: SingleProcessCommunicator(),
                                           options: options, train: train, padId: 0)
        var theta = (0..<trainer.theta.count).map { (i: Int) -> Float in
            let k: Int = (i * 37 + 11) % 61 - 30
            return Float(k) / 64
        }
        trainer.load(theta: theta)
        let (_, analytic) = try trainer.lossAndGradient(globalBatch: 0)
        let h: Float = 1.0 / 131_072  // small: the model's ReLUs must not change sides within ±h
        var numeric = [Double](repeating: 0, count: theta.count)
        for i in theta.indices {
            let value = theta[i]
            theta[i] = value + h
            trainer.load(theta: theta)
            let plus = try trainer.lossAndGradient(globalBatch: 0).loss
            theta[i] = value - h
            trainer.load(theta: theta)
            let minus = try trainer.lossAndGradient(globalBatch: 0).loss
            theta[i] = value
            numeric[i] = (plus - minus) / (2 * Double(h))
        }
        let error = relativeError(analytic.doubles, numeric)
        print("T5 \(name): training-loss gradient vs Float64 central differences, relative error \(error)")
        #expect(error <= 1e-6)
        if name == "dept" {
            let a = trainer.layout["dept.A"]!
            #expect(analytic[(a.offset + 7 * 4)..<(a.offset + 8 * 4)].allSatisfy { $0 == 0 }, "no input reaches position 7")
        }
    }
}
