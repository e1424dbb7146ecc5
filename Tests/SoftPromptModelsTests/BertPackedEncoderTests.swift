import Foundation
import SoftPromptCheckpoint
@testable import SoftPromptModels
import SoftPromptTensor
import SoftPromptTestSupport
import Testing

/// The encoder drops padding rows of prefix-masked batches (`BertRowLayout`). These tests hold that path to
/// the masked one, which computes every row and masks attention keys (switched on with
/// `packsPrefixMasks = false`, or by a mask with a 0 before a 1, which can never be packed).
@Suite struct BertPackedEncoderTests {
    let tinyBert = try! ModelDirectory(fixture("tiny-bert"))

    /// Rows of different real lengths, two padded, one full; moving the packed rows of the last two back to
    /// their padded places overlaps their old places (the in-place scatter must copy back to front).
    static let (batch, length) = (3, 7)
    static let lengths = [6, 7, 2]
    static var prefixMask: [Int32] { lengths.flatMap { l in (0..<length).map { Int32($0 < l ? 1 : 0) } } }
    static var typeIds: [Int32] { lengths.flatMap { l in (0..<length).map { Int32($0 >= l / 2 && $0 < l ? 1 : 0) } } }
    static func isReal(_ position: Int) -> Bool { position % length < lengths[position / length] }

    /// values (B,T,d) at real positions, in order.
    static func realPositions<T>(_ values: [T], width d: Int) -> [T] {
        (0..<batch * length).filter(isReal).flatMap { values[$0 * d..<($0 + 1) * d] }
    }
    static func paddingPositions<T>(_ values: [T], width d: Int) -> [T] {
        (0..<batch * length).filter { !isReal($0) }.flatMap { values[$0 * d..<($0 + 1) * d] }
    }

    /// Forward and backward of the batch; dLastHidden is 0 at padding positions, so that the masked path's
    /// input gradient (padding rows feed no real row) is the packed path's too.
    func run(_ model: BertEncoder<Double>, inputs: [Double], packed: Bool) throws -> (hidden: [Double], gradient: [Double]) {
        model.packsPrefixMasks = packed
        let (b, t, d) = (Self.batch, Self.length, model.config.hiddenSize)
        let out = try model.forward(inputsEmbeds: inputs, typeIds: Self.typeIds, attentionMask: Self.prefixMask,
                                    batch: b, length: t)
        let hidden = Array(UnsafeBufferPointer(start: out, count: b * t * d))
        let dHidden = zip(randomValues(b * t * d, seed: 9), 0...).map { Self.isReal($1 / d) ? $0 : 0 }
        var gradient = [Double](repeating: .nan, count: b * t * d)  // overwritten, padding rows included
        model.backward(dLastHidden: dHidden, dInputsEmbeds: &gradient, accumulate: false)
        return (hidden, gradient)
    }

