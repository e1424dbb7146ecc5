import Foundation
import SoftPromptJSON

/// The parts of a Unigram tokenizer.json, read and checked. Every surprise is a TokenizerError naming the field.
struct UnigramTokenizerJSON {
    var model: UnigramModel
    var normalizer: UnigramNormalizer?
    var preTokenizer: UnigramPreTokenizer?
    var postProcessor: TemplateProcessing?
    var decoder: MetaspaceDecoder?
    var addedTokens: [AddedToken]
    var addedTokenIds: TokenVocabulary
    /// The token of every id (vocabulary pieces, then added tokens); its count is the vocabulary size.
    var tokenStrings: [String?]
    var padId: Int32
    var eosId: Int32

    init(data: Data, path: String) throws(TokenizerError) {
        let reader = TokenizerJSONFieldReader(path: path, dialect: .unigram)
        let root = try reader.root(of: data)

        let (model, pieces) = try reader.unigramModel(root["model"])
        self.model = model
        let vocabulary = TokenVocabulary.Builder.from(pieces)

        normalizer = try reader.optional(root["normalizer"]) { value throws(TokenizerError) in
            UnigramNormalizer(steps: try reader.unigramNormalizerSteps(value, "normalizer"))
        }
        preTokenizer = try reader.optional(root["pre_tokenizer"]) { value throws(TokenizerError) in
            UnigramPreTokenizer(steps: try reader.unigramPreTokenizerSteps(value, "pre_tokenizer"))
        }
        decoder = try reader.optional(root["decoder"]) { value throws(TokenizerError) in
            try reader.metaspaceDecoder(value)
        }

        let (added, frozenAddedIds) = try reader.addedTokens(
            root["added_tokens"], modelSize: pieces.count, largestSupportedId: UnigramTokenizer.largestSupportedId,
            requiresIds: false) { vocabulary.id(of: $0) }
        addedTokens = added
        addedTokenIds = frozenAddedIds
        let largestId = added.reduce(Int32(pieces.count) - 1) { max($0, $1.id) }

        var strings = [String?](repeating: nil, count: Int(largestId) + 1)
        for (id, piece) in pieces.enumerated() { strings[id] = piece }
        // HF names an added token matched in the normalized text by its normalized content ("ＡＢＣ" → "ABC"),
        // while looking it up by id still takes the content as written.
        for token in added {
            strings[Int(token.id)] = token.normalized ? normalizer?.normalize(token.content) ?? token.content : token.content
        }
        tokenStrings = strings

        func lookUp(_ token: String) -> Int32? { frozenAddedIds.id(of: token) ?? model.id(of: token) }
        postProcessor = try reader.optional(root["post_processor"]) { value throws(TokenizerError) in
            try reader.postProcessor(value, supported: ["TemplateProcessing"], lookUp: lookUp)
        }

        // The end-of-sequence token is the last special token of the template; T5 names it "</s>".
        var eos: Int32?
        if case .specialToken(let name, _)? = postProcessor?.single.last {
            eos = postProcessor?.specialTokens[name]?.ids.last
        }
        guard let eosId = eos ?? lookUp("</s>") else {
            throw .missingToken(path: path, field: "post_processor (end-of-sequence token)", token: "</s>")
        }
        self.eosId = eosId
        var padToken = "<pad>"
        if let padding = root["padding"], case .string(let token)? = padding["pad_token"] { padToken = token }
        guard let padId = lookUp(padToken) else {
            throw .missingToken(path: path, field: "padding.pad_token", token: padToken)
        }
        self.padId = padId
    }
}

private extension TokenVocabulary.Builder {
    /// Pieces numbered from 0; the caller has already refused duplicates.
    static func from(_ pieces: [String]) -> TokenVocabulary {
        var builder = TokenVocabulary.Builder()
        for (id, piece) in pieces.enumerated() { _ = builder.insert(piece, id: Int32(id)) }
        return TokenVocabulary(builder)
    }
}
