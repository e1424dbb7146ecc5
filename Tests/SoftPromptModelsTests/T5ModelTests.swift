import Foundation
import SoftPromptCheckpoint
import SoftPromptModels
import SoftPromptTensor
import SoftPromptTestSupport
import Testing

@Suite struct T5ModelTests {
    /// v1_0: ReLU feed-forward, head tied to `shared` and scaled by d^-0.5. v1_1: gated GELU (tanh), its own
    /// lm_head, heads·d_kv ≠ d_model, three decoder layers over two encoder layers.
    static let variants = ["v1_0", "v1_1"]

    func directory(_ variant: String) throws -> ModelDirectory { try ModelDirectory(fixture("tiny-t5-\(variant)")) }

    @Test(arguments: variants)
    func tinyT5MatchesTransformersWithAPromptOnTheEncoderInput(variant: String) throws {
        let reference = try T5ParityCase(fixture("t5_\(variant)_reference.safetensors"))
        let model = try T5(directory: directory(variant))
        let (embeds, mask) = try reference.encoderInput(model)
        let (b, te, td) = (reference.batch, reference.encoderLength, reference.targetLength)

        var decoderInputIds = [Int32](repeating: -1, count: b * td)
        model.shiftRight(labels: reference.labels, batch: b, length: td, into: &decoderInputIds)
        #expect(decoderInputIds == reference.decoderInputIds)

        let loss = try model.forward(inputsEmbeds: embeds, encoderMask: mask, decoderInputIds: decoderInputIds,
                                     labels: reference.labels, batch: b, encoderLength: te, decoderLength: td)
        let hidden = Array(UnsafeBufferPointer(start: model.encoderLastHiddenState!, count: reference.encoderHidden.count))
        var gradient = [Float](repeating: .nan, count: embeds.count)  // overwritten, not added to
        model.backward(dInputsEmbeds: &gradient, accumulate: false)
        let promptGradient = (0..<reference.promptLength * reference.width).map { i in
            (0..<b).reduce(0.0) { $0 + Double(gradient[$1 * te * reference.width + i]) }
        }
        // The reference is float64; Float32 through two or three layers each way stays well inside these bars.
        #expect(abs(loss - reference.loss) <= 1e-5)
        // Padding rows are packed away (0 here); transformers computes values there that nothing reads.
        let d = reference.width, real = mask.indices.filter { mask[$0] != 0 }
        #expect(real.count < mask.count, "the reference has padding")
        let realRows: ([Float]) -> [Float] = { values in real.flatMap { values[$0 * d..<($0 + 1) * d] } }
        #expect(maxAbsoluteDifference(realRows(hidden), realRows(reference.encoderHidden)) <= 1e-5)
        #expect(mask.indices.filter { mask[$0] == 0 }.allSatisfy { r in hidden[r * d..<(r + 1) * d].allSatisfy { $0 == 0 } })
        #expect(relativeError(promptGradient, reference.promptGradient.doubles) <= 1e-4)
        #expect(relativeError(gradient.doubles, reference.inputsEmbedsGradient.doubles) <= 1e-4)

        // Scoring paths on the same encoding: the decoder alone, again.
        let logits = try model.logits(decoderInputIds: decoderInputIds, length: td)
        let logitValues = Array(UnsafeBufferPointer(start: logits, count: reference.logits.count))
        #expect(maxAbsoluteDifference(logitValues, reference.logits) <= 1e-4)
        var logProbabilities = [Float](repeating: .nan, count: b * td)
        try model.tokenLogProbabilities(decoderInputIds: decoderInputIds, labels: reference.labels, length: td,
                                        into: &logProbabilities)
        #expect(maxAbsoluteDifference(logProbabilities, reference.tokenLogProbabilities) <= 1e-5)
    }

