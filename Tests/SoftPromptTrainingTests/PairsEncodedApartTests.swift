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

/// `--pair-encoding separate`: each text of a pair is its own prompted row, and the head reads SBERT's pair
/// features (u, v, |u − v|, u ⊙ v) of the two pooled rows.
@Suite struct PairsEncodedApartTests {
    @Test func eachPairBecomesTwoSingleTextRowsCarryingItsTarget() throws {
        let tokenizer = try WordPieceTokenizer(contentsOf: TinySetup.modelDirectory.appendingPathComponent("tokenizer.json"))
        let examples = [TaskExample(text: "the first text", pair: "a second one", label: 1, score: 2.5),
                        TaskExample(text: "another", pair: "pair", label: 0)]
        let rows = try tokenizer.encode(examples, maxLength: 6, pairEncoding: .separate)
        #expect(rows.count == 4)
        for (i, text) in ["the first text", "a second one", "another", "pair"].enumerated() {
            let alone = tokenizer.encode(text, pair: nil, maxLength: 6)
            #expect(rows[i].ids == alone.ids && rows[i].typeIds == alone.typeIds)
            #expect(rows[i].typeIds.allSatisfy { $0 == 0 })
            #expect(rows[i].label == examples[i / 2].label && rows[i].score == examples[i / 2].score)
        }
        #expect(try tokenizer.encode(examples, maxLength: 6, pairEncoding: .joint) == tokenizer.encode(examples, maxLength: 6))
        #expect(throws: PairEncodingError.singleText(index: 1)) {
            try tokenizer.encode([examples[0], TaskExample(text: "alone", label: 0)], maxLength: 6, pairEncoding: .separate)
        }
    }

    /// L = Σ w ⊙ logits over the pair features of pooled hidden rows: the head's analytic gradients of its
    /// weight, its bias and the hidden rows match central differences.
    @Test func pairHeadGradientsMatchCentralDifferences() {
        let (classes, width, batch, length) = (3, 5, 4, 3)  // 2 pairs of 3-row sequences
        let head = ClassificationHead(classes: classes, width: width, comparesPairs: true)
        var layout = ParameterLayout()
        head.declare(in: &layout)
        #expect(layout.count == classes * 4 * width + classes)
        var theta = randomValues(layout.count, seed: 11, scale: 0.5).floats
        var hidden = randomValues(batch * length * width, seed: 12).floats
        let poolMask: [Int32] = [1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 1]
        let weights = randomValues(2 * classes, seed: 13).floats
        func loss() -> Double {
            var pooled = [Float](repeating: 0, count: batch * width), logits = [Float](repeating: 0, count: 2 * classes)
            head.forward(theta: theta, hidden: hidden, poolMask: poolMask, batch: batch, length: length,
                         pooled: &pooled, logits: &logits)
            return zip(weights, logits).reduce(0) { $0 + Double($1.0 * $1.1) }
        }
        var pooled = [Float](repeating: 0, count: batch * width), logits = [Float](repeating: 0, count: 2 * classes)
        head.forward(theta: theta, hidden: hidden, poolMask: poolMask, batch: batch, length: length,
                     pooled: &pooled, logits: &logits)
        var gradient = [Float](repeating: 0, count: layout.count), dPooled = pooled
        var dHidden = [Float](repeating: .nan, count: hidden.count)
        head.backward(theta: theta, dLogits: weights, pooled: pooled, poolMask: poolMask, batch: batch, length: length,
                      gradient: &gradient, dPooled: &dPooled, dHidden: &dHidden)
        let h: Float = 1e-2
        func central(at x: Float, _ set: (Float) -> Void) -> Double {
            set(x + h)
            let up = loss()
            set(x - h)
            let down = loss()
            set(x)
            return (up - down) / Double(2 * h)
        }
        for i in theta.indices {
            #expect(abs(Double(gradient[i]) - central(at: theta[i]) { theta[i] = $0 }) < 2e-3, "θ \(i)")
        }
        for i in hidden.indices {
            #expect(abs(Double(dHidden[i]) - central(at: hidden[i]) { hidden[i] = $0 }) < 2e-3, "hidden \(i)")
        }
    }

    /// Pairs labelled 1 when both texts contain token 7 or neither does: only a comparison of the two rows
    /// tells. Rows: first text, second text.
    static func samenessPairs(_ count: Int, seed: UInt64) -> [EncodedExample] {
        var random = RandomStream(seed: seed)
        return (0..<count).flatMap { _ -> [EncodedExample] in
            let has = (random.next() % 2 == 0, random.next() % 2 == 0)
            let label = has.0 == has.1 ? 1 : 0
            return [has.0, has.1].map { seven in
                let length = 4 + Int(random.next() % 5)
                var ids: [Int32] = [1] + (0..<length - 2).map { _ in Int32(8 + random.next() % 89) } + [2]
                if seven { ids[1 + Int(random.next() % UInt64(length - 2))] = 7 }
                return EncodedExample(ids: ids, typeIds: Array(repeating: 0, count: length), label: label)
            }
        }
    }

    static func train(examples: [EncodedExample], communicator: any Communicator, steps: Int) throws -> PromptTrainer {
        try TaskKindTrainingTests.train(kind: .classification, comparesPairs: true, examples: examples,
                                        communicator: communicator, steps: steps)
    }

    @Test func ranksReproduceOneRankWithWholePairsAndOneOutputPerPair() throws {
        let examples = Self.samenessPairs(40, seed: 1)
        let single = try Self.train(examples: examples, communicator: SingleProcessCommunicator(), steps: 10)
        #expect(single.trainingUnits == 40)
        #expect(single.head.featureWidth == 4 * 32)
        let sharded = try runRanks(3) { try Self.train(examples: examples, communicator: $0, steps: 10).theta }
        #expect(relativeError(sharded[0].doubles, single.theta.doubles) < 5e-6)
        #expect(sharded[1] == sharded[0] && sharded[2] == sharded[0])
        let outputs = try single.outputs(for: examples)
        #expect(outputs.count == 40)
        #expect(outputs.allSatisfy { $0 == 0 || $0 == 1 })
        #expect(try single.localOutputs(for: examples) == outputs)
    }

    @Test func theHeadLearnsWhetherTwoTextsAgree() throws {
        let examples = Self.samenessPairs(60, seed: 1)
        let trainer = try Self.train(examples: examples, communicator: SingleProcessCommunicator(), steps: 200)
        #expect(try trainer.evaluate() > 0.8)
    }
}
