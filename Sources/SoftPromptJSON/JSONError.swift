/// Where and why a JSON text is malformed: the byte offset (for binary containers such as a safetensors
/// header) and the line and column (for files people open in an editor).
public struct JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable, CustomStringConvertible {
        /// The text ended where `expected` was needed; `document` is what the text is called
        /// (`JSONParser.Options.documentName`), as in "found end of header".
        case unexpectedEnd(expected: String, document: String)
        /// A byte that cannot stand here; `expected` says what could.
        case unexpectedCharacter(expected: String)
        /// Something other than whitespace follows the value.
        case trailingText
        /// A word that is not `true`, `false` or `null`.
        case invalidLiteral
        /// A number that breaks the RFC 8259 grammar; the payload says how.
        case invalidNumber(String)
        case unterminatedString
        /// A byte below 0x20 inside a string, which JSON requires to be escaped.
        case controlCharacterInString(UInt8)
        /// The escape as written, e.g. `\q` or `\u12G`.
        case invalidEscape(String)
        /// A `\u` escape of half a surrogate pair without its other half.
        case unpairedSurrogate
        case invalidUTF8
        /// The same key twice in one object (compared byte for byte).
        case duplicateKey(String)
        /// Arrays and objects nested deeper than the limit.
        case nestedTooDeep(limit: Int)

        public var description: String {
            switch self {
            case let .unexpectedEnd(expected, document): "expected \(expected), found end of \(document)"
            case let .unexpectedCharacter(expected): "expected \(expected)"
            case .trailingText: "unexpected text after the JSON value"
            case .invalidLiteral: "invalid literal; expected true, false or null"
            case let .invalidNumber(how): "invalid number: \(how)"
            case .unterminatedString: "unterminated string"
            case let .controlCharacterInString(byte):
                "unescaped control character 0x\(byte < 0x10 ? "0" : "")\(String(byte, radix: 16)) in a string"
            case let .invalidEscape(escape): "invalid escape '\(escape)' in a string"
            case .unpairedSurrogate: "unpaired surrogate in a \\u escape"
            case .invalidUTF8: "invalid UTF-8 in a string"
            case let .duplicateKey(key): "duplicate key \"\(key)\"; expected each key once"
            case let .nestedTooDeep(limit):
                "arrays and objects nested deeper than \(limit) levels; expected at most \(limit) levels of nesting"
            }
        }
    }

    public var kind: Kind
    /// From 0, counted from the first byte given to the parser (a byte order mark included).
    public var byteOffset: Int
    /// From 1.
    public var line: Int
    /// From 1, in bytes from the start of the line.
    public var column: Int

    public init(kind: Kind, byteOffset: Int, line: Int, column: Int) {
        self.kind = kind
        self.byteOffset = byteOffset
        self.line = line
        self.column = column
    }

    /// What is wrong, without the position.
    public var reason: String { kind.description }

    public var description: String { "line \(line), column \(column) (byte \(byteOffset)): \(reason)" }
}
