import Foundation
import SoftPromptJSON

/// A BERT-style tokenizer read from a Hugging Face tokenizer.json, giving the ids HF `tokenizers` gives.
///
/// Pipeline, as in HF: added tokens found in the raw text → BertNormalizer → (added tokens with
/// `normalized: true`) → BertPreTokenizer → WordPiece → truncation (LongestFirst, when `maxLength` is
/// given, counting the special tokens) → TemplateProcessing. The file's `truncation` and `padding` are
/// ignored: callers choose the length and pad.
public struct WordPieceTokenizer: Sendable {
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
    private let tokenStrings: [String?]
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
        let root: JSONValue
        do {
            // Duplicate keys are kept: model.vocab reports a repeated token itself, naming the field.
            root = try JSONParser.parse(data, options: .init(rejectsDuplicateKeys: false, skipsByteOrderMark: true,
                                                             documentName: "file"))
        } catch {
            throw .invalidJSON(path: path, line: error.line, column: error.column, reason: error.reason)
        }
        let reader = FieldReader(path: path)
        guard case .object = root else { throw .invalidField(path: path, field: "(root)", expected: "an object") }

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
                                          default: 100, minimum: 0)
        model = WordPiece(vocabulary: vocabulary, unknownToken: unknownToken, unknownId: unknownId,
                          continuingSubwordPrefix: prefix, maxInputCharsPerWord: maxChars)
        unkId = unknownId

        // normalizer
        if let value = root["normalizer"], !value.isNull {
            let normalizerObject = try reader.object(value, "normalizer")
            let type = try reader.string(normalizerObject["type"], "normalizer.type")
            guard type == "BertNormalizer" else {
                throw .unsupported(path: path, field: "normalizer.type", value: type, expected: "BertNormalizer or null")
            }
            let lowercase = try reader.bool(normalizerObject["lowercase"], "normalizer.lowercase", default: true)
            normalizer = BertNormalizer(
                cleanText: try reader.bool(normalizerObject["clean_text"], "normalizer.clean_text", default: true),
                handleChineseChars: try reader.bool(normalizerObject["handle_chinese_chars"],
                                                    "normalizer.handle_chinese_chars", default: true),
                stripAccents: try reader.optionalBool(normalizerObject["strip_accents"], "normalizer.strip_accents"),
                lowercase: lowercase)
        } else {
            normalizer = nil
        }

        // pre_tokenizer
        if let value = root["pre_tokenizer"], !value.isNull {
            let preTokenizerObject = try reader.object(value, "pre_tokenizer")
            let type = try reader.string(preTokenizerObject["type"], "pre_tokenizer.type")
            guard type == "BertPreTokenizer" else {
                throw .unsupported(path: path, field: "pre_tokenizer.type", value: type,
                                   expected: "BertPreTokenizer or null")
            }
            preTokenizer = BertPreTokenizer()
        } else {
            preTokenizer = nil
        }

        // added_tokens: HF keeps the vocabulary's id for a content the vocabulary has, and numbers the others
        // from the vocabulary size on, in file order (it only warns when the file says otherwise).
        var added: [AddedToken] = []
        var addedIdsBuilder = TokenVocabulary.Builder()
        if let value = root["added_tokens"], !value.isNull {
            guard case .array(let entries) = value else {
                throw .invalidField(path: path, field: "added_tokens", expected: "an array of objects")
            }
            let modelSize = Int64(vocabMembers.count)
            for (index, entry) in entries.enumerated() {
                let field = "added_tokens[\(index)]"
                let object = try reader.object(entry, field)
                let content = try reader.string(object["content"], "\(field).content")
                _ = try reader.integer(object["id"], "\(field).id", default: nil, minimum: 0)
                let special = try reader.bool(object["special"], "\(field).special", default: false)
                var token = AddedToken(
                    id: 0, content: content,
                    singleWord: try reader.bool(object["single_word"], "\(field).single_word", default: false),
                    leftStrip: try reader.bool(object["lstrip"], "\(field).lstrip", default: false),
                    rightStrip: try reader.bool(object["rstrip"], "\(field).rstrip", default: false),
                    normalized: try reader.bool(object["normalized"], "\(field).normalized", default: !special),
                    special: special)
                if content.isEmpty || added.contains(where: { $0.content.utf8.elementsEqual(content.utf8) }) {
                    continue
                }
                if let id = addedIdsBuilder.id(of: content) ?? vocabulary.id(of: content) {
                    token.id = id
                } else {
                    let largestAdded = added.map { Int64($0.id) }.max()
                    let next: Int64
                    if let largestAdded {
                        next = largestAdded >= modelSize || modelSize == 0 ? largestAdded + 1 : modelSize
                    } else {
                        next = modelSize
                    }
                    guard next <= Int64(Self.largestSupportedId) else {
                        throw .invalidField(path: path, field: "\(field).id",
                                            expected: "an id up to \(Self.largestSupportedId)")
                    }
                    token.id = Int32(next)
                }
                _ = addedIdsBuilder.insert(content, id: token.id)
                largestId = max(largestId, token.id)
                added.append(token)
            }
        }
        addedTokens = added
        let addedIds = TokenVocabulary(addedIdsBuilder)
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
            postProcessor = try reader.postProcessor(value, lookUp: lookUp)
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
        guard id >= 0, Int(id) < tokenStrings.count else { return nil }
        return tokenStrings[Int(id)]
    }

    // MARK: Encoding

    /// Encodes a text, or a pair of texts, with the special tokens of the post-processor. With `maxLength`,
    /// truncates LongestFirst so that the result, special tokens included, has at most `maxLength` tokens
    /// (a `maxLength` below the number of special tokens leaves only them; HF would not truncate at all).
    public func encode(_ text: String, pair: String? = nil, maxLength: Int? = nil) -> TokenizedText {
        var first = encodeSequenceWithTokens(text)
        var second = pair.map { encodeSequenceWithTokens($0) }
        if let maxLength {
            let added = postProcessor?.addedTokenCount(isPair: second != nil) ?? 0
            let kept = Truncation.longestFirst(first: first.ids.count, second: second?.ids.count,
                                               maxLength: maxLength - added)
            first.ids.removeLast(first.ids.count - kept.first)
            first.tokens.removeLast(first.tokens.count - kept.first)
            if let keptSecond = kept.second, var truncated = second {
                truncated.ids.removeLast(truncated.ids.count - keptSecond)
                truncated.tokens.removeLast(truncated.tokens.count - keptSecond)
                second = truncated
            }
        }
        if let postProcessor {
            return postProcessor.apply(a: first, b: second)
        }
        return TokenizedText(ids: first.ids + (second?.ids ?? []), tokens: first.tokens + (second?.tokens ?? []),
                             typeIds: [Int32](repeating: 0, count: first.ids.count)
                                 + [Int32](repeating: 1, count: second?.ids.count ?? 0))
    }

    /// The model ids of one text, without special tokens and without truncation.
    public func encodeSequence(_ text: String) -> [Int32] {
        var overrides: [(index: Int, token: String)] = []
        return encodeSequence(text, addedTokenText: &overrides)
    }

    private func encodeSequenceWithTokens(_ text: String) -> (ids: [Int32], tokens: [String]) {
        var overrides: [(index: Int, token: String)] = []
        let ids = encodeSequence(text, addedTokenText: &overrides)
        var tokens = ids.map { token(of: $0) ?? "" }
        for (index, token) in overrides { tokens[index] = token }
        return (ids, tokens)
    }

    /// `addedTokenText` gets the text an added token matched where it is not the token's content (HF names
    /// the token by the matched text: whitespace swallowed by lstrip/rstrip, the normalized form).
    private func encodeSequence(_ text: String, addedTokenText: inout [(index: Int, token: String)]) -> [Int32] {
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
                        addedTokenText.append((ids.count, UTF8Scalars.string(raw[split.range])))
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
                                addedTokenText.append((ids.count, UTF8Scalars.string(text[part.range])))
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

/// Reads typed fields and turns every surprise into a TokenizerError naming the field.
private struct FieldReader {
    let path: String

    func object(_ value: JSONValue?, _ field: String) throws(TokenizerError) -> JSONValue {
        guard let value, case .object = value else {
            throw .invalidField(path: path, field: field, expected: "an object\(found(value))")
        }
        return value
    }

    func string(_ value: JSONValue?, _ field: String, default fallback: String? = nil) throws(TokenizerError) -> String {
        switch value {
        case .string(let string)?: return string
        case nil, .null?:
            if let fallback { return fallback }
            fallthrough
        default:
            throw .invalidField(path: path, field: field, expected: "a string\(found(value))")
        }
    }

    func bool(_ value: JSONValue?, _ field: String, default fallback: Bool) throws(TokenizerError) -> Bool {
        switch value {
        case .bool(let bool)?: return bool
        case nil, .null?: return fallback
        default: throw .invalidField(path: path, field: field, expected: "true or false\(found(value))")
        }
    }

    func optionalBool(_ value: JSONValue?, _ field: String) throws(TokenizerError) -> Bool? {
        switch value {
        case .bool(let bool)?: return bool
        case nil, .null?: return nil
        default: throw .invalidField(path: path, field: field, expected: "true, false or null\(found(value))")
        }
    }

    func integer(_ value: JSONValue?, _ field: String, default fallback: Int?, minimum: Int) throws(TokenizerError) -> Int {
        if case .number(let number)? = value, let integer = number.int64,
           integer >= Int64(minimum) && integer <= Int64(Int32.max) {
            return Int(integer)
        }
        switch value {
        case nil, .null?:
            if let fallback { return fallback }
            fallthrough
        default:
            throw .invalidField(path: path, field: field,
                                expected: "an integer in \(minimum)...\(Int32.max)\(found(value))")
        }
    }

    private func found(_ value: JSONValue?) -> String {
        guard let value else { return " (it is missing)" }
        return " (found \(value.kindDescription))"
    }

    func postProcessor(_ value: JSONValue, lookUp: (String) -> Int32?) throws(TokenizerError) -> TemplateProcessing {
        let object = try object(value, "post_processor")
        let type = try string(object["type"], "post_processor.type")
        switch type {
        case "BertProcessing":
            func pair(_ name: String) throws(TokenizerError) -> (token: String, id: Int32) {
                let field = "post_processor.\(name)"
                guard case .array(let parts)? = object[name], parts.count == 2, case .string(let token) = parts[0],
                      case .number(let number) = parts[1], let id = number.int64, id >= 0, id < Int64(Int32.max) else {
                    throw .invalidField(path: path, field: field, expected: "a [token, id] pair")
                }
                return (token, Int32(id))
            }
            return .bert(cls: try pair("cls"), sep: try pair("sep"))
        case "TemplateProcessing":
            var specialTokens: [String: TemplateProcessing.SpecialToken] = [:]
            if let value = object["special_tokens"], !value.isNull {
                guard case .object(let members) = value else {
                    throw .invalidField(path: path, field: "post_processor.special_tokens",
                                        expected: "an object of name → {id, ids, tokens}")
                }
                for (name, entry) in members {
                    let field = "post_processor.special_tokens[\"\(name)\"]"
                    guard case .array(let idValues)? = entry["ids"], case .array(let tokenValues)? = entry["tokens"],
                          idValues.count == tokenValues.count else {
                        throw .invalidField(path: path, field: field,
                                            expected: "an object with arrays \"ids\" and \"tokens\" of equal length")
                    }
                    var ids: [Int32] = []
                    var tokens: [String] = []
                    for (idValue, tokenValue) in zip(idValues, tokenValues) {
                        guard case .number(let number) = idValue, let id = number.int64, id >= 0, id < Int64(Int32.max),
                              case .string(let token) = tokenValue else {
                            throw .invalidField(path: path, field: field,
                                                expected: "an object with integer \"ids\" and string \"tokens\"")
                        }
                        ids.append(Int32(id))
                        tokens.append(token)
                    }
                    specialTokens[name] = TemplateProcessing.SpecialToken(ids: ids, tokens: tokens)
                }
            }
            let single = try template(object["single"], "post_processor.single", specialTokens: &specialTokens,
                                      lookUp: lookUp)
            let pair = try template(object["pair"], "post_processor.pair", specialTokens: &specialTokens,
                                    lookUp: lookUp)
            func count(_ pieces: [TemplateProcessing.Piece], _ which: TemplateProcessing.Sequence) -> Int {
                pieces.filter { if case .sequence(which, _) = $0 { return true } else { return false } }.count
            }
            guard count(single, .a) == 1, count(single, .b) == 0 else {
                throw .invalidField(path: path, field: "post_processor.single", expected: "a template with $A once and no $B")
            }
            guard count(pair, .a) == 1, count(pair, .b) == 1 else {
                throw .invalidField(path: path, field: "post_processor.pair", expected: "a template with $A once and $B once")
            }
            return TemplateProcessing(single: single, pair: pair, specialTokens: specialTokens)
        default:
            throw .unsupported(path: path, field: "post_processor.type", value: type,
                               expected: "TemplateProcessing, BertProcessing or null")
        }
    }

    /// A template: an array of `{"SpecialToken": {"id", "type_id"}}` / `{"Sequence": {"id": "A"|"B", "type_id"}}`
    /// objects, or HF's string form ("[CLS] $A [SEP] $B:1 [SEP]:1", as a string or an array of strings).
    private func template(_ value: JSONValue?, _ field: String,
                          specialTokens: inout [String: TemplateProcessing.SpecialToken],
                          lookUp: (String) -> Int32?) throws(TokenizerError) -> [TemplateProcessing.Piece] {
        let elements: [JSONValue]
        switch value {
        case .array(let array)?: elements = array
        case .string(let string)?: elements = string.split(separator: " ").map { .string(String($0)) }
        default: throw .invalidField(path: path, field: field, expected: "an array of template pieces\(found(value))")
        }
        var pieces: [TemplateProcessing.Piece] = []
        for (index, element) in elements.enumerated() {
            let pieceField = "\(field)[\(index)]"
            switch element {
            case .string(let text):
                var name = text
                var typeId: Int32 = 0
                if let colon = text.lastIndex(of: ":"), let parsed = Int32(text[text.index(after: colon)...]), parsed >= 0 {
                    name = String(text[..<colon])
                    typeId = parsed
                }
                if name.hasPrefix("$") {
                    switch name.dropFirst().uppercased() {
                    case "", "A", "0": pieces.append(.sequence(.a, typeId: typeId))
                    case "B", "1": pieces.append(.sequence(.b, typeId: typeId))
                    default: throw .invalidField(path: path, field: pieceField, expected: "$A or $B")
                    }
                } else {
                    if specialTokens[name] == nil {
                        guard let id = lookUp(name) else {
                            throw .missingToken(path: path, field: pieceField, token: name)
                        }
                        specialTokens[name] = TemplateProcessing.SpecialToken(ids: [id], tokens: [name])
                    }
                    pieces.append(.specialToken(name, typeId: typeId))
                }
            case .object(let members) where members.count == 1:
                let (kind, body) = members[0]
                guard case .string(let id)? = body["id"] else {
                    throw .invalidField(path: path, field: "\(pieceField).\(kind).id", expected: "a string")
                }
                let typeId = try integer(body["type_id"], "\(pieceField).\(kind).type_id", default: 0, minimum: 0)
                switch kind {
                case "Sequence":
                    switch id {
                    case "A": pieces.append(.sequence(.a, typeId: Int32(typeId)))
                    case "B": pieces.append(.sequence(.b, typeId: Int32(typeId)))
                    default: throw .invalidField(path: path, field: "\(pieceField).Sequence.id", expected: "\"A\" or \"B\"")
                    }
                case "SpecialToken":
                    guard specialTokens[id] != nil else {
                        throw .invalidField(path: path, field: "\(pieceField).SpecialToken.id",
                                            expected: "a name listed in post_processor.special_tokens (\"\(id)\" is not)")
                    }
                    pieces.append(.specialToken(id, typeId: Int32(typeId)))
                default:
                    throw .invalidField(path: path, field: pieceField,
                                        expected: "{\"SpecialToken\": …} or {\"Sequence\": …}")
                }
            default:
                throw .invalidField(path: path, field: pieceField, expected: "{\"SpecialToken\": …} or {\"Sequence\": …}")
            }
        }
        return pieces
    }
}
