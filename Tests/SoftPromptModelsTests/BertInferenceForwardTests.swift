import Foundation
import SoftPromptCheckpoint
@testable import SoftPromptModels
import SoftPromptTensor
import SoftPromptTestSupport
import Testing

/// Evaluation and prediction run `forward(inference: true)`: the training forward's result, without dropout (PyTorch's
/// `model.eval()`), keeping nothing for a backward: in the training arena when it holds the batch, else in one
/// of its own.
@Suite struct BertInferenceForwardTests {
    let tinyBert = try! ModelDirectory(fixture("tiny-bert"))
    typealias Batch = BertPackedEncoderTests

    func hidden(_ model: BertEncoder<Float>, inference: Bool, inputs: [Float], unreadPrefix: Int = 0) throws -> [UInt32] {
        let (b, t, d) = (Batch.batch, Batch.length, model.config.hiddenSize)
        let out = try model.forward(inputsEmbeds: inputs, typeIds: Batch.typeIds, attentionMask: Batch.prefixMask,
                                    batch: b, length: t, unreadPrefix: unreadPrefix, inference: inference)
        return UnsafeBufferPointer(start: out, count: b * t * d).map(\.bitPattern)
    }

    func inputs(_ model: BertEncoder<Float>) -> [Float] {
        randomValues(Batch.batch * Batch.length * model.config.hiddenSize, seed: 1).floats
    }

    @Test(arguments: [(true, 0), (true, 2), (false, 0)])
    func inferenceGivesTheTrainingForwardsBits(packed: Bool, unreadPrefix: Int) throws {
        let model = try BertEncoder<Float>(directory: tinyBert)
        model.packsPrefixMasks = packed
        let trained = try hidden(model, inference: false, inputs: inputs(model), unreadPrefix: unreadPrefix)
        let inferred = try hidden(model, inference: true, inputs: inputs(model), unreadPrefix: unreadPrefix)
        #expect(inferred == trained)
    }

    @Test func inferenceRunsWithoutDropoutAndLeavesItsStreamAlone() throws {
        let model = try BertEncoder<Float>(directory: tinyBert)
        let plain = try hidden(model, inference: false, inputs: inputs(model))
        let stream = RandomStream(seed: 3)
        model.dropout = BackboneDropout(hidden: 0.2, attention: 0.1, random: stream)
        #expect(try hidden(model, inference: true, inputs: inputs(model)) == plain)
        #expect(model.dropout?.random == stream, "inference draws no dropout mask")
        #expect(try hidden(model, inference: false, inputs: inputs(model)) != plain, "training still drops")
    }

    /// An evaluation batch the training arena holds runs there; a larger one gets an arena of its own, and the
    /// training arena keeps its size and its use.
    @Test func aLargerInferenceBatchLeavesTheTrainingArenaAlone() throws {
        let model = try BertEncoder<Float>(directory: tinyBert)
        let (t, d) = (Batch.length, model.config.hiddenSize)
        model.reserve(batch: 1, length: t)
        #expect(model.arenaAllocations == 1)
        let inferred = try hidden(model, inference: true, inputs: inputs(model))
        #expect(model.arenaAllocations == 1)
        let roomy = try BertEncoder<Float>(directory: tinyBert)
        roomy.reserve(batch: Batch.batch, length: t)
        #expect(try hidden(roomy, inference: true, inputs: inputs(roomy)) == inferred, "in the training arena")
        #expect(roomy.arenaAllocations == 1)

        // Training on one sequence after it gives what a fresh model gives.
        func trainingStep(_ model: BertEncoder<Float>) throws -> [UInt32] {
            let one = Array(inputs(model)[0..<t * d])
            _ = try model.forward(inputsEmbeds: one, typeIds: Array(Batch.typeIds[0..<t]),
                                  attentionMask: Array(Batch.prefixMask[0..<t]), batch: 1, length: t)
            var gradient = [Float](repeating: .nan, count: t * d)
            model.backward(dLastHidden: randomValues(t * d, seed: 9).floats, dInputsEmbeds: &gradient, accumulate: false)
            return gradient.map(\.bitPattern)
        }
        #expect(try trainingStep(model) == trainingStep(try BertEncoder<Float>(directory: tinyBert)))
        #expect(model.arenaAllocations == 1)
    }
}
