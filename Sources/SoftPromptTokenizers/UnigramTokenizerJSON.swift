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
        let root: JSONValue
        do {
            // Duplicate keys are kept, as serde keeps the last; the fields we read are looked up by first match,
            // and a repeated piece in model.vocab is reported by name.
            root = try JSONParser.parse(data, options: .init(rejectsDuplicateKeys: false, skipsByteOrderMark: true,
                                                             documentName: "file"))
        } catch {
            throw .invalidJSON(path: path, line: error.line, column: error.column, reason: error.reason)
        }
        let reader = UnigramFieldReader(path: path)
        guard case .object = root else { throw .invalidField(path: path, field: "(root)", expected: "an object") }

        let (model, pieces) = try reader.model(root["model"])
        self.model = model
        let vocabulary = TokenVocabulary.Builder.from(pieces)

        normalizer = try reader.optional(root["normalizer"]) { value throws(TokenizerError) in
            UnigramNormalizer(steps: try reader.normalizerSteps(value, "normalizer"))
        }
        preTokenizer = try reader.optional(root["pre_tokenizer"]) { value throws(TokenizerError) in
            UnigramPreTokenizer(steps: try reader.preTokenizerSteps(value, "pre_tokenizer"))
        }
        decoder = try reader.optional(root["decoder"]) { value throws(TokenizerError) in try reader.decoder(value) }

        // added_tokens: HF keeps the vocabulary's id for a content the vocabulary has, and numbers the others
        // from the vocabulary size on, in file order (it only warns when the file says otherwise).
        var added: [AddedToken] = []
        var addedIds = TokenVocabulary.Builder()
        var largestId = Int32(pieces.count) - 1
        if let value = root["added_tokens"], !value.isNull {
            guard case .array(let entries) = value else {
                throw .invalidField(path: path, field: "added_tokens", expected: "an array of objects")
            }
            for (index, entry) in entries.enumerated() {
                let field = "added_tokens[\(index)]"
                var token = try reader.addedToken(entry, field)
                if token.content.isEmpty || added.contains(where: { $0.content.utf8.elementsEqual(token.content.utf8) }) {
                    continue
                }
                if let id = addedIds.id(of: token.content) ?? vocabulary.id(of: token.content) {
                    token.id = id
                } else {
                    let largestAdded = added.map { Int64($0.id) }.max()
                    let modelSize = Int64(pieces.count)
                    let next = largestAdded.map { $0 >= modelSize || modelSize == 0 ? $0 + 1 : modelSize } ?? modelSize
                    guard next <= Int64(UnigramTokenizer.largestSupportedId) else {
                        throw .invalidField(path: path, field: "\(field).id",
                                            expected: "an id up to \(UnigramTokenizer.largestSupportedId)")
                    }
                    token.id = Int32(next)
                }
                _ = addedIds.insert(token.content, id: token.id)
                largestId = max(largestId, token.id)
                added.append(token)
            }
        }
        addedTokens = added
        let frozenAddedIds = TokenVocabulary(addedIds)
        addedTokenIds = frozenAddedIds

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
            try reader.postProcessor(value, lookUp: lookUp)
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

/// Reads typed fields of a Unigram tokenizer.json and turns every surprise into a TokenizerError naming the field.
struct UnigramFieldReader {
    let path: String

    // MARK: Fields

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

    /// A boolean; a missing field is an error when `fallback` is nil (serde's required field).
    func bool(_ value: JSONValue?, _ field: String, default fallback: Bool?) throws(TokenizerError) -> Bool {
        switch value {
        case .bool(let bool)?: return bool
        case nil, .null?:
            if let fallback { return fallback }
            fallthrough
        default: throw .invalidField(path: path, field: field, expected: "true or false\(found(value))")
        }
    }

    func integer(_ value: JSONValue?, _ field: String, in range: ClosedRange<Int>) throws(TokenizerError) -> Int {
        if case .number(let number)? = value, let integer = number.int64, range.contains(Int(clamping: integer)),
           Int64(Int(clamping: integer)) == integer {
            return Int(integer)
        }
        throw .invalidField(path: path, field: field, expected: "an integer in \(range)\(found(value))")
    }

