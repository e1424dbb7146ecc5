import Foundation
import SoftPromptCheckpoint
@testable import SoftPromptModels
import SoftPromptTensor
import SoftPromptTestSupport
import Testing

/// `backwardToSharedPrefix(P)`: the summed gradient of a prompt that every sequence starts with. The first layer
/// sums the prompt rows' gradients over the batch before its input-gradient products; the result must be what
/// summing the full backward's prompt rows gives, and what finite differences of the prompt give.
@Suite struct BertSharedPrefixTests {
    let tinyBert = try! ModelDirectory(fixture("tiny-bert"))
    static let (batch, length, prefix) = (3, 7, 2)
    static let lengths = [6, 7, 3]
    static var mask: [Int32] { lengths.flatMap { l in (0..<length).map { Int32($0 < l ? 1 : 0) } } }
    /// Type 0 on the prompt, then a sentence pair: the prompt rows' embedding sums are equal across sequences.
    static var typeIds: [Int32] { lengths.flatMap { l in (0..<length).map { Int32($0 >= prefix + (l - prefix) / 2 && $0 < l ? 1 : 0) } } }

    /// inputs (B,T,d): the prompt (P,d) at the start of every sequence, then text rows from a seed.
    static func inputs(prompt: UnsafePointer<Double>, width d: Int) -> [Double] {
        var x = randomValues(batch * length * d, seed: 1)
        for b in 0..<batch { for i in 0..<prefix * d { x[b * length * d + i] = prompt[i] } }
        return x
    }

    /// Σ_b of the full backward's first P rows.
    func summedFullBackward(_ model: BertEncoder<Double>, dLastHidden: [Double]) -> [Double] {
        let d = model.config.hiddenSize
        var full = [Double](repeating: 0, count: Self.batch * Self.length * d)
        model.backward(dLastHidden: dLastHidden, dInputsEmbeds: &full, accumulate: false)
        return (0..<Self.prefix * d).map { i in (0..<Self.batch).reduce(0) { $0 + full[$1 * Self.length * d + i] } }
    }

    /// The tiny BERT, or its first `layers` layers: with one, the first layer is also the last, whose prompt
    /// rows compute no output when the forward was told nothing reads them.
    func model(layers: Int = 2) throws -> BertEncoder<Double> {
        var config = try BertConfig(contentsOf: tinyBert.configURL)
        config.layers = layers
        return try BertEncoder<Double>(config: config, weights: SafetensorsFile(url: tinyBert.weightsURL))
    }

    @Test(arguments: [0, 2], [2, 1])
    func equalsTheSumOfTheFullBackwardsPromptRowsInFloat64(unreadPrefix: Int, layers: Int) throws {
        let model = try model(layers: layers)
        let d = model.config.hiddenSize
        let prompt = randomValues(Self.prefix * d, seed: 4)
        let x = Self.inputs(prompt: prompt, width: d)
        let dHidden = randomValues(Self.batch * Self.length * d, seed: 9)
        _ = try model.forward(inputsEmbeds: x, typeIds: Self.typeIds, attentionMask: Self.mask, batch: Self.batch,
                              length: Self.length, unreadPrefix: unreadPrefix)
        let expected = summedFullBackward(model, dLastHidden: dHidden)
        var scratch = [Double](repeating: .nan, count: Self.batch * Self.length * d)
        model.backwardToSharedPrefix(Self.prefix, dLastHidden: dHidden, dInputsEmbeds: &scratch)
        // A one-layer model that skipped its prompt rows' outputs takes the full backward instead.
        #expect(model.summedPrefixes == (layers == 1 && unreadPrefix > 0 ? 0 : 1), "the first layer summed the prompt rows")
        #expect(relativeError(Array(scratch[0..<Self.prefix * d]), expected) <= 1e-12)
    }

    /// Prompt rows that differ between sequences (here: one sequence's prompt is shifted) cannot be summed early:
    /// the full backward runs and its prompt rows are summed, with the same meaning.
    @Test func differentPrefixesFallBackToTheFullBackward() throws {
        let model = try BertEncoder<Double>(directory: tinyBert)
        let d = model.config.hiddenSize
        var x = Self.inputs(prompt: randomValues(Self.prefix * d, seed: 4), width: d)
        x[Self.length * d] += 0.5
        let dHidden = randomValues(Self.batch * Self.length * d, seed: 9)
        _ = try model.forward(inputsEmbeds: x, typeIds: Self.typeIds, attentionMask: Self.mask, batch: Self.batch,
                              length: Self.length)
        let expected = summedFullBackward(model, dLastHidden: dHidden)
        var scratch = [Double](repeating: .nan, count: Self.batch * Self.length * d)
        model.backwardToSharedPrefix(Self.prefix, dLastHidden: dHidden, dInputsEmbeds: &scratch)
        #expect(model.summedPrefixes == 0)
        #expect(Array(scratch[0..<Self.prefix * d]) == expected)
    }

    /// The prompt's gradient against central differences of L = Σ w ⊙ hidden, the prompt broadcast to every
    /// sequence, with the last layer skipping the prompt rows as the trainer runs it.
    @Test func promptGradientMatchesFiniteDifferencesInFloat64() throws {
        let model = try BertEncoder<Double>(directory: tinyBert)
        let d = model.config.hiddenSize, count = Self.batch * Self.length * d
        var scratch = [Double](repeating: 0, count: count)
        let error = finiteDifferenceError(input: randomValues(Self.prefix * d, seed: 4), outputCount: count,
            forward: { prompt, out in
                let hidden = try! model.forward(inputsEmbeds: Self.inputs(prompt: prompt, width: d), typeIds: Self.typeIds,
                                                attentionMask: Self.mask, batch: Self.batch, length: Self.length,
                                                unreadPrefix: Self.prefix)
                out.update(from: hidden, count: count)
            },
            backward: { dout, _, dPrompt in
                model.backwardToSharedPrefix(Self.prefix, dLastHidden: dout, dInputsEmbeds: &scratch)
                for i in 0..<Self.prefix * d { dPrompt[i] += scratch[i] }
            })
        #expect(error < gradientTolerance)
        #expect(model.summedPrefixes > 0)
    }
}
