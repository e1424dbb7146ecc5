import Foundation
import SoftPromptCheckpoint
import SoftPromptModels
import SoftPromptTensor
import SoftPromptTestSupport
import Testing

@Suite struct BertEncoderTests {
    let tinyBert = try! ModelDirectory(fixture("tiny-bert"))

    @Test func tinyBertMatchesTransformersWithAPEFTPlacedPrompt() throws {
        let reference = try PromptParityCase(fixture("tiny_bert_reference.safetensors"))
        let errors = try reference.check(try BertModel(directory: tinyBert))
        // The reference is float64; Float32 arithmetic through two layers stays well inside 1e-5.
        #expect(errors.maskedHidden <= 1e-5)
        #expect(errors.maskedGradient <= 1e-5)
        #expect(errors.packedHidden <= 1e-5)
        #expect(errors.packedGradient <= 1e-5)
    }

    @Test(.enabled(if: installedModelDirectory() != nil, "the real MiniLM is not installed (scripts/setup installs it)"))
    func miniLMMatchesTransformersWithAPEFTPlacedPrompt() throws {
        let reference = try PromptParityCase(fixture("minilm_reference.safetensors"))
        let model = try BertModel(directory: ModelDirectory(installedModelDirectory()!))
        let errors = try reference.check(model)
        #expect(errors.maskedHidden <= 1e-4)
        #expect(errors.maskedGradient <= 1e-4)
        #expect(errors.packedHidden <= 1e-4)
        #expect(errors.packedGradient <= 1e-4)
    }

    /// The whole encoder, run in Float64, against central differences: every layer's backward composed.
    @Test(arguments: [0.0, 0.2])
    func inputGradientMatchesFiniteDifferencesInFloat64(dropout: Double) throws {
        let model = try BertEncoder<Double>(directory: tinyBert)
        let (batch, length, d) = (2, 6, model.config.hiddenSize)
        let typeIds: [Int32] = [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]
        let mask: [Int32] = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]  // the second row is padded
        let seed = RandomStream(seed: 3)
        let error = finiteDifferenceError(input: randomValues(batch * length * d, seed: 1), outputCount: batch * length * d,
            forward: { x, out in
                // The same dropout masks on every evaluation, so the function being differentiated is fixed.
                model.dropout = dropout > 0 ? BackboneDropout(hidden: dropout, attention: dropout / 2, random: seed) : nil
                let hidden = try! model.forward(inputsEmbeds: x, typeIds: typeIds, attentionMask: mask,
                                                batch: batch, length: length)
                out.update(from: hidden, count: batch * length * d)
            },
            backward: { dout, _, dx in model.backward(dLastHidden: dout, dInputsEmbeds: dx) })
        #expect(error < gradientTolerance)
    }

    @Test func dropoutIsOffUnlessAskedFor() throws {
        let model = try BertModel(directory: tinyBert)
        #expect(model.dropout == nil)
    }

    @Test func sequenceLongerThanThePositionTableIsAnError() throws {
        let model = try BertModel(directory: tinyBert)
        let length = model.config.maxPositions + 1
        let zeros = [Float](repeating: 0, count: length * model.config.hiddenSize)
        let types = [Int32](repeating: 0, count: length), mask = [Int32](repeating: 1, count: length)
        #expect(throws: BertInputError.sequenceTooLong(length: length, maxPositions: model.config.maxPositions)) {
            _ = try model.forward(inputsEmbeds: zeros, typeIds: types, attentionMask: mask, batch: 1, length: length)
        }
    }

    @Test func tokenIdOutsideTheVocabularyIsAnError() throws {
        let model = try BertModel(directory: tinyBert)
        var out = [Float](repeating: 0, count: 2 * model.config.hiddenSize)
        #expect(throws: BertInputError.tokenOutOfVocabulary(id: 97, vocabularySize: 97)) {
            try model.embedTokens(ids: [5, 97], count: 2, into: &out)
        }
    }

    @Test func weightsOfTheWrongShapeAreNamed() throws {
        var config = try BertConfig(contentsOf: tinyBert.configURL)
        config.intermediateSize += 1
        #expect { try BertModel(config: config, weights: SafetensorsFile(url: tinyBert.weightsURL)) }
            throws: { "\($0)".contains("encoder.layer.0.intermediate.dense.weight") && "\($0)".contains("[38, 32]") }
    }
}
