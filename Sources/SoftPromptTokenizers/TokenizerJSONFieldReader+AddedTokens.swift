import SoftPromptJSON

/// The `added_tokens` of a tokenizer.json.
extension TokenizerJSONFieldReader {
    /// The added tokens with their ids, and those ids by content; empty and repeated contents are dropped. HF
    /// keeps the vocabulary's id for a content the vocabulary has, and numbers the others from the vocabulary
    /// size (`modelSize` entries) on, in file order: it only warns when the file says otherwise.
    /// `requiresIds`: whether an entry without an `id` is refused (the WordPiece reader always has).
    func addedTokens(_ value: JSONValue?, modelSize: Int, largestSupportedId: Int32, requiresIds: Bool,
                     vocabularyId: (String) -> Int32?) throws(TokenizerError) -> (tokens: [AddedToken], ids: TokenVocabulary) {
        var added: [AddedToken] = []
        var addedIds = TokenVocabulary.Builder()
        guard let value, !value.isNull else { return (added, TokenVocabulary(addedIds)) }
        guard case .array(let entries) = value else {
            throw .invalidField(path: path, field: "added_tokens", expected: "an array of objects")
        }
        let modelSize = Int64(modelSize)
        for (index, entry) in entries.enumerated() {
            let field = "added_tokens[\(index)]"
            var token = try addedToken(entry, field, requiresId: requiresIds)
            if token.content.isEmpty || added.contains(where: { $0.content.utf8.elementsEqual(token.content.utf8) }) {
                continue
            }
            if let id = addedIds.id(of: token.content) ?? vocabularyId(token.content) {
                token.id = id
            } else {
                let largestAdded = added.map { Int64($0.id) }.max()
                let next = largestAdded.map { $0 >= modelSize || modelSize == 0 ? $0 + 1 : modelSize } ?? modelSize
                guard next <= Int64(largestSupportedId) else {
                    throw .invalidField(path: path, field: "\(field).id", expected: "an id up to \(largestSupportedId)")
                }
                token.id = Int32(next)
            }
            _ = addedIds.insert(token.content, id: token.id)
            added.append(token)
        }
        return (added, TokenVocabulary(addedIds))
    }

    /// One entry of `added_tokens`, its id still to be assigned.
    private func addedToken(_ value: JSONValue, _ field: String, requiresId: Bool) throws(TokenizerError) -> AddedToken {
        let object = try object(value, field)
        let content = try string(object["content"], "\(field).content")
        if requiresId || !(object["id"]?.isNull ?? true) {
            _ = try integer(object["id"], "\(field).id", in: 0...Int(Int32.max))
        }
        let special = try bool(object["special"], "\(field).special", default: false)
        return AddedToken(
            id: 0, content: content,
            singleWord: try bool(object["single_word"], "\(field).single_word", default: false),
            leftStrip: try bool(object["lstrip"], "\(field).lstrip", default: false),
            rightStrip: try bool(object["rstrip"], "\(field).rstrip", default: false),
            normalized: try bool(object["normalized"], "\(field).normalized", default: !special),
            special: special)
    }
}