    /// `read(value)`, or nil when the field is missing or null.
    func optional<T>(_ value: JSONValue?, _ read: (JSONValue) throws(TokenizerError) -> T) throws(TokenizerError) -> T? {
        guard let value, !value.isNull else { return nil }
        return try read(value)
    }

    /// The `type` of a component object, checked against the types we implement.
    private func type(_ value: JSONValue, _ field: String, oneOf supported: [String]) throws(TokenizerError) -> String {
        let object = try object(value, field)
        let type = try string(object["type"], "\(field).type")
        guard supported.contains(type) else {
            throw .unsupported(path: path, field: "\(field).type", value: type,
                               expected: supported.joined(separator: ", ") + " or null")
        }
        return type
    }

    private func found(_ value: JSONValue?) -> String {
        guard let value else { return " (it is missing)" }
        return " (found \(value.shortDescription))"
    }

    // MARK: Model

    /// The Unigram model and its pieces by id.
    func model(_ value: JSONValue?) throws(TokenizerError) -> (UnigramModel, [String]) {
        let model = try object(value, "model")
        if let type = model["type"] {
            let name = try string(type, "model.type")
            guard name == "Unigram" else {
                throw .unsupported(path: path, field: "model.type", value: name, expected: "Unigram")
            }
        }
        guard case .array(let entries)? = model["vocab"] else {
            throw .invalidField(path: path, field: "model.vocab",
                                expected: "an array of [piece, score] pairs\(found(model["vocab"]))")
        }
        guard entries.count <= Int(UnigramTokenizer.largestSupportedId) + 1 else {
            throw .invalidField(path: path, field: "model.vocab",
                                expected: "at most \(Int(UnigramTokenizer.largestSupportedId) + 1) pieces")
        }
        var pieces: [String] = []
        var scores: [Double] = []
        pieces.reserveCapacity(entries.count)
        scores.reserveCapacity(entries.count)
        var seen = TokenVocabulary.Builder()
        for (index, entry) in entries.enumerated() {
            guard case .array(let pair) = entry, pair.count == 2, case .string(let piece) = pair[0],
                  case .number(let number) = pair[1], let score = number.double else {
                throw .invalidField(path: path, field: "model.vocab[\(index)]",
                                    expected: "a [piece, score] pair with a string and a finite number\(found(entry))")
            }
            if seen.insert(piece, id: Int32(index)) != nil {
                throw .duplicateToken(path: path, field: "model.vocab", token: piece)
            }
            pieces.append(piece)
            scores.append(score)
        }
        guard !pieces.isEmpty else {
            throw .invalidField(path: path, field: "model.vocab", expected: "a non-empty array of [piece, score] pairs")
        }
        // HF accepts a missing unk_id but then fails on the first unknown character; we refuse the file instead.
        let unknownId = try integer(model["unk_id"], "model.unk_id", in: 0...(pieces.count - 1))
        if try bool(model["byte_fallback"], "model.byte_fallback", default: false) {
            throw .unsupported(path: path, field: "model.byte_fallback", value: "true",
                               expected: "false (byte fallback is not implemented; T5 does not use it)")
        }
        let unigram = UnigramModel(pieces: pieces.map { Array($0.utf8) }, scores: scores, unknownId: Int32(unknownId))
        return (unigram, pieces)
    }

    // MARK: Normalizer

    /// The steps of a normalizer; a Sequence is flattened.
    func normalizerSteps(_ value: JSONValue, _ field: String) throws(TokenizerError) -> [UnigramNormalizer.Step] {
        switch try type(value, field, oneOf: ["Precompiled", "Strip", "Replace", "Sequence"]) {
        case "Precompiled":
            return [.precompiled(try precompiled(value["precompiled_charsmap"], "\(field).precompiled_charsmap"))]
        case "Strip":
            return [.strip(left: try bool(value["strip_left"], "\(field).strip_left", default: nil),
                           right: try bool(value["strip_right"], "\(field).strip_right", default: nil))]
        case "Replace":
            let patternField = "\(field).pattern"
            let pattern: UnigramNormalizer.Replace.Pattern
            switch value["pattern"] {
            case .object(let members)? where members.count == 1 && members[0].key == "String":
                pattern = .string(try string(members[0].value, "\(patternField).String"))
            case .object(let members)? where members.count == 1 && members[0].key == "Regex":
                pattern = .regex(try string(members[0].value, "\(patternField).Regex"))
            default:
                throw .invalidField(path: path, field: patternField,
                                    expected: "{\"String\": …} or {\"Regex\": …}\(found(value["pattern"]))")
            }
            let content = try string(value["content"], "\(field).content")
            do {
                return [.replace(try UnigramNormalizer.Replace(pattern: pattern, content: content))]
            } catch {
                throw .invalidField(path: path, field: patternField, expected: "a usable pattern (\(error))")
            }
        default:  // Sequence
            guard case .array(let elements)? = value["normalizers"] else {
                throw .invalidField(path: path, field: "\(field).normalizers",
                                    expected: "an array of normalizers\(found(value["normalizers"]))")
            }
            var steps: [UnigramNormalizer.Step] = []
            for (index, element) in elements.enumerated() {
                steps += try normalizerSteps(element, "\(field).normalizers[\(index)]")
            }
            return steps
        }
    }

