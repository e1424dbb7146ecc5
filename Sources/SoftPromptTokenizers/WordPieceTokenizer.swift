import Foundation
import SoftPromptJSON

/// A BERT-style tokenizer read from a Hugging Face tokenizer.json, giving the ids HF `tokenizers` gives.
///
/// Pipeline, as in HF: added tokens found in the raw text → BertNormalizer → (added tokens with
/// `normalized: true`) → BertPreTokenizer → WordPiece → truncation (LongestFirst, when `maxLength` is
/// given, counting the special tokens) → TemplateProcessing. The file's `truncation` and `padding` are
/// ignored: callers choose the length and pad.
public struct WordPieceTokenizer: Sendable, SequenceTokenizer {
    public let model: WordPiece
    /// nil when the file has `"normalizer": null`.
    public let normalizer: BertNormalizer?
    /// nil when the file has `"pre_tokenizer": null` (each piece of text is then one word).
    public let preTokenizer: BertPreTokenizer?
    /// nil when the file has `"post_processor": null` (no special tokens; type id 1 for the second text).
    public let postProcessor: TemplateProcessing?
    public let addedTokens: [AddedToken]

    /// One more than the largest id of the vocabulary and the added tokens: the rows of the embedding table.
    public let vocabularySize: Int
    public let padId: Int32
    public let clsId: Int32
    public let sepId: Int32
    public let unkId: Int32
    public let maskId: Int32?

    private let addedVocabulary: AddedVocabulary
    private let addedTokenIds: TokenVocabulary
    let tokenStrings: [String?]
    private let specialIds: Set<Int32>
    private let decoderPrefix: String
    private let decoderCleanup: Bool

    // MARK: Loading

    /// Ids above this are refused: the id → token table (and a model's embedding) would be absurdly large.
    public static let largestSupportedId: Int32 = (1 << 24) - 1

