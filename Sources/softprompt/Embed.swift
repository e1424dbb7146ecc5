import ArgumentParser
import Foundation
import SoftPromptCheckpoint
import SoftPromptModels
import SoftPromptTensor
import SoftPromptTokenizers

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tokenize a text (or pair) and print its mean-pooled last hidden state: a sanity check.",
        discussion: """
            The embedding is the mean over all tokens of the frozen encoder's last hidden state, not normalised, no \
            prompt. For a T5 folder: the Unigram tokenizer (`</s>` appended; a pair is `A </s> B </s>`) and T5's encoder.
            """)

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
        if try Backbone.of(directory) == .t5 {
            try runT5(directory)
            return
        }
        let tokenizer = try WordPieceTokenizer(contentsOf: directory.tokenizerURL)
        let encoder = try BertModel(directory: directory)
        let encoding = tokenizer.encode(text, pair: pair, maxLength: min(maxLength, encoder.config.maxPositions))
        let length = encoding.ids.count, d = encoder.config.hiddenSize
        let input = PromptedBatch<Float>(batch: 1, promptLength: 0, textLength: length, width: d)
        let mask = [Int32](repeating: 1, count: length)
        try input.fill(prompt: [], ids: encoding.ids, typeIds: encoding.typeIds, attentionMask: mask, embedding: encoder)
        let hidden = try input.forward(encoder, inference: true)
        var embedding = [Float](repeating: 0, count: d)
        meanPoolForward(out: &embedding, inp: hidden, mask: mask, batch: 1, length: length, width: d)

        try report(encoding, embedding: embedding)
    }

    /// T5: the encoder's last hidden state for the Unigram ids, mean-pooled over the tokens.
    private func runT5(_ directory: ModelDirectory) throws {
        let tokenizer = try UnigramTokenizer(contentsOf: directory.tokenizerURL)
        let t5 = try T5(directory: directory)
        try T5Inputs.check(tokenizer: tokenizer, model: t5, directory: directory)
        let encoding = tokenizer.encode(text, pair: pair, maxLength: maxLength)
        let length = encoding.ids.count, d = t5.config.modelDim
        let input = T5PromptedBatch<Float>(batch: 1, promptLength: 0, textLength: length, targetLength: 1, width: d)
        let mask = [Int32](repeating: 1, count: length)
        try input.fill(prompt: [], ids: encoding.ids, textMask: mask, embedding: t5)
        let hidden = input.encode(t5)
        var embedding = [Float](repeating: 0, count: d)
        meanPoolForward(out: &embedding, inp: hidden, mask: mask, batch: 1, length: length, width: d)
        try report(encoding, embedding: embedding)
    }

    private func report(_ encoding: TokenizedText, embedding: [Float]) throws {
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
        print("embedding  d=\(embedding.count), mean-pooled over \(encoding.ids.count) tokens: [\(head), …]")
    }
}