    private func precompiled(_ value: JSONValue?, _ field: String) throws(TokenizerError) -> PrecompiledNormalizer {
        let encoded = try string(value, field)
        // HF's base64 decoder accepts the text with or without its trailing padding.
        let padded = encoded + String(repeating: "=", count: (4 - encoded.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: padded) else {
            throw .invalidField(path: path, field: field, expected: "standard base64 text")
        }
        do {
            return PrecompiledNormalizer(charsMap: try PrecompiledCharsMap(Array(data)))
        } catch {
            throw .invalidField(path: path, field: field, expected: "a SentencePiece charsmap (\(error))")
        }
    }

    // MARK: Pre-tokenizer

    /// The steps of a pre-tokenizer; a Sequence is flattened.
    func preTokenizerSteps(_ value: JSONValue, _ field: String) throws(TokenizerError) -> [UnigramPreTokenizer.Step] {
        switch try type(value, field, oneOf: ["Metaspace", "WhitespaceSplit", "Sequence"]) {
        case "Metaspace":
            let (replacement, scheme) = try metaspace(value, field)
            return [.metaspace(MetaspacePreTokenizer(replacement: replacement, prependScheme: scheme,
                                                     split: try bool(value["split"], "\(field).split", default: true)))]
        case "WhitespaceSplit":
            return [.whitespaceSplit]
        default:  // Sequence
            guard case .array(let elements)? = value["pretokenizers"] else {
                throw .invalidField(path: path, field: "\(field).pretokenizers",
                                    expected: "an array of pre-tokenizers\(found(value["pretokenizers"]))")
            }
            var steps: [UnigramPreTokenizer.Step] = []
            for (index, element) in elements.enumerated() {
                steps += try preTokenizerSteps(element, "\(field).pretokenizers[\(index)]")
            }
            return steps
        }
    }

    /// Metaspace's replacement and prepend scheme, with the older `add_prefix_space` spelling as HF reads it:
    /// true changes nothing; false is refused unless prepend_scheme says "never" (HF's default scheme is
    /// "always", so a file with only `"add_prefix_space": false` fails in HF too).
    private func metaspace(_ value: JSONValue, _ field: String)
        throws(TokenizerError) -> (Unicode.Scalar, MetaspacePreTokenizer.PrependScheme) {
        let replacementText = try string(value["replacement"], "\(field).replacement")
        guard replacementText.unicodeScalars.count == 1, let replacement = replacementText.unicodeScalars.first else {
            throw .invalidField(path: path, field: "\(field).replacement",
                                expected: "a single character (found \"\(replacementText)\")")
        }
        let schemeText = try string(value["prepend_scheme"], "\(field).prepend_scheme", default: "always")
        guard var scheme = MetaspacePreTokenizer.PrependScheme(rawValue: schemeText) else {
            throw .unsupported(path: path, field: "\(field).prepend_scheme", value: schemeText,
                               expected: "always, first or never")
        }
        if let addPrefixSpace = value["add_prefix_space"], !addPrefixSpace.isNull,
           try !bool(addPrefixSpace, "\(field).add_prefix_space", default: true) {
            guard scheme == .never else {
                throw .invalidField(path: path, field: "\(field).add_prefix_space",
                                    expected: "consistent with prepend_scheme \"\(schemeText)\" (false means never)")
            }
            scheme = .never
        }
        return (replacement, scheme)
    }

    // MARK: Decoder

    func decoder(_ value: JSONValue) throws(TokenizerError) -> MetaspaceDecoder {
        _ = try type(value, "decoder", oneOf: ["Metaspace"])
        let (replacement, scheme) = try metaspace(value, "decoder")
        return MetaspaceDecoder(replacement: replacement, prependScheme: scheme)
    }

    // MARK: Added tokens

    /// One entry of `added_tokens`, its id still to be assigned.
    func addedToken(_ value: JSONValue, _ field: String) throws(TokenizerError) -> AddedToken {
        let object = try object(value, field)
        let content = try string(object["content"], "\(field).content")
        if let id = object["id"], !id.isNull { _ = try integer(id, "\(field).id", in: 0...Int(Int32.max)) }
        let special = try bool(object["special"], "\(field).special", default: false)
        return AddedToken(
            id: 0, content: content,
            singleWord: try bool(object["single_word"], "\(field).single_word", default: false),
            leftStrip: try bool(object["lstrip"], "\(field).lstrip", default: false),
            rightStrip: try bool(object["rstrip"], "\(field).rstrip", default: false),
            normalized: try bool(object["normalized"], "\(field).normalized", default: !special),
            special: special)
    }

    // MARK: Post-processor

    func postProcessor(_ value: JSONValue, lookUp: (String) -> Int32?) throws(TokenizerError) -> TemplateProcessing {
        _ = try type(value, "post_processor", oneOf: ["TemplateProcessing"])
        var specialTokens: [String: TemplateProcessing.SpecialToken] = [:]
        if let tokens = value["special_tokens"], !tokens.isNull {
            guard case .object(let members) = tokens else {
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
                var special = TemplateProcessing.SpecialToken(ids: [], tokens: [])
                for (index, (idValue, tokenValue)) in zip(idValues, tokenValues).enumerated() {
                    special.ids.append(Int32(try integer(idValue, "\(field).ids[\(index)]", in: 0...Int(Int32.max))))
                    special.tokens.append(try string(tokenValue, "\(field).tokens[\(index)]"))
                }
                specialTokens[name] = special
            }
        }
        let single = try template(value["single"], "post_processor.single", specialTokens: &specialTokens, lookUp: lookUp)
        let pair = try template(value["pair"], "post_processor.pair", specialTokens: &specialTokens, lookUp: lookUp)
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
    }

    /// A template: an array of `{"SpecialToken": {"id", "type_id"}}` / `{"Sequence": {"id": "A"|"B", "type_id"}}`
    /// objects, or HF's string form ("$A </s> $B:1 </s>:1", as a string or an array of strings).
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
                        guard let id = lookUp(name) else { throw .missingToken(path: path, field: pieceField, token: name) }
                        specialTokens[name] = TemplateProcessing.SpecialToken(ids: [id], tokens: [name])
                    }
                    pieces.append(.specialToken(name, typeId: typeId))
                }
            case .object(let members) where members.count == 1:
                let (kind, body) = members[0]
                let id = try string(body["id"], "\(pieceField).\(kind).id")
                var typeId: Int32 = 0
                if let value = body["type_id"] {
                    typeId = Int32(try integer(value, "\(pieceField).\(kind).type_id", in: 0...Int(Int32.max)))
                }
                switch kind {
                case "Sequence":
                    switch id {
                    case "A": pieces.append(.sequence(.a, typeId: typeId))
                    case "B": pieces.append(.sequence(.b, typeId: typeId))
                    default: throw .invalidField(path: path, field: "\(pieceField).Sequence.id", expected: "\"A\" or \"B\"")
                    }
                case "SpecialToken":
                    guard specialTokens[id] != nil else {
                        throw .invalidField(path: path, field: "\(pieceField).SpecialToken.id",
                                            expected: "a name listed in post_processor.special_tokens (\"\(id)\" is not)")
                    }
                    pieces.append(.specialToken(id, typeId: typeId))
                default:
                    throw .invalidField(path: path, field: pieceField, expected: "{\"SpecialToken\": …} or {\"Sequence\": …}")
                }
            default:
                throw .invalidField(path: path, field: pieceField, expected: "{\"SpecialToken\": …} or {\"Sequence\": …}")
            }
        }
        return pieces
    }
}
