import Foundation
import SoftPromptCheckpoint
@testable import SoftPromptModels
import SoftPromptTensor
import SoftPromptTestSupport
import Testing

/// The T5 encoder drops the padding rows of prefix-masked batches (`T5EncoderRows`): self-attention runs per
/// sequence at its own length, and the decoder's cross-attention reads each sequence's rows alone. These tests
/// hold that path to the padded one, which computes every row and masks attention keys (switched on with
/// `packsPrefixMasks = false`, or by a mask with a 0 before a 1, which can never be packed).
@Suite struct T5PackedEncoderTests {
    static let variants = ["v1_0", "v1_1"]
    /// Rows of different real lengths, two padded, one full.
    static let (batch, length, targetLength) = (3, 7, 4)
    static let lengths = [6, 7, 2]
    static var prefixMask: [Int32] { lengths.flatMap { l in (0..<length).map { Int32($0 < l ? 1 : 0) } } }
    static let labels: [Int32] = [5, 9, 17, 1,
                                  33, 1, -100, -100,
                                  8, 12, 1, -100]
    static func isReal(_ row: Int) -> Bool { row % length < lengths[row / length] }

    func model(_ variant: String) throws -> T5Model<Double> {
        try T5Model<Double>(directory: ModelDirectory(fixture("tiny-t5-\(variant)")))
    }

    struct Run {
        var loss: Double, hidden: [Double], gradient: [Double], logits: [Double], scores: [Double]
    }

    /// The training forward and backward, then scoring the same targets against a fresh encoding.
    func run(_ model: T5Model<Double>, inputs: [Double], mask: [Int32], packed: Bool) throws -> Run {
        model.packsPrefixMasks = packed
        let (b, te, td, d, v) = (Self.batch, Self.length, Self.targetLength, model.config.modelDim, model.config.vocabularySize)
        var ids = [Int32](repeating: 0, count: b * td)
        model.shiftRight(labels: Self.labels, batch: b, length: td, into: &ids)
        let loss = try model.forward(inputsEmbeds: inputs, encoderMask: mask, decoderInputIds: ids, labels: Self.labels,
                                     batch: b, encoderLength: te, decoderLength: td)
        let hidden = Array(UnsafeBufferPointer(start: model.encoderLastHiddenState!, count: b * te * d))
        var gradient = [Double](repeating: .nan, count: b * te * d)  // overwritten, padding rows included
        model.backward(dInputsEmbeds: &gradient, accumulate: false)
        model.encode(inputsEmbeds: inputs, mask: mask, batch: b, length: te)
        let logits = Array(UnsafeBufferPointer(start: try model.logits(decoderInputIds: ids, length: td), count: b * td * v))
        var scores = [Double](repeating: .nan, count: b * td)
        try model.tokenLogProbabilities(decoderInputIds: ids, labels: Self.labels, length: td, into: &scores)
        return Run(loss: loss, hidden: hidden, gradient: gradient, logits: logits, scores: scores)
    }

    @Test(arguments: variants)
    func packedRowsGiveThePaddedComputation(variant: String) throws {
        let model = try model(variant)
        let d = model.config.modelDim
        let inputs = randomValues(Self.batch * Self.length * d, seed: 21)  // padding rows hold arbitrary values
        let packed = try run(model, inputs: inputs, mask: Self.prefixMask, packed: true)
        let padded = try run(model, inputs: inputs, mask: Self.prefixMask, packed: false)

        #expect(abs(packed.loss - padded.loss) <= 1e-12)
        #expect(maxAbsoluteDifference(packed.logits, padded.logits) <= 1e-12)
        #expect(maxAbsoluteDifference(packed.scores, padded.scores) <= 1e-12)
        for row in 0..<Self.batch * Self.length {
            let values = row * d..<(row + 1) * d
            if Self.isReal(row) {
                #expect(maxAbsoluteDifference(Array(packed.hidden[values]), Array(padded.hidden[values])) <= 1e-12)
                #expect(maxAbsoluteDifference(Array(packed.gradient[values]), Array(padded.gradient[values])) <= 1e-12)
            } else {
                // Packed away: no hidden state; and no gradient on either path, since padding feeds no real row.
                #expect(packed.hidden[values].allSatisfy { $0 == 0 })
                #expect(packed.gradient[values].allSatisfy { $0 == 0 } && padded.gradient[values].allSatisfy { $0 == 0 })
            }
        }
    }

    /// `backwardEncoder` takes ∂L/∂(last hidden state) laid out as the input (B,Te,d): the packed path reads its
    /// real rows, and adds into dInputsEmbeds when asked to.
    @Test func theEncodersOwnBackwardReadsAndAddsPaddedRows() throws {
        let model = try model("v1_1")
        let (b, te, d) = (Self.batch, Self.length, model.config.modelDim)
        let inputs = randomValues(b * te * d, seed: 22)
        let dHidden = zip(randomValues(b * te * d, seed: 23), 0...).map { Self.isReal($1 / d) ? $0 : 0 }
        var gradients: [[Double]] = []
        for packed in [true, false] {
            model.packsPrefixMasks = packed
            model.encode(inputsEmbeds: inputs, mask: Self.prefixMask, batch: b, length: te)
            var gradient = [Double](repeating: 1, count: b * te * d)
            model.backwardEncoder(dLastHidden: dHidden, dInputsEmbeds: &gradient, accumulate: true)
            gradients.append(gradient.map { $0 - 1 })
        }
        #expect(maxAbsoluteDifference(gradients[0], gradients[1]) <= 1e-12)
        #expect(gradients[0].contains { abs($0) > 1e-6 })
    }

    /// A mask with a hole is not a prefix of ones: it runs padded, every row computed and the hole masked.
    @Test func aMaskWithAHoleRunsPadded() throws {
        let model = try model("v1_0")
        let d = model.config.modelDim
        var mask = Self.prefixMask
        mask[1] = 0  // the first sequence now has a hole at position 1
        let inputs = randomValues(Self.batch * Self.length * d, seed: 24)
        let holed = try run(model, inputs: inputs, mask: mask, packed: true)
        let padded = try run(model, inputs: inputs, mask: mask, packed: false)
        #expect(holed.loss == padded.loss && holed.gradient == padded.gradient && holed.hidden == padded.hidden)
        #expect(holed.hidden[d..<2 * d].contains { $0 != 0 }, "the hole's row is computed, not packed away")
    }
}
