import Foundation
import SoftPromptCheckpoint
import SoftPromptModels
import SoftPromptTensor

/// One reference file written by Tests/Fixtures/make_reference.py: inputs, PyTorch's last hidden state with a
/// PEFT-placed prompt, and PyTorch's gradient of L = Σ hidden ⊙ R with respect to the prompt.
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

    /// Our encoder on the same inputs: (last hidden state, dL/dprompt).
    func run(_ model: BertModel) throws -> (hidden: [Float], promptGradient: [Float]) {
        let input = PromptedBatch<Float>(batch: batch, promptLength: promptLength, textLength: textLength, width: width)
        try input.fill(prompt: prompt, ids: ids, typeIds: typeIds, attentionMask: mask, embedding: model)
        let out = try input.forward(model)
        let hidden = Array(UnsafeBufferPointer(start: out, count: self.hidden.count))
        input.backward(model, dLastHidden: lossWeights)
        var gradient = [Float](repeating: 0, count: prompt.count)
        input.accumulatePromptGradient(into: &gradient)
        return (hidden, gradient)
    }
}

func fixture(_ name: String) -> URL {
    Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(name)
}

func maxAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
