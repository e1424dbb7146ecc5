import Foundation

/// A SentencePiece Unigram tokenizer (T5) read from a Hugging Face tokenizer.json, giving the ids HF
/// `tokenizers` gives.
///
/// Pipeline, as in HF: added tokens found in the raw text (`</s>`, `<pad>`, `<unk>`, `<extra_id_N>`) →
/// normalizer (Precompiled, Strip, Replace) → (added tokens with `normalized: true`) → pre-tokenizer
/// (WhitespaceSplit, Metaspace) → Unigram Viterbi per word → truncation (LongestFirst, when `maxLength` is
/// given, counting the special tokens) → TemplateProcessing (`$A </s>`, `$A </s> $B </s>`). The file's
/// `truncation` and `padding` are ignored: callers choose the length and pad.
public struct UnigramTokenizer: Sendable, SequenceTokenizer {
    public let model: UnigramModel
    /// nil when the file has `"normalizer": null`.
    public let normalizer: UnigramNormalizer?
    /// nil when the file has `"pre_tokenizer": null` (each piece of normalized text is then one word).
    public let preTokenizer: UnigramPreTokenizer?
    /// nil when the file has `"post_processor": null` (no special tokens are added).
    public let postProcessor: TemplateProcessing?
    /// nil when the file has `"decoder": null` (decoding then joins the tokens with spaces, as HF does).
    public let decoder: MetaspaceDecoder?
    public let addedTokens: [AddedToken]

    /// One more than the largest id of the vocabulary and the added tokens. A model's embedding table may
    /// have more rows (t5-small: 32,100 ids, 32,128 rows).
    public let vocabularySize: Int
    public let padId: Int32
    /// The end-of-sequence token the post-processor appends (`</s>`).
    public let eosId: Int32
    public let unkId: Int32

    /// Everything encoding needs, in one object, so the encoding loops never copy this struct's fields.
    let pipeline: UnigramPipeline
    let addedTokenIds: TokenVocabulary
    let tokenStrings: [String?]
    let specialIds: Set<Int32>

    /// Ids above this are refused: the id → token table (and a model's embedding) would be absurdly large.
    public static let largestSupportedId: Int32 = (1 << 24) - 1

    public init(contentsOf url: URL) throws(TokenizerError) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadableFile(path: url.path, reason: error.localizedDescription)
        }
        try self.init(jsonData: data, path: url.path)
    }

    /// `path` is only used to name the source in errors.
    public init(jsonData data: Data, path: String = "tokenizer.json") throws(TokenizerError) {
        let parts = try UnigramTokenizerJSON(data: data, path: path)
        model = parts.model
        normalizer = parts.normalizer
        preTokenizer = parts.preTokenizer
        postProcessor = parts.postProcessor
        decoder = parts.decoder
        addedTokens = parts.addedTokens
        addedTokenIds = parts.addedTokenIds
        tokenStrings = parts.tokenStrings
        vocabularySize = parts.tokenStrings.count
        specialIds = Set(parts.addedTokens.filter(\.special).map(\.id))
        padId = parts.padId
        eosId = parts.eosId
        unkId = parts.model.unknownId
        let theNormalizer = parts.normalizer
        let addedVocabulary = AddedVocabulary(tokens: parts.addedTokens) { content in
            var scalars: [UInt32] = []
            UTF8Scalars.appendScalars(of: theNormalizer?.normalize(content) ?? content, to: &scalars)
            return scalars
        }
        pipeline = UnigramPipeline(model: parts.model, normalizer: parts.normalizer, preTokenizer: parts.preTokenizer,
                                   addedVocabulary: addedVocabulary)
    }

    // MARK: Vocabulary

    /// The id of a token (added tokens first, then the model's pieces), compared byte for byte.
    public func id(of token: String) -> Int32? {
        addedTokenIds.id(of: token) ?? model.id(of: token)
    }

    /// The token of an id as HF names it: the piece, or the added token's content (normalized, for an added
    /// token matched in the normalized text).
    public func token(of id: Int32) -> String? {
        tokenString(of: id)
    }

    // MARK: Encoding

    /// Encodes a text, or a pair of texts, with the special tokens of the post-processor. With `maxLength`,
    /// truncates LongestFirst so that the result, special tokens included, has at most `maxLength` tokens (a
    /// `maxLength` below the number of special tokens leaves only them; HF would not truncate at all). Tokens
    /// are HF's: the vocabulary piece, or for a run of unknown characters the run's text.
    public func encode(_ text: String, pair: String? = nil, maxLength: Int? = nil) -> TokenizedText {
        encodeWithSpecialTokens(text, pair: pair, maxLength: maxLength)
    }

    /// The model ids of one text, without special tokens and without truncation.
    public func encodeSequence(_ text: String) -> [Int32] {
        var named: [(index: Int, text: String)] = []
        return pipeline.encode(text, namedTokens: &named, recordsNames: false, scratch: UnigramPipeline.Scratch())
    }

    /// For `encode`: records the tokens' names, which `encodeSequence(_:)` has no use for.
    func encodeSequence(_ text: String, namedTokens: inout [(index: Int, text: String)]) -> [Int32] {
        pipeline.encode(text, namedTokens: &namedTokens, recordsNames: true, scratch: UnigramPipeline.Scratch())
    }

    // MARK: Decoding

    /// The text of `ids`, as HF's `decode`: ids without a token are dropped, special tokens too (unless
    /// `skipSpecialTokens` is false), and the rest go through the decoder (Metaspace: "▁" → " ", none in front).
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = true) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            if skipSpecialTokens && specialIds.contains(id) { continue }
            if let token = token(of: id) { tokens.append(token) }
        }
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.decode(tokens)
    }
}