    @Test func packedPathMatchesTheMaskedPathAtRealPositionsInFloat64() throws {
        let model = try BertEncoder<Double>(directory: tinyBert)
        let d = model.config.hiddenSize
        let inputs = randomValues(Self.batch * Self.length * d, seed: 1)
        let masked = try run(model, inputs: inputs, packed: false)
        let packed = try run(model, inputs: inputs, packed: true)

        #expect(relativeError(Self.realPositions(packed.hidden, width: d), Self.realPositions(masked.hidden, width: d)) <= 1e-12)
        #expect(relativeError(Self.realPositions(packed.gradient, width: d),
                              Self.realPositions(masked.gradient, width: d)) <= 1e-12)
        // Padding: the packed path's hidden states are 0 (BERT's are not), and both paths' input gradients are 0.
        #expect(Self.paddingPositions(packed.hidden, width: d).allSatisfy { $0 == 0 })
        #expect(Self.paddingPositions(masked.hidden, width: d).contains { $0 != 0 })
        #expect(Self.paddingPositions(packed.gradient, width: d).allSatisfy { $0 == 0 })
        #expect(Self.paddingPositions(masked.gradient, width: d).allSatisfy { $0 == 0 })
    }

    /// Recomputing the attention probabilities from the forward's softmax statistics (the default) and caching
    /// them give the same bits, packed and masked, and the arena follows a change of the setting.
    @Test(arguments: [true, false])
    func recomputedAttentionEqualsCachedAttentionBitForBit(packed: Bool) throws {
        let model = try BertEncoder<Float>(directory: tinyBert)
        let inputs = randomValues(Self.batch * Self.length * model.config.hiddenSize, seed: 1)
        func run() throws -> (hidden: [Double], gradient: [Double]) {
            model.packsPrefixMasks = packed
            let (b, t, d) = (Self.batch, Self.length, model.config.hiddenSize)
            let out = try model.forward(inputsEmbeds: inputs.floats, typeIds: Self.typeIds,
                                        attentionMask: Self.prefixMask, batch: b, length: t)
            let hidden = Array(UnsafeBufferPointer(start: out, count: b * t * d)).doubles
            var gradient = [Float](repeating: .nan, count: b * t * d)
            model.backward(dLastHidden: randomValues(b * t * d, seed: 9).floats, dInputsEmbeds: &gradient,
                           accumulate: false)
            return (hidden, gradient.doubles)
        }
        #expect(!model.keepsAttentionProbabilities)
        let recomputed = try run()
        model.keepsAttentionProbabilities = true
        let cached = try run()
        #expect(model.arenaAllocations == 2)
        #expect(recomputed.hidden == cached.hidden)
        #expect(recomputed.gradient == cached.gradient)
    }

    @Test func packedBackwardAddsNothingAtPaddingWhenAccumulating() throws {
        let model = try BertEncoder<Double>(directory: tinyBert)
        let d = model.config.hiddenSize, count = Self.batch * Self.length * d
        let inputs = randomValues(count, seed: 1)
        let overwritten = try run(model, inputs: inputs, packed: true).gradient
        let prefill = randomValues(count, seed: 4)
        var gradient = prefill
        let dHidden = randomValues(count, seed: 9).enumerated().map { Self.isReal($0.offset / d) ? $0.element : 0 }
        model.backward(dLastHidden: dHidden, dInputsEmbeds: &gradient, accumulate: true)
        #expect(Self.paddingPositions(gradient, width: d) == Self.paddingPositions(prefill, width: d))
        let added = zip(gradient, prefill).map { $0 - $1 }
        #expect(relativeError(Self.realPositions(added, width: d), Self.realPositions(overwritten, width: d)) <= 1e-12)
    }

    /// L = Σ w ⊙ hidden over real positions (the packed path's padding outputs are 0 whatever the input), through
    /// the packed path, against central differences; with dropout the same masks on every evaluation.
    @Test(arguments: [0.0, 0.2])
    func packedInputGradientMatchesFiniteDifferencesInFloat64(dropout: Double) throws {
        let model = try BertEncoder<Double>(directory: tinyBert)
        let (batch, length, d) = (Self.batch, Self.length, model.config.hiddenSize)
        let seed = RandomStream(seed: 3)
        var paddingOutputs: [Double] = []
        let error = finiteDifferenceError(input: randomValues(batch * length * d, seed: 1), outputCount: batch * length * d,
            forward: { x, out in
                model.dropout = dropout > 0 ? BackboneDropout(hidden: dropout, attention: dropout / 2, random: seed) : nil
                let hidden = try! model.forward(inputsEmbeds: x, typeIds: Self.typeIds, attentionMask: Self.prefixMask,
                                                batch: batch, length: length)
                out.update(from: hidden, count: batch * length * d)
                paddingOutputs += Self.paddingPositions(Array(UnsafeBufferPointer(start: hidden, count: batch * length * d)), width: d)
            },
            backward: { dout, _, dx in model.backward(dLastHidden: dout, dInputsEmbeds: dx) })
        #expect(error < gradientTolerance)
        #expect(!paddingOutputs.isEmpty && paddingOutputs.allSatisfy { $0 == 0 })  // so the packed path ran
    }

    /// A mask with a hole (0 before a 1) cannot be packed: the masked path runs, and its gradient holds.
    @Test(arguments: [0.0, 0.2])
    func maskWithAHoleKeepsTheMaskedPathAndItsGradient(dropout: Double) throws {
        let model = try BertEncoder<Double>(directory: tinyBert)
        let (batch, length, d) = (2, 5, model.config.hiddenSize)
        let mask: [Int32] = [1, 1, 1, 1, 0,
                             1, 0, 1, 1, 1]
        let types = [Int32](repeating: 0, count: batch * length)
        let seed = RandomStream(seed: 5)
        var holeOutputs: [Double] = []
        let error = finiteDifferenceError(input: randomValues(batch * length * d, seed: 2), outputCount: batch * length * d,
            forward: { x, out in
                model.dropout = dropout > 0 ? BackboneDropout(hidden: dropout, attention: dropout / 2, random: seed) : nil
                let hidden = try! model.forward(inputsEmbeds: x, typeIds: types, attentionMask: mask, batch: batch, length: length)
                out.update(from: hidden, count: batch * length * d)
                holeOutputs += Array(UnsafeBufferPointer(start: hidden + 6 * d, count: d))
            },
            backward: { dout, _, dx in model.backward(dLastHidden: dout, dInputsEmbeds: dx) })
        #expect(error < gradientTolerance)
        #expect(holeOutputs.contains { $0 != 0 })  // BERT's value at the hole: the masked path ran
    }

    /// No padding: the packed path runs the very same GEMMs (M = B·T) and kernels as the masked one, whose
    /// additive mask is then all zeros, so the bits agree; with dropout too when the arena fits the batch
    /// exactly (both draw the masks over whole buffers then).
    @Test(arguments: [0.0, 0.2])
    func equalLengthsGiveTheMaskedPathsBits(dropout: Double) throws {
        func run(packed: Bool) throws -> ([Float], [Float]) {
            let model = try BertModel(directory: tinyBert)
            model.packsPrefixMasks = packed
            model.dropout = dropout > 0 ? BackboneDropout(hidden: dropout, attention: dropout, random: RandomStream(seed: 8)) : nil
            let (b, t, d) = (3, 6, model.config.hiddenSize)
            let inputs = randomValues(b * t * d, seed: 1).floats
            let types = [Int32](repeating: 0, count: b * t), mask = [Int32](repeating: 1, count: b * t)
            var hidden: [Float] = [], gradient = [Float](repeating: 0, count: b * t * d)
            for _ in 0..<2 {  // the second step draws new dropout masks from where the first left the stream
                let out = try model.forward(inputsEmbeds: inputs, typeIds: types, attentionMask: mask, batch: b, length: t)
                hidden = Array(UnsafeBufferPointer(start: out, count: b * t * d))
                model.backward(dLastHidden: randomValues(b * t * d, seed: 2).floats, dInputsEmbeds: &gradient, accumulate: false)
            }
            return (hidden, gradient)
        }
        let (packedHidden, packedGradient) = try run(packed: true)
        let (maskedHidden, maskedGradient) = try run(packed: false)
        func differingBits(_ a: [Float], _ b: [Float]) -> Int { zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count }
        #expect(packedHidden.count == maskedHidden.count && differingBits(packedHidden, maskedHidden) == 0)
        #expect(packedGradient.count == maskedGradient.count && differingBits(packedGradient, maskedGradient) == 0)
    }

    /// The arena is sized once; smaller and packed batches reuse it, with per-sequence probabilities inside it,
    /// and give what a model allocated for exactly that batch gives.
    @Test func smallerAndPackedBatchesAllocateNoNewArena() throws {
        func step(_ model: BertModel, _ b: Int, _ t: Int, _ lengths: [Int]) throws -> (hidden: [Double], gradient: [Double]) {
            let d = model.config.hiddenSize
            let mask = lengths.flatMap { l in (0..<t).map { Int32($0 < l ? 1 : 0) } }
            let out = try model.forward(inputsEmbeds: randomValues(b * t * d, seed: 1).floats,
                                        typeIds: [Int32](repeating: 0, count: b * t), attentionMask: mask, batch: b, length: t)
            let hidden = Array(UnsafeBufferPointer(start: out, count: b * t * d)).doubles
            var gradient = [Float](repeating: .nan, count: b * t * d)
            model.backward(dLastHidden: randomValues(b * t * d, seed: 2).floats, dInputsEmbeds: &gradient, accumulate: false)
            return (hidden, gradient.doubles)
        }
        let model = try BertModel(directory: tinyBert)
        model.reserve(batch: 4, length: 9)
        #expect(model.arenaAllocations == 1)
        for (b, t, lengths) in [(4, 9, [9, 9, 9, 9]), (3, 7, [7, 4, 2]), (2, 5, [1, 5]), (4, 9, [3, 9, 0, 6])] {
            let reused = try step(model, b, t, lengths)
            let fresh = try step(try BertModel(directory: tinyBert), b, t, lengths)
            #expect(relativeError(reused.hidden, fresh.hidden) <= 1e-6)
            #expect(relativeError(reused.gradient, fresh.gradient) <= 1e-6)
            #expect(!reused.gradient.contains { $0.isNaN })
        }
        #expect(model.arenaAllocations == 1)
    }
}
