import ArgumentParser
import Foundation
import SoftPromptCheckpoint
import SoftPromptModels
import SoftPromptTensor
import SoftPromptTokenizers

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a target text given an input text with a T5 model: the teacher-forced loss and per-token log-probabilities.",
        discussion: """
            Both texts are tokenized with the model's Unigram tokenizer.json (`</s>` appended); no prompt. The decoder \
            is teacher-forced on the target: logprobs[i] = log p(target_ids[i] | target_ids[..<i], input), and loss is \
            the mean of −logprobs, as transformers' T5ForConditionalGeneration computes it.
            """)

    @Option(help: "A T5 model folder (config.json, model.safetensors, tokenizer.json).")
    var model: String

    @Option(help: "The encoder's input text.")
    var input: String

    @Option(help: "The target text the decoder is scored on.")
    var target: String

    @Option(help: "A PEFT prompt-tuning adapter folder (adapter_model.safetensors, as `train` exports it) whose prompt goes before the input, as PEFT puts it: on the encoder only.")
    var adapter: String?

    @Option(help: "Truncate the input to this many tokens (`</s>` included).")
    var maxLength = 512

    @Flag(help: "Print one JSON object: ids, target_ids, loss, logprobs.")
    var json = false

    func validate() throws {
        if maxLength < 1 { throw ValidationError("--max-length must be at least 1") }
    }

    func run() throws {
        let directory = try ModelDirectory(URL(fileURLWithPath: model))
        guard try Backbone.of(directory) == .t5 else {
            throw ValidationErrorText("\(directory.configURL.path): score needs an encoder–decoder (T5) model; this is a BERT-family encoder")
        }
        let tokenizer = try UnigramTokenizer(contentsOf: directory.tokenizerURL)
        let t5 = try T5(directory: directory)
        try T5Inputs.check(tokenizer: tokenizer, model: t5, directory: directory)
        let ids = tokenizer.encode(input, maxLength: maxLength).ids
        let targetIds = tokenizer.encode(target).ids
        let prompt = try adapter.map { try Self.prompt(adapter: URL(fileURLWithPath: $0), width: t5.config.modelDim) } ?? []
        let (loss, logProbabilities) = try Self.score(t5, prompt: prompt, ids: ids, target: targetIds)
        if json {
            try printJSON(["ids": ids.map(Int.init), "target_ids": targetIds.map(Int.init), "loss": loss,
                           "logprobs": logProbabilities])
            return
        }
        print("ids         \(ids.map(String.init).joined(separator: " "))")
        print("target_ids  \(targetIds.map(String.init).joined(separator: " "))")
        print("logprobs    \(logProbabilities.map { String(format: "%.5f", $0) }.joined(separator: " "))")
        print(String(format: "loss        %.6f", loss))
    }

    /// The mean cross-entropy of `target` given `prompt` (n·d values, possibly none) and `ids`, and each target
    /// token's log-probability, from one encoding.
    static func score(_ model: T5, prompt: [Float], ids: [Int32], target: [Int32]) throws
        -> (loss: Double, logProbabilities: [Double])
    {
        let d = model.config.modelDim
        let batch = T5PromptedBatch<Float>(batch: 1, promptLength: prompt.count / d, textLength: ids.count,
                                           targetLength: target.count, width: d)
        try batch.fill(prompt: prompt, ids: ids, textMask: [Int32](repeating: 1, count: ids.count), embedding: model)
        batch.setTargets(target, model: model)
        let loss = try batch.forward(model)
        var out = [Float](repeating: 0, count: target.count)
        try model.tokenLogProbabilities(decoderInputIds: batch.decoderInputIds, labels: batch.labels, length: target.count,
                                        into: &out)
        return (Double(loss), out.map(Double.init))
    }

    /// The encoder prompt of a PEFT adapter: the first num_virtual_tokens rows of prompt_embeddings (PEFT's own
    /// seq2seq tables have 2n rows, of which prompt tuning uses the first n). Offset methods are refused: their
    /// offset lives in method.safetensors, which only `predict` applies.
    static func prompt(adapter folder: URL, width d: Int) throws -> [Float] {
        let url = folder.appendingPathComponent("adapter_model.safetensors")
        let table = try SafetensorsFile(url: url).tensor("prompt_embeddings")
        guard table.shape.count == 2, table.shape[1] == d else {
            throw ValidationErrorText("\(url.path): prompt_embeddings has shape \(table.shape), the model needs (n, \(d))")
        }
        let methodURL = folder.appendingPathComponent("method.safetensors")
        if let method = (try? SafetensorsFile(url: methodURL))?.metadata["method"], ["dept", "adept", "ept"].contains(method) {
            throw ValidationErrorText("\(methodURL.path): a \(method) adapter offsets the input embeddings too; score it with predict")
        }
        let n = min(Predict.virtualTokens(folder) ?? table.shape[0], table.shape[0])
        return Array(table.toArray().prefix(n * d))
    }
}
