/// Why a tokenizer.json could not be loaded. Every case names the file and, where there is one, the field.
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    case unreadableFile(path: String, reason: String)
    case invalidJSON(path: String, line: Int, column: Int, reason: String)
    /// The field is missing or has the wrong shape; `expected` says what it must be.
    case invalidField(path: String, field: String, expected: String)
    /// The field names a kind of component we do not implement.
    case unsupported(path: String, field: String, value: String, expected: String)
    /// A token the file relies on is not in the vocabulary.
    case missingToken(path: String, field: String, token: String)
    case duplicateToken(path: String, field: String, token: String)
    case duplicateId(path: String, field: String, id: Int, first: String, second: String)

    /// The dotted path of the offending field, if the error is about one.
    public var field: String? {
        switch self {
        case .unreadableFile, .invalidJSON: return nil
        case .invalidField(_, let field, _), .unsupported(_, let field, _, _), .missingToken(_, let field, _),
             .duplicateToken(_, let field, _), .duplicateId(_, let field, _, _, _):
            return field
        }
    }

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason):
            return "\(path): cannot read the file: \(reason)"
        case .invalidJSON(let path, let line, let column, let reason):
            return "\(path):\(line):\(column): not valid JSON: \(reason)"
        case .invalidField(let path, let field, let expected):
            return "\(path): field \"\(field)\" must be \(expected)"
        case .unsupported(let path, let field, let value, let expected):
            return "\(path): \(field) \"\(value)\" is not supported (expected \(expected))"
        case .missingToken(let path, let field, let token):
            return "\(path): \(field) \"\(token)\" is not in the vocabulary (model.vocab or added_tokens)"
        case .duplicateToken(let path, let field, let token):
            return "\(path): field \"\(field)\" holds the token \"\(token)\" twice"
        case .duplicateId(let path, let field, let id, let first, let second):
            return "\(path): field \"\(field)\" gives id \(id) to both \"\(first)\" and \"\(second)\""
        }
    }
}
