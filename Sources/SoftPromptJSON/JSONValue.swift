/// A parsed JSON document, kept close to the bytes, for input we do not trust (safetensors headers,
/// tokenizer.json).
///
/// Numbers keep their literal text (`JSONNumber`), so a caller decides exactly whether `2.0`, `1e30` or
/// `18446744073709551616` is an acceptable integer. Objects keep their members in file order. Strings and keys
/// compare byte for byte: Swift's `String ==` is canonical equivalence, under which "é" and "e\u{301}" are
/// equal, but a file that names two tensors or two tokens that way means two different things.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    /// Members in file order. Keys are unique unless the parser was told to keep duplicates
    /// (`JSONParser.Options.rejectsDuplicateKeys`).
    case object([(key: String, value: JSONValue)])

    /// The first value under `key` (compared byte for byte), or nil when the key is absent or `self` is not
    /// an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for member in members where member.key.utf8.elementsEqual(key.utf8) { return member.value }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The kind of value, for error messages: "a number", "an object", …
    public var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The value as an error message quotes it: "the number 3", "the string "F32"" (cut after 40 characters),
    /// "true", "null", "an array", "an object".
    public var shortDescription: String {
        switch self {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .number(let n): "the number \(n.literal)"
        case .string(let s): "the string \"\(s.count > 40 ? String(s.prefix(40)) + "…" : s)\""
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// Byte-for-byte equality of strings and keys; numbers are equal when their literals are (`1.0` ≠ `1`).
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case let (.bool(a), .bool(b)): a == b
        case let (.number(a), .number(b)): a == b
        case let (.string(a), .string(b)): a.utf8.elementsEqual(b.utf8)
        case let (.array(a), .array(b)): a == b
        case let (.object(a), .object(b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.key.utf8.elementsEqual($1.key.utf8) && $0.value == $1.value }
        default: false
        }
    }
}