    public init(contentsOf url: URL) throws(TokenizerError) {
        let path = url.path
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadableFile(path: path, reason: error.localizedDescription)
        }
        try self.init(jsonData: data, path: path)
    }

    /// `path` is only used to name the source in errors.
    public init(jsonData data: Data, path: String = "tokenizer.json") throws(TokenizerError) {
        let reader = TokenizerJSONFieldReader(path: path, dialect: .wordPiece)
        let root = try reader.root(of: data)

        // model
        let modelValue = try reader.object(root["model"], "model")
        if let type = modelValue["type"] {
            let name = try reader.string(type, "model.type")
            guard name == "WordPiece" else {
                throw .unsupported(path: path, field: "model.type", value: name, expected: "WordPiece")
            }
        }
        guard case .object(let vocabMembers)? = modelValue["vocab"] else {
            throw .invalidField(path: path, field: "model.vocab", expected: "an object of token → id")
        }
        var vocabularyBuilder = TokenVocabulary.Builder()
        var tokenById: [Int32: String] = [:]
        tokenById.reserveCapacity(vocabMembers.count)
        var largestId: Int32 = -1
        for (token, value) in vocabMembers {
            // The id bound keeps a malformed file from making us allocate gigabytes for the id → token table.
            guard case .number(let number) = value, let raw = number.int64, raw >= 0, raw <= Int64(Self.largestSupportedId) else {
                throw .invalidField(path: path, field: "model.vocab",
                                    expected: "an object of token → id (id of \"\(token)\" is not an integer in "
                                        + "0...\(Self.largestSupportedId))")
            }
            let id = Int32(raw)
            if let other = tokenById[id] {
                throw .duplicateId(path: path, field: "model.vocab", id: Int(id), first: other, second: token)
            }
            if vocabularyBuilder.insert(token, id: id) != nil {
                throw .duplicateToken(path: path, field: "model.vocab", token: token)
            }
            tokenById[id] = token
            largestId = max(largestId, id)
        }
        let vocabulary = TokenVocabulary(vocabularyBuilder)
        let unknownToken = try reader.string(modelValue["unk_token"], "model.unk_token", default: "[UNK]")
        guard let unknownId = vocabulary.id(of: unknownToken) else {
            throw .missingToken(path: path, field: "model.unk_token", token: unknownToken)
        }
        let prefix = try reader.string(modelValue["continuing_subword_prefix"], "model.continuing_subword_prefix",
                                       default: "##")
        let maxChars = try reader.integer(modelValue["max_input_chars_per_word"], "model.max_input_chars_per_word",
                                          in: 0...Int(Int32.max), default: 100)
        model = WordPiece(vocabulary: vocabulary, unknownToken: unknownToken, unknownId: unknownId,
                          continuingSubwordPrefix: prefix, maxInputCharsPerWord: maxChars)
        unkId = unknownId

        // normalizer
        if let value = root["normalizer"], !value.isNull {
            _ = try reader.type(value, "normalizer", oneOf: ["BertNormalizer"])
            let lowercase = try reader.bool(value["lowercase"], "normalizer.lowercase", default: true)
            normalizer = BertNormalizer(
                cleanText: try reader.bool(value["clean_text"], "normalizer.clean_text", default: true),
                handleChineseChars: try reader.bool(value["handle_chinese_chars"],
                                                    "normalizer.handle_chinese_chars", default: true),
                stripAccents: try reader.optionalBool(value["strip_accents"], "normalizer.strip_accents"),
                lowercase: lowercase)
        } else {
            normalizer = nil
        }

        // pre_tokenizer
        if let value = root["pre_tokenizer"], !value.isNull {
            _ = try reader.type(value, "pre_tokenizer", oneOf: ["BertPreTokenizer"])
            preTokenizer = BertPreTokenizer()
        } else {
            preTokenizer = nil
        }

        let (added, addedIds) = try reader.addedTokens(
            root["added_tokens"], modelSize: vocabMembers.count, largestSupportedId: Self.largestSupportedId,
            requiresIds: true) { vocabulary.id(of: $0) }
        largestId = added.reduce(largestId) { max($0, $1.id) }
        addedTokens = added
        addedTokenIds = addedIds

        var strings = [String?](repeating: nil, count: Int(largestId) + 1)
        for (id, token) in tokenById { strings[Int(id)] = token }
        for token in added { strings[Int(token.id)] = token.content }
        tokenStrings = strings
        vocabularySize = strings.count
        specialIds = Set(added.filter(\.special).map(\.id))

        let theNormalizer = normalizer
        addedVocabulary = AddedVocabulary(tokens: added) { content in
            var input: [UInt32] = []
            UTF8Scalars.appendScalars(of: content, to: &input)
            guard let theNormalizer else { return input }
            var output: [UInt32] = []
            input.withUnsafeBufferPointer { theNormalizer.normalize($0, appendingTo: &output) }
            return output
        }

        // post_processor
        func lookUp(_ token: String) -> Int32? { addedIds.id(of: token) ?? vocabulary.id(of: token) }
        if let value = root["post_processor"], !value.isNull {
            postProcessor = try reader.postProcessor(value, supported: ["TemplateProcessing", "BertProcessing"],
                                                     lookUp: lookUp)
        } else {
            postProcessor = nil
        }

        // decoder: only what decode() needs.
        var decoderPrefix = prefix
        var decoderCleanup = true
        if let decoder = root["decoder"], case .string("WordPiece")? = decoder["type"] {
            decoderPrefix = (try? reader.string(decoder["prefix"], "decoder.prefix", default: prefix)) ?? prefix
            decoderCleanup = (try? reader.bool(decoder["cleanup"], "decoder.cleanup", default: true)) ?? true
        }
        self.decoderPrefix = decoderPrefix
        self.decoderCleanup = decoderCleanup

        // Special ids: the template's first and last special tokens are CLS and SEP.
        var cls: Int32?
        var sep: Int32?
        if let template = postProcessor?.single {
            if case .specialToken(let name, _)? = template.first { cls = postProcessor?.specialTokens[name]?.ids.first }
            if case .specialToken(let name, _)? = template.last { sep = postProcessor?.specialTokens[name]?.ids.last }
        }
        guard let clsId = cls ?? lookUp("[CLS]") else {
            throw .missingToken(path: path, field: "post_processor (classifier token)", token: "[CLS]")
        }
        guard let sepId = sep ?? lookUp("[SEP]") else {
            throw .missingToken(path: path, field: "post_processor (separator token)", token: "[SEP]")
        }
        self.clsId = clsId
        self.sepId = sepId
        var padToken = "[PAD]"
        if let padding = root["padding"], case .object = padding, let name = padding["pad_token"],
           case .string(let token) = name {
            padToken = token
        }
        guard let padId = lookUp(padToken) else {
            throw .missingToken(path: path, field: "padding.pad_token", token: padToken)
        }
        self.padId = padId
        maskId = lookUp("[MASK]")
    }

    // MARK: Vocabulary

    /// The id of a token (added tokens first, then the model's vocabulary), compared byte for byte.
    public func id(of token: String) -> Int32? {
        addedTokenIds.id(of: token) ?? model.vocabulary.id(of: token)
    }

    public func token(of id: Int32) -> String? {
        tokenString(of: id)
    }

    // MARK: Encoding

    /// Encodes a text, or a pair of texts, with the special tokens of the post-processor. With `maxLength`,
    /// truncates LongestFirst so that the result, special tokens included, has at most `maxLength` tokens
    /// (a `maxLength` below the number of special tokens leaves only them; HF would not truncate at all).
    public func encode(_ text: String, pair: String? = nil, maxLength: Int? = nil) -> TokenizedText {
        encodeWithSpecialTokens(text, pair: pair, maxLength: maxLength)
    }

    /// The model ids of one text, without special tokens and without truncation.
    public func encodeSequence(_ text: String) -> [Int32] {
        var named: [(index: Int, text: String)] = []
        return encodeSequence(text, namedTokens: &named)
    }

    /// `namedTokens` gets the text an added token matched where it is not the token's content (HF names
    /// the token by the matched text: whitespace swallowed by lstrip/rstrip, the normalized form).
    func encodeSequence(_ text: String, namedTokens: inout [(index: Int, text: String)]) -> [Int32] {
        var raw: [UInt32] = []
        raw.reserveCapacity(text.utf8.count)
        UTF8Scalars.appendScalars(of: text, to: &raw)
        var ids: [Int32] = []
        ids.reserveCapacity(raw.count / 3 + 4)
        var rawSplits: [AddedVocabulary.Split] = []
        var normalizedSplits: [AddedVocabulary.Split] = []
        var normalized: [UInt32] = []
        let scratch = WordPiece.Scratch()
        raw.withUnsafeBufferPointer { raw in
            AddedVocabulary.split(raw, 0..<raw.count, patterns: addedVocabulary.rawPatterns, into: &rawSplits)
            for split in rawSplits {
                if let added = split.id {
                    if !addedVocabulary.matchIsContent(raw[split.range], id: added) {
                        namedTokens.append((ids.count, UTF8Scalars.string(raw[split.range])))
                    }
                    ids.append(added)
                    continue
                }
                normalized.removeAll(keepingCapacity: true)
                let piece = UnsafeBufferPointer(rebasing: raw[split.range])
                if let normalizer {
                    normalizer.normalize(piece, appendingTo: &normalized)
                } else {
                    normalized.append(contentsOf: piece)
                }
                normalized.withUnsafeBufferPointer { text in
                    normalizedSplits.removeAll(keepingCapacity: true)
                    AddedVocabulary.split(text, 0..<text.count, patterns: addedVocabulary.normalizedPatterns,
                                          into: &normalizedSplits)
                    for part in normalizedSplits {
                        if let added = part.id {
                            if !addedVocabulary.matchIsContent(text[part.range], id: added) {
                                namedTokens.append((ids.count, UTF8Scalars.string(text[part.range])))
                            }
                            ids.append(added)
                            continue
                        }
                        let words = UnsafeBufferPointer(rebasing: text[part.range])
                        if let preTokenizer {
                            preTokenizer.forEachWord(in: words) { word in
                                model.tokenize(UnsafeBufferPointer(rebasing: words[word]), appendingTo: &ids,
                                               scratch: scratch)
                            }
                        } else {
                            model.tokenize(words, appendingTo: &ids, scratch: scratch)
                        }
                    }
                }
            }
        }
        return ids
    }

    // MARK: Decoding

    /// Text for debugging, as HF's WordPiece decoder writes it: pieces joined with spaces, the "##" pieces
    /// glued on, HF's cleanup of spaces before punctuation and contractions; special tokens skipped.
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = true) -> String {
        // Bytes, not Characters: "##" followed by a combining mark is one grapheme cluster, so String's
        // hasPrefix would miss the prefix of "##ि".
        let prefix = Array(decoderPrefix.utf8)
        var result: [UInt8] = []
        var first = true
        for id in ids {
            if skipSpecialTokens && specialIds.contains(id) { continue }
            guard let token = token(of: id) else { continue }
            var piece = Array(token.utf8)
            if !first {
                if !prefix.isEmpty, piece.starts(with: prefix) {
                    piece.removeFirst(prefix.count)
                } else {
                    piece.insert(0x20, at: 0)
                }
            }
            if decoderCleanup { piece = Self.cleanup(piece) }
            result.append(contentsOf: piece)
            first = false
        }
        return String(decoding: result, as: UTF8.self)
    }

    private static let cleanupReplacements: [([UInt8], [UInt8])] = [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
        (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ].map { (Array($0.0.utf8), Array($0.1.utf8)) }

    /// HF's WordPiece decoder cleanup, applied in order, each replacing every occurrence.
    private static func cleanup(_ text: [UInt8]) -> [UInt8] {
        var text = text
        for (from, to) in cleanupReplacements {
            var output: [UInt8] = []
            var index = 0
            while index < text.count {
                if text[index] == from[0], index + from.count <= text.count,
                   text[index..<index + from.count].elementsEqual(from) {
                    output.append(contentsOf: to)
                    index += from.count
                } else {
                    output.append(text[index])
                    index += 1
                }
            }
            text = output
        }
        return text
    }
}
