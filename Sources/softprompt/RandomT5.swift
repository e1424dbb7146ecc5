import Foundation
import SoftPromptCheckpoint
import SoftPromptModels
import SoftPromptTensor

/// A T5 with the shape of a published checkpoint and random weights, for benchmarks on machines without the real
/// one: the weights are written as a temporary model.safetensors (so the model maps them as it maps a real file)
/// and the folder is deleted when this value is.
final class RandomT5 {
    static let shapes: [String: T5Config] = [
        // google-t5/t5-base and t5-small (v1.0: ReLU feed-forward, head tied to `shared`).
        "t5-base": T5Config(vocabularySize: 32128, modelDim: 768, headDim: 64, feedForwardDim: 3072, encoderLayers: 12,
                            heads: 12),
        "t5-small": T5Config(vocabularySize: 32128, modelDim: 512, headDim: 64, feedForwardDim: 2048, encoderLayers: 6,
                             heads: 8),
    ]

    let folder: URL
    let model: T5

    /// Weights ~ U(−a, a) with a = √(3/fan_in) (unit variance through each matrix), embeddings U(−1, 1), norms 1.
    init(shape name: String, seed: UInt64 = 1) throws {
        guard let c = Self.shapes[name] else {
            throw ValidationErrorText("--random-model must be one of \(Self.shapes.keys.sorted().joined(separator: ", ")), got \(name)")
        }
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("softprompt-random-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var random = RandomStream(seed: seed)
        var tensors: [(name: String, tensor: Tensor)] = []
        func add(_ name: String, _ shape: [Int], bound: Float? = nil) {
            let tensor = Tensor(zeros: shape)
            if let bound {
                random.fillUniform(tensor.buffer, low: -bound, high: bound)
            } else {
                tensor.fill(1)
            }
            tensors.append((name, tensor))
        }
        let (d, inner, f) = (c.modelDim, c.innerDim, c.feedForwardDim)
        let boundD = (3 / Float(d)).squareRoot(), boundInner = (3 / Float(inner)).squareRoot(), boundF = (3 / Float(f)).squareRoot()
        add("shared.weight", [c.vocabularySize, d], bound: 1)
        func attention(_ prefix: String) {
            for p in ["q", "k", "v"] { add("\(prefix).\(p).weight", [inner, d], bound: boundD) }
            add("\(prefix).o.weight", [d, inner], bound: boundInner)
        }
        func feedForward(_ prefix: String) {
            add("\(prefix).wi.weight", [f, d], bound: boundD)
            add("\(prefix).wo.weight", [d, f], bound: boundF)
        }
        for stack in ["encoder", "decoder"] {
            let layers = stack == "encoder" ? c.encoderLayers : c.decoderLayers
            add("\(stack).block.0.layer.0.SelfAttention.relative_attention_bias.weight",
                [c.relativeAttentionBuckets, c.heads], bound: 1)
            for i in 0..<layers {
                let p = "\(stack).block.\(i).layer."
                add(p + "0.layer_norm.weight", [d])
                attention(p + "0.SelfAttention")
                if stack == "decoder" {
                    add(p + "1.layer_norm.weight", [d])
                    attention(p + "1.EncDecAttention")
                }
                let ff = stack == "encoder" ? "1" : "2"
                add(p + "\(ff).layer_norm.weight", [d])
                feedForward(p + "\(ff).DenseReluDense")
            }
            add("\(stack).final_layer_norm.weight", [d])
        }
        let url = folder.appendingPathComponent("model.safetensors")
        try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: url)
        tensors.removeAll()  // free the generated copy before the file is mapped
        model = try T5(config: c, weights: SafetensorsFile(url: url))
    }

    deinit { try? FileManager.default.removeItem(at: folder) }
}
