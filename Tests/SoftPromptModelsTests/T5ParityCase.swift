import Foundation
import SoftPromptCheckpoint
import SoftPromptModels
import SoftPromptTensor

/// One reference file written by Tests/Fixtures/make_t5_reference.py: the inputs of a prompted T5 batch and
/// transformers' float64 outputs (encoder last hidden state, logits, loss, per-token log-probabilities,
/// ∂loss/∂inputs_embeds and its prompt rows summed over the batch).
struct T5ParityCase {
    let prompt: [Float]                  // (n,d)
    let ids, mask: [Int32]               // (B,L)
    let labels, decoderInputIds: [Int32] // (B,Td)
    let encoderHidden: [Float]           // (B,n+L,d)
    let logits: [Float]                  // (B,Td,V)
    let loss: Float
    let tokenLogProbabilities: [Float]   // (B,Td)
    let inputsEmbedsGradient: [Float]    // (B,n+L,d)
    let promptGradient: [Float]          // (n,d)
    let batch: Int, promptLength: Int, textLength: Int, targetLength: Int, width: Int
    var encoderLength: Int { promptLength + textLength }

    init(_ url: URL) throws {
        let file = try SafetensorsFile(url: url)
        func floats(_ name: String) throws -> (values: [Float], shape: [Int]) {
            let t = try file.tensor(name)
            return (t.toArray(), t.shape)
        }
        func ints(_ name: String) throws -> [Int32] { try floats(name).values.map { Int32($0) } }
        let p = try floats("prompt"), ids = try floats("input_ids"), labels = try floats("labels")
        prompt = p.values
        (promptLength, width) = (p.shape[0], p.shape[1])
        (batch, textLength) = (ids.shape[0], ids.shape[1])
        targetLength = labels.shape[1]
        self.ids = ids.values.map { Int32($0) }
        self.labels = labels.values.map { Int32($0) }
        mask = try ints("attention_mask")
        decoderInputIds = try ints("decoder_input_ids")
        encoderHidden = try floats("encoder_last_hidden_state").values
        logits = try floats("logits").values
        loss = try floats("loss").values[0]
        tokenLogProbabilities = try floats("token_log_probs").values
        inputsEmbedsGradient = try floats("inputs_embeds_grad").values
        promptGradient = try floats("prompt_grad").values
    }

    /// The encoder input as methods.md §6.1 places the prompt: inputs_embeds = [P; shared(ids)], mask [1; m].
    func encoderInput<S: KernelScalar>(_ model: T5Model<S>) throws -> (embeds: [S], mask: [Int32]) {
        let (n, l, d, t) = (promptLength, textLength, width, encoderLength)
        var embeds = [S](repeating: 0, count: batch * t * d)
        var fullMask = [Int32](repeating: 1, count: batch * t)
        try embeds.withUnsafeMutableBufferPointer { out in
            for b in 0..<batch {
                let row = out.baseAddress! + b * t * d
                for i in 0..<n * d { row[i] = S(prompt[i]) }
                try ids.withUnsafeBufferPointer { try model.embedTokens(ids: $0.baseAddress! + b * l, count: l, into: row + n * d) }
                for j in 0..<l { fullMask[b * t + n + j] = mask[b * l + j] }
            }
        }
        return (embeds, fullMask)
    }
}

func maxAbsoluteDifference(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
