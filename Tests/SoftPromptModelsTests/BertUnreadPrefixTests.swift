import Foundation
import SoftPromptCheckpoint
@testable import SoftPromptModels
import SoftPromptTensor
import SoftPromptTestSupport
import Testing

/// `forward(unreadPrefix: P)`: when the caller reads no output of each sequence's first P rows (the prompt, under
/// a head that pools the text), the last layer computes the other rows' outputs only. Those outputs and the input
/// gradient they feed must be what the full encoder gives.
@Suite struct BertUnreadPrefixTests {
    let tinyBert = try! ModelDirectory(fixture("tiny-bert"))
    // The packed batch of BertPackedEncoderTests: real lengths 6, 7 and 2 in rows of 7.
    typealias Batch = BertPackedEncoderTests

    /// Whether (b, position) is real and past the unread prefix: an output the caller reads.
    static func isRead(_ position: Int, prefix: Int) -> Bool { Batch.isReal(position) && position % Batch.length >= prefix }

    func run(_ model: BertEncoder<Double>, prefix: Int, dLastHidden: [Double]) throws -> (hidden: [Double], gradient: [Double]) {
        let (b, t, d) = (Batch.batch, Batch.length, model.config.hiddenSize)
        let inputs = randomValues(b * t * d, seed: 1)
        let out = try model.forward(inputsEmbeds: inputs, typeIds: Batch.typeIds, attentionMask: Batch.prefixMask,
                                    batch: b, length: t, unreadPrefix: prefix)
        let hidden = Array(UnsafeBufferPointer(start: out, count: b * t * d))
        var gradient = [Double](repeating: .nan, count: b * t * d)
        model.backward(dLastHidden: dLastHidden, dInputsEmbeds: &gradient, accumulate: false)
        return (hidden, gradient)
    }

    /// P = 3 leaves the third sequence (2 rows) with no output at all: its keys and values still serve nothing
    /// and get a zero gradient from the last layer.
    @Test(arguments: [(2, false), (2, true), (3, false)])
    func readOutputsAndTheirInputGradientEqualTheFullEncodersInFloat64(prefix: Int, keepsProbabilities: Bool) throws {
        let model = try BertEncoder<Double>(directory: tinyBert)
        model.keepsAttentionProbabilities = keepsProbabilities
        let d = model.config.hiddenSize, count = Batch.batch * Batch.length * d
        let dHidden = randomValues(count, seed: 9)
        // The full encoder with the gradient the skipping one sees: none at unread or padding rows.
        let readOnly = zip(dHidden, 0...).map { Self.isRead($1 / d, prefix: prefix) ? $0 : 0 }
        let full = try run(model, prefix: 0, dLastHidden: readOnly)
        let skipping = try run(model, prefix: prefix, dLastHidden: dHidden)

        let read = { (values: [Double]) in (0..<count).filter { Self.isRead($0 / d, prefix: prefix) }.map { values[$0] } }
        #expect(relativeError(read(skipping.hidden), read(full.hidden)) <= 1e-12)
        #expect((0..<count).filter { !Self.isRead($0 / d, prefix: prefix) }.allSatisfy { skipping.hidden[$0] == 0 })
        #expect(relativeError(skipping.gradient, full.gradient) <= 1e-12)
    }

    @Test func inputGradientMatchesFiniteDifferencesInFloat64() throws {
        let model = try BertEncoder<Double>(directory: tinyBert)
        let (b, t, d) = (Batch.batch, Batch.length, model.config.hiddenSize)
        let error = finiteDifferenceError(input: randomValues(b * t * d, seed: 1), outputCount: b * t * d,
            forward: { x, out in
                let hidden = try! model.forward(inputsEmbeds: x, typeIds: Batch.typeIds, attentionMask: Batch.prefixMask,
                                                batch: b, length: t, unreadPrefix: 2)
                out.update(from: hidden, count: b * t * d)
            },
            backward: { dout, _, dx in model.backward(dLastHidden: dout, dInputsEmbeds: dx) })
        #expect(error < gradientTolerance)
    }

    /// A batch the encoder cannot pack (masked attention over all B·T rows) computes every row, prefix or not.
    @Test func anUnpackedBatchComputesEveryRow() throws {
        let model = try BertEncoder<Double>(directory: tinyBert)
        model.packsPrefixMasks = false
        let dHidden = randomValues(Batch.batch * Batch.length * model.config.hiddenSize, seed: 9)
        let full = try run(model, prefix: 0, dLastHidden: dHidden)
        let asked = try run(model, prefix: 2, dLastHidden: dHidden)
        #expect(asked.hidden == full.hidden && asked.gradient == full.gradient)
    }
}