    /// The whole model, run in Float64, against central differences of the loss with respect to every entry of
    /// inputs_embeds: every sublayer's backward composed, the LM head and the cross-attention included.
    @Test(arguments: variants)
    func inputGradientMatchesFiniteDifferencesInFloat64(variant: String) throws {
        let model = try T5Model<Double>(directory: directory(variant))
        let (batch, encoderLength, decoderLength, d) = (2, 7, 4, model.config.modelDim)
        let mask: [Int32] = [1, 1, 1, 1, 1, 1, 1,
                             1, 1, 1, 1, 1, 0, 0]  // the second row is padded
        let labels: [Int32] = [5, 9, 17, 1,
                               33, 1, -100, -100]  // and its target shorter
        var decoderInputIds = [Int32](repeating: 0, count: labels.count)
        model.shiftRight(labels: labels, batch: batch, length: decoderLength, into: &decoderInputIds)
        let error = finiteDifferenceError(input: randomValues(batch * encoderLength * d, seed: 4), outputCount: 1,
            forward: { x, out in
                out[0] = try! model.forward(inputsEmbeds: x, encoderMask: mask, decoderInputIds: decoderInputIds,
                                            labels: labels, batch: batch, encoderLength: encoderLength,
                                            decoderLength: decoderLength)
            },
            backward: { dout, _, dx in model.backward(dLoss: dout[0], dInputsEmbeds: dx) })
        #expect(error < gradientTolerance)
    }

    /// Right padding of the encoder input, extra ignored target positions and a whole extra row with no counted
    /// label change nothing for the real rows: relative positions, masks and the mean over counted labels.
    @Test(arguments: variants)
    func paddingDoesNotChangeTheUnpaddedRows(variant: String) throws {
        let model = try T5Model<Double>(directory: directory(variant))
        let d = model.config.modelDim, v = model.config.vocabularySize
        let (batch, te, td) = (2, 6, 3)
        let embeds = randomValues(batch * te * d, seed: 8)
        let labels: [Int32] = [7, 12, 1, 20, 1, -100]
        let small = try run(model, embeds: embeds, mask: [Int32](repeating: 1, count: batch * te), labels: labels,
                            batch: batch, encoderLength: te, decoderLength: td)

        let (paddedBatch, paddedTe, paddedTd) = (3, 9, 5)
        var paddedEmbeds = randomValues(paddedBatch * paddedTe * d, seed: 9)  // padding holds arbitrary values
        var paddedMask = [Int32](repeating: 0, count: paddedBatch * paddedTe)
        var paddedLabels = [Int32](repeating: -100, count: paddedBatch * paddedTd)
        for b in 0..<batch {
            for t in 0..<te {
                paddedMask[b * paddedTe + t] = 1
                for c in 0..<d { paddedEmbeds[(b * paddedTe + t) * d + c] = embeds[(b * te + t) * d + c] }
            }
            for t in 0..<td { paddedLabels[b * paddedTd + t] = labels[b * td + t] }
        }
        for t in 0..<4 { paddedMask[2 * paddedTe + t] = 1 }  // the extra row has text but no counted label
        let padded = try run(model, embeds: paddedEmbeds, mask: paddedMask, labels: paddedLabels, batch: paddedBatch,
                             encoderLength: paddedTe, decoderLength: paddedTd)

        #expect(abs(padded.loss - small.loss) <= 1e-12)
        var logitDifference = 0.0, gradientDifference = 0.0, paddingGradient = 0.0
        for b in 0..<batch {
            for t in 0..<td {
                for j in 0..<v {
                    let difference = padded.logits[(b * paddedTd + t) * v + j] - small.logits[(b * td + t) * v + j]
                    logitDifference = max(logitDifference, abs(difference))
                }
            }
        }
        for b in 0..<paddedBatch {
            for t in 0..<paddedTe {
                for c in 0..<d {
                    let g = padded.gradient[(b * paddedTe + t) * d + c]
                    if b < batch && t < te {
                        gradientDifference = max(gradientDifference, abs(g - small.gradient[(b * te + t) * d + c]))
                    } else {
                        paddingGradient = max(paddingGradient, abs(g))
                    }
                }
            }
        }
        #expect(logitDifference <= 1e-12)
        #expect(gradientDifference <= 1e-12)
        #expect(paddingGradient == 0)
    }

