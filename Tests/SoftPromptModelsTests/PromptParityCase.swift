import Foundation
import SoftPromptCheckpoint
@testable import SoftPromptModels
import SoftPromptTensor
import SoftPromptTestSupport

/// One reference file written by Tests/Fixtures/make_reference.py: inputs, PyTorch's last hidden state with a
/// PEFT-placed prompt, and PyTorch's gradient of L = Σ hidden ⊙ R with respect to the prompt.
/// R and the hidden state cover padding positions too, where BERT's values mean nothing: our packed path
/// (prefix masks) leaves them 0, so only the masked path can match the reference there (`check`).
struct PromptParityCase {
    let prompt: [Float]          // (n,d)
    let ids, typeIds, mask: [Int32]  // (B,L)
    let lossWeights: [Float]     // R (B,n+L,d)
    let hidden: [Float]          // (B,n+L,d)
    let promptGradient: [Float]  // (n,d)
    let batch: Int, promptLength: Int, textLength: Int, width: Int

    init(_ url: URL) throws {
        let file = try SafetensorsFile(url: url)
        func floats(_ name: String) throws -> (values: [Float], shape: [Int]) {
            let t = try file.tensor(name)
            return (t.toArray(), t.shape)
        }
        let p = try floats("prompt"), ids = try floats("input_ids")
        prompt = p.values
        (promptLength, width) = (p.shape[0], p.shape[1])
        (batch, textLength) = (ids.shape[0], ids.shape[1])
        self.ids = ids.values.map { Int32($0) }
        typeIds = try floats("token_type_ids").values.map { Int32($0) }
        mask = try floats("attention_mask").values.map { Int32($0) }
        lossWeights = try floats("loss_weights").values
        hidden = try floats("last_hidden_state").values
        promptGradient = try floats("prompt_grad").values
    }

    /// Our encoder on the same inputs: (last hidden state, dL/dprompt), with L = Σ hidden ⊙ R (R: the
    /// reference's, unless `lossWeights` is given).
    func run(_ model: BertModel, lossWeights: [Float]? = nil) throws -> (hidden: [Float], promptGradient: [Float]) {
        let input = PromptedBatch<Float>(batch: batch, promptLength: promptLength, textLength: textLength, width: width)
        try input.fill(prompt: prompt, ids: ids, typeIds: typeIds, attentionMask: mask, embedding: model)
        let out = try input.forward(model)
        let hidden = Array(UnsafeBufferPointer(start: out, count: self.hidden.count))
        input.backward(model, dLastHidden: lossWeights ?? self.lossWeights)
        var gradient = [Float](repeating: 0, count: prompt.count)
        input.accumulatePromptGradient(into: &gradient)
        return (hidden, gradient)
    }
}

extension PromptParityCase {
    /// Whether position (b, j) of the prompted sequence (B, n+L) is real: the prompt's or a text token's.
    func isReal(_ b: Int, _ j: Int) -> Bool { j < promptLength || mask[b * textLength + j - promptLength] != 0 }

    /// The entries of values (B, n+L, d) at real positions, in order.
    func realPositions(_ values: [Float]) -> [Float] {
        let t = promptLength + textLength
        return (0..<batch * t).filter { isReal($0 / t, $0 % t) }.flatMap { values[$0 * width..<($0 + 1) * width] }
    }

    /// The errors of our encoder against the reference. Masked path (the packed one switched off): every
    /// position, and the prompt gradient of the reference's L. Packed path: hidden states at real positions,
    /// and the prompt gradient of L restricted to real positions, against the masked path's for that L (the
    /// reference holds no gradient for it; the masked path's was just checked against PyTorch).
    func check(_ model: BertModel) throws -> (maskedHidden: Float, maskedGradient: Double,
                                              packedHidden: Float, packedGradient: Double) {
        let t = promptLength + textLength
        let realWeights = (0..<lossWeights.count).map { isReal($0 / width / t, $0 / width % t) ? lossWeights[$0] : 0 }
        model.packsPrefixMasks = false
        let masked = try run(model)
        let maskedOnReal = try run(model, lossWeights: realWeights)
        model.packsPrefixMasks = true
        let packed = try run(model, lossWeights: realWeights)
        return (maxAbsoluteDifference(masked.hidden, hidden),
                relativeError(masked.promptGradient.doubles, promptGradient.doubles),
                maxAbsoluteDifference(realPositions(packed.hidden), realPositions(hidden)),
                relativeError(packed.promptGradient.doubles, maskedOnReal.promptGradient.doubles))
    }
}

func fixture(_ name: String) -> URL {
    Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(name)
}

func maxAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
