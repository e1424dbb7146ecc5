import ArgumentParser
import Foundation
import SoftPromptCheckpoint
import SoftPromptModels
import SoftPromptTensor
import SoftPromptTokenizers

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tokenize a text (or pair) and print its mean-pooled last hidden state: a sanity check.",
        discussion: "The embedding is the mean over all tokens of the frozen encoder's last hidden state, not normalised, no prompt.")

    @Option(help: "Model folder (config.json, model.safetensors, tokenizer.json). Default: the installed MiniLM.")
    var model: String?

    @Option(help: "Truncate the encoding to this many tokens (specials included).")
    var maxLength = 512

    @Flag(help: "Print one JSON object: tokens, ids, token_type_ids, embedding (all values).")
    var json = false

    @Argument(help: "The text.")
    var text: String

    @Argument(help: "An optional second text, encoded as a pair.")
    var pair: String?

    func run() throws {
        let directory = try ModelDirectory(try ModelLocator.resolve(model))
        let tokenizer = try WordPieceTokenizer(contentsOf: directory.tokenizerURL)
        let encoder = try BertModel(directory: directory)
        let encoding = tokenizer.encode(text, pair: pair, maxLength: min(maxLength, encoder.config.maxPositions))
        let length = encoding.ids.count, d = encoder.config.hiddenSize
        let input = PromptedBatch<Float>(batch: 1, promptLength: 0, textLength: length, width: d)
        let mask = [Int32](repeating: 1, count: length)
        try input.fill(prompt: [], ids: encoding.ids, typeIds: encoding.typeIds, attentionMask: mask, embedding: encoder)
        let hidden = try input.forward(encoder)
        var embedding = [Float](repeating: 0, count: d)
        meanPoolForward(out: &embedding, inp: hidden, mask: mask, batch: 1, length: length, width: d)

        if json {
            let object: [String: Any] = ["tokens": encoding.tokens, "ids": encoding.ids.map(Int.init),
                                         "token_type_ids": encoding.typeIds.map(Int.init),
                                         "embedding": embedding.map(Double.init)]
            try printJSON(object)
            return
        }
        print("tokens     \(encoding.tokens.joined(separator: " "))")
        print("ids        \(encoding.ids.map(String.init).joined(separator: " "))")
        if pair != nil { print("types      \(encoding.typeIds.map(String.init).joined(separator: " "))") }
        let head = embedding.prefix(8).map { String(format: "%.5f", $0) }.joined(separator: ", ")
        print("embedding  d=\(d), mean-pooled over \(length) tokens: [\(head), …]")
    }
}