    /// Rank classification scores every candidate target against one encoding: the decoder reuses the cached
    /// cross-attention keys/values, also after growing its arena for a longer target.
    @Test func scoringSeveralTargetsAgainstOneEncodingMatchesScoringEachAlone() throws {
        let model = try T5Model<Double>(directory: directory("v1_1"))
        let d = model.config.modelDim
        let (batch, te) = (2, 5)
        let embeds = randomValues(batch * te * d, seed: 12)
        let mask: [Int32] = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0]
        let targets: [(labels: [Int32], length: Int)] = [([4, 1, 6, 1], 2), ([8, 9, 1, 30, 1, -100], 3)]

        model.encode(inputsEmbeds: embeds, mask: mask, batch: batch, length: te)
        var together: [[Double]] = []
        for (labels, length) in targets {
            var ids = [Int32](repeating: 0, count: labels.count), scores = [Double](repeating: .nan, count: labels.count)
            model.shiftRight(labels: labels, batch: batch, length: length, into: &ids)
            try model.tokenLogProbabilities(decoderInputIds: ids, labels: labels, length: length, into: &scores)
            together.append(scores)
        }
        for (k, (labels, length)) in targets.enumerated() {
            let fresh = try T5Model<Double>(directory: directory("v1_1"))
            var ids = [Int32](repeating: 0, count: labels.count), scores = [Double](repeating: .nan, count: labels.count)
            fresh.shiftRight(labels: labels, batch: batch, length: length, into: &ids)
            fresh.encode(inputsEmbeds: embeds, mask: mask, batch: batch, length: te)
            try fresh.tokenLogProbabilities(decoderInputIds: ids, labels: labels, length: length, into: &scores)
            #expect(maxAbsoluteDifference(together[k], scores) <= 1e-13)
            #expect(scores.allSatisfy { $0 <= 0 } && scores.contains { $0 < 0 })
        }
    }

    /// The arena is sized once for the largest batch; smaller batches reuse it and give the same numbers.
    @Test func aReservedLargerArenaGivesTheSameResults() throws {
        let reference = try T5ParityCase(fixture("t5_v1_0_reference.safetensors"))
        let exact = try T5(directory: directory("v1_0")), roomy = try T5(directory: directory("v1_0"))
        roomy.reserve(batch: reference.batch + 2, encoderLength: reference.encoderLength + 7,
                      decoderLength: reference.targetLength + 3)
        var results: [(loss: Float, gradient: [Float])] = []
        for model in [exact, roomy] {
            let (embeds, mask) = try reference.encoderInput(model)
            let loss = try model.forward(inputsEmbeds: embeds, encoderMask: mask,
                                         decoderInputIds: reference.decoderInputIds, labels: reference.labels,
                                         batch: reference.batch, encoderLength: reference.encoderLength,
                                         decoderLength: reference.targetLength)
            var gradient = [Float](repeating: 0, count: embeds.count)
            model.backward(dInputsEmbeds: &gradient, accumulate: false)
            results.append((loss, gradient))
        }
        #expect(results[0].loss == results[1].loss)
        #expect(results[0].gradient == results[1].gradient)
    }

    @Test func withoutCountedLabelsTheLossAndItsGradientAreZero() throws {
        let model = try T5(directory: directory("v1_0"))
        let d = model.config.modelDim
        let embeds = randomValues(4 * d, seed: 2).floats
        let loss = try model.forward(inputsEmbeds: embeds, encoderMask: [1, 1, 1, 1], decoderInputIds: [0, 5],
                                     labels: [-100, -100], batch: 1, encoderLength: 4, decoderLength: 2)
        var gradient = [Float](repeating: .nan, count: embeds.count)
        model.backward(dInputsEmbeds: &gradient, accumulate: false)
        #expect(loss == 0)
        #expect(gradient.allSatisfy { $0 == 0 })
    }

    @Test func tokenIdsAndLabelsOutsideTheVocabularyAreErrors() throws {
        let model = try T5(directory: directory("v1_0"))
        let (d, vocabulary) = (model.config.modelDim, model.config.vocabularySize)
        var out = [Float](repeating: 0, count: 2 * d)
        #expect(throws: T5InputError.tokenOutOfVocabulary(id: vocabulary, vocabularySize: vocabulary)) {
            try model.embedTokens(ids: [5, Int32(vocabulary)], count: 2, into: &out)
        }
        let embeds = [Float](repeating: 0.1, count: 2 * d)
        #expect(throws: T5InputError.labelOutOfVocabulary(id: -1, vocabularySize: vocabulary)) {
            _ = try model.forward(inputsEmbeds: embeds, encoderMask: [1, 1], decoderInputIds: [0, 3], labels: [3, -1],
                                  batch: 1, encoderLength: 2, decoderLength: 2)
        }
        #expect(throws: T5InputError.tokenOutOfVocabulary(id: 999, vocabularySize: vocabulary)) {
            _ = try model.forward(inputsEmbeds: embeds, encoderMask: [1, 1], decoderInputIds: [0, 999],
                                  labels: [3, 1], batch: 1, encoderLength: 2, decoderLength: 2)
        }
    }

    @Test func decodingBeforeAnyEncodingIsAnError() throws {
        let model = try T5(directory: directory("v1_0"))
        #expect(throws: T5InputError.notEncoded) { _ = try model.logits(decoderInputIds: [0], length: 1) }
    }

    @Test func aMissingWeightIsNamed() throws {
        let folder = try directory("v1_0")
        var config = try T5Config(contentsOf: folder.configURL)
        config.tieWordEmbeddings = false  // v1_0 has no lm_head of its own
        #expect { try T5(config: config, weights: SafetensorsFile(url: folder.weightsURL)) }
            throws: { "\($0)".contains("'lm_head.weight' is missing") }
        config.tieWordEmbeddings = true
        config.feedForward = .gatedGELU
        #expect { try T5(config: config, weights: SafetensorsFile(url: folder.weightsURL)) }
            throws: { "\($0)".contains("'encoder.block.0.layer.1.DenseReluDense.wi_0.weight' is missing") }
    }

    @Test func weightsOfTheWrongShapeAreNamed() throws {
        let folder = try directory("v1_1")
        var config = try T5Config(contentsOf: folder.configURL)
        config.relativeAttentionBuckets = 32
        #expect { try T5(config: config, weights: SafetensorsFile(url: folder.weightsURL)) }
            throws: {
                "\($0)".contains("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight")
                    && "\($0)".contains("[32, 4]")
            }
    }

    // MARK: - Helpers

    private func run(_ model: T5Model<Double>, embeds: [Double], mask: [Int32], labels: [Int32], batch: Int,
                     encoderLength: Int, decoderLength: Int) throws -> (loss: Double, logits: [Double], gradient: [Double]) {
        var ids = [Int32](repeating: 0, count: labels.count)
        model.shiftRight(labels: labels, batch: batch, length: decoderLength, into: &ids)
        model.encode(inputsEmbeds: embeds, mask: mask, batch: batch, length: encoderLength)
        let logits = Array(UnsafeBufferPointer(start: try model.logits(decoderInputIds: ids, length: decoderLength),
                                               count: labels.count * model.config.vocabularySize))
        let loss = try model.forward(inputsEmbeds: embeds, encoderMask: mask, decoderInputIds: ids, labels: labels,
                                     batch: batch, encoderLength: encoderLength, decoderLength: decoderLength)
        var gradient = [Double](repeating: .nan, count: embeds.count)
        model.backward(dInputsEmbeds: &gradient, accumulate: false)
        return (loss, logits, gradient)
    }
}
