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

@Suite struct TaskObjectiveTests {
    static let kinds: [TaskKind] = [.classification, .regression, .binaryCandidates, .multipleChoice(candidates: 3)]

    /// Loss sum / B as a function of the logits, and its analytic gradient, for `rows` rows of a kind.
    func lossAndGradient(_ objective: TaskObjective, logits: [Float], labels: [Int32], scores: [Float],
                         units: Int) -> (Double, [Float]) {
        var d = [Float](repeating: .nan, count: logits.count)
        let (loss, _) = objective.lossAndGradient(logits: logits, labels: labels, scores: scores, rows: labels.count,
                                                  globalUnits: units, dLogits: &d)
        return (loss / Double(units), d)
    }

    @Test(arguments: kinds)
    func theGradientOfEveryLossMatchesCentralDifferences(kind: TaskKind) {
        let objective = TaskObjective(kind: kind, classes: 3)
        let rows = 6, width = objective.outputs
        var logits = randomValues(rows * width, seed: 3, scale: 2).floats
        let labels: [Int32] = switch kind {
        case .classification: [0, 2, 1, 1, 0, 2]
        case .multipleChoice: [0, 1, 0, 1, 0, 0]
        default: [1, 0, 0, 1, 1, 0]
        }
        let scores: [Float] = [0.5, 4.2, 1, 3.3, 2.5, 0]
        let units = rows / objective.unitSize
        let (_, analytic) = lossAndGradient(objective, logits: logits, labels: labels, scores: scores, units: units)
        for i in logits.indices {
            let x = logits[i], h: Float = 1e-2
            logits[i] = x + h
            let up = lossAndGradient(objective, logits: logits, labels: labels, scores: scores, units: units).0
            logits[i] = x - h
            let down = lossAndGradient(objective, logits: logits, labels: labels, scores: scores, units: units).0
            logits[i] = x
            #expect(abs(Double(analytic[i]) - (up - down) / Double(2 * h)) < 2e-3, "\(kind) logit \(i)")
        }
    }

    @Test func eachKindPredictsWhatItsMetricReads() {
        let logits: [Float] = [0.2, 1.5, -0.3]
        #expect(TaskObjective(kind: .classification, classes: 3).output(logits: logits, row: 0) == 1)
        #expect(TaskObjective(kind: .regression, classes: 1).output(logits: logits, row: 1) == 1.5)
        #expect(TaskObjective(kind: .binaryCandidates, classes: 2).output(logits: logits, row: 2) == 0)
        #expect(TaskObjective(kind: .multipleChoice(candidates: 3), classes: 2).output(logits: logits, row: 0) == Double(Float(0.2)))
    }
}

/// Multiple-choice and regression training on the tiny model: candidates stay together in one rank's shard, and
/// N ranks still reproduce one rank.
@Suite struct TaskKindTrainingTests {
    /// Questions of 2 candidates; the right candidate is the one containing token 7.
    static func choiceExamples(_ questions: Int, seed: UInt64) -> [EncodedExample] {
        var random = RandomStream(seed: seed)
        return (0..<questions).flatMap { _ -> [EncodedExample] in
            let right = Int(random.next() % 2)
            return (0..<2).map { candidate in
                let length = 4 + Int(random.next() % 5)
                var ids: [Int32] = [1] + (0..<length - 2).map { _ in Int32(8 + random.next() % 89) } + [2]
                if candidate == right { ids[1 + Int(random.next() % UInt64(length - 2))] = 7 }
                return EncodedExample(ids: ids, typeIds: Array(repeating: 0, count: length), label: candidate == right ? 1 : 0)
            }
        }
    }

    static func train(kind: TaskKind, comparesPairs: Bool = false, examples: [EncodedExample], communicator: any Communicator,
                      steps: Int) throws -> PromptTrainer {
        let model = try BertModel(directory: ModelDirectory(TinySetup.modelDirectory))
        var options = TinySetup.options
        options.promptLearningRate = 0.1
        options.headLearningRate = 0.05
        let method = PromptTuning(promptLength: 4, width: 32, initialization: .sampledVocabulary(population: 97))
        let trainer = PromptTrainer(model: model, method: method, classes: 2, kind: kind, comparesPairs: comparesPairs,
                                    communicator: communicator, options: options, train: examples, dev: examples, padId: 0)
        var context = InitializationContext(embeddings: model.wordEmbeddings, vocabularySize: 97, width: 32,
                                            specialIds: [0, 1, 2], tokenize: { _ in [] }, random: RandomStream(seed: 5))
        try trainer.initialize(context: &context)
        for _ in 0..<steps { try trainer.trainStep() }
        return trainer
    }

    @Test func multipleChoiceBatchesCountQuestionsAndKeepCandidatesTogether() throws {
        let examples = Self.choiceExamples(30, seed: 1)
        let trainer = try Self.train(kind: .multipleChoice(candidates: 2), examples: examples,
                                     communicator: SingleProcessCommunicator(), steps: 0)
        #expect(trainer.trainingUnits == 30)
        // Batch 6 = 6 questions = 12 rows (both candidates of each), each row the prompt (4) and its text; padding
        // is not computed, so not counted.
        let units = trainer.globalBatch(0)
        #expect(units.count == 6)
        let expected = units.flatMap { [examples[$0 * 2], examples[$0 * 2 + 1]] }.reduce(0) { $0 + 4 + $1.ids.count }
        #expect(try trainer.trainStep().tokens == expected)
    }

    @Test func multipleChoiceRanksReproduceOneRankAndLearn() throws {
        let examples = Self.choiceExamples(60, seed: 1)
        let single = try Self.train(kind: .multipleChoice(candidates: 2), examples: examples,
                                    communicator: SingleProcessCommunicator(), steps: 12)
        let sharded = try runRanks(3) {
            try Self.train(kind: .multipleChoice(candidates: 2), examples: examples, communicator: $0, steps: 12).theta
        }
        #expect(relativeError(sharded[0].doubles, single.theta.doubles) < 1e-6)
        let outputs = try single.outputs(for: examples)
        #expect(outputs.count == examples.count)
        let learned = try Self.train(kind: .multipleChoice(candidates: 2), examples: examples,
                                     communicator: SingleProcessCommunicator(), steps: 150)
        #expect(try learned.evaluate() > 0.7)
    }

    @Test func regressionFitsAScoreAndGathersOutputsAcrossRanks() throws {
        // Score = 4 when token 7 occurs, else 1.
        let examples = TinySetup.examples(60, seed: 1).map {
            EncodedExample(ids: $0.ids, typeIds: $0.typeIds, label: 0, score: $0.label == 1 ? 4 : 1)
        }
        let trainer = try Self.train(kind: .regression, examples: examples, communicator: SingleProcessCommunicator(), steps: 150)
        let outputs = try trainer.outputs(for: examples)
        let error = zip(outputs, examples).map { ($0 - $1.score) * ($0 - $1.score) }.reduce(0, +) / Double(examples.count)
        #expect(error < 1.0, "mean squared error \(error) (predicting the mean gives 2.25)")
        let ranks = try runRanks(2) { communicator -> [Double] in
            let t = try Self.train(kind: .regression, examples: examples, communicator: communicator, steps: 2)
            return try t.outputs(for: examples)
        }
        #expect(ranks[0] == ranks[1])
    }
}
