import SoftPromptJSON

/// The `post_processor` of a tokenizer.json, as a TemplateProcessing.
extension TokenizerJSONFieldReader {
    /// `supported` lists the processor types the tokenizer accepts: "TemplateProcessing", and "BertProcessing"
    /// (a fixed template). `lookUp` finds a template's special token that `special_tokens` does not list.
    func postProcessor(_ value: JSONValue, supported: [String],
                       lookUp: (String) -> Int32?) throws(TokenizerError) -> TemplateProcessing {
        if try type(value, "post_processor", oneOf: supported) == "BertProcessing" {
            return .bert(cls: try bertPair(value, "cls"), sep: try bertPair(value, "sep"))
        }
        var specialTokens = try specialTokens(value["special_tokens"])
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

    /// BertProcessing's `cls` or `sep`: a [token, id] pair.
    private func bertPair(_ object: JSONValue, _ name: String) throws(TokenizerError) -> (token: String, id: Int32) {
        guard case .array(let parts)? = object[name], parts.count == 2, case .string(let token) = parts[0],
              case .number(let number) = parts[1], let id = number.int64, id >= 0, id < Int64(Int32.max) else {
            throw .invalidField(path: path, field: "post_processor.\(name)", expected: "a [token, id] pair")
        }
        return (token, Int32(id))
    }

    /// `special_tokens`: name → {id, ids, tokens}; missing or null is none.
    private func specialTokens(_ value: JSONValue?) throws(TokenizerError) -> [String: TemplateProcessing.SpecialToken] {
        var specialTokens: [String: TemplateProcessing.SpecialToken] = [:]
        guard let value, !value.isNull else { return specialTokens }
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
            var special = TemplateProcessing.SpecialToken(ids: [], tokens: [])
            for (index, (idValue, tokenValue)) in zip(idValues, tokenValues).enumerated() {
                switch dialect {
                case .wordPiece:
                    guard case .number(let number) = idValue, let id = number.int64, id >= 0, id < Int64(Int32.max),
                          case .string(let token) = tokenValue else {
                        throw .invalidField(path: path, field: field,
                                            expected: "an object with integer \"ids\" and string \"tokens\"")
                    }
                    special.ids.append(Int32(id))
                    special.tokens.append(token)
                case .unigram:
                    special.ids.append(Int32(try integer(idValue, "\(field).ids[\(index)]", in: 0...Int(Int32.max))))
                    special.tokens.append(try string(tokenValue, "\(field).tokens[\(index)]"))
                }
            }
            specialTokens[name] = special
        }
        return specialTokens
    }

    /// A template: an array of `{"SpecialToken": {"id", "type_id"}}` / `{"Sequence": {"id": "A"|"B", "type_id"}}`
    /// objects, or HF's string form ("[CLS] $A [SEP] $B:1 [SEP]:1", as a string or an array of strings).
    /// A special token named only in the string form is added to `specialTokens` with its id from `lookUp`.
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
                let (id, typeId) = try pieceReference(body, "\(pieceField).\(kind)")
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

    /// The `id` and `type_id` (0 when missing) of an object piece of a template.
    private func pieceReference(_ body: JSONValue, _ field: String) throws(TokenizerError) -> (id: String, typeId: Int32) {
        switch dialect {
        case .wordPiece:
            guard case .string(let id)? = body["id"] else {
                throw .invalidField(path: path, field: "\(field).id", expected: "a string")
            }
            return (id, Int32(try integer(body["type_id"], "\(field).type_id", in: 0...Int(Int32.max), default: 0)))
        case .unigram:
            let id = try string(body["id"], "\(field).id")
            guard let value = body["type_id"] else { return (id, 0) }
            return (id, Int32(try integer(value, "\(field).type_id", in: 0...Int(Int32.max))))
        }
    }
}
