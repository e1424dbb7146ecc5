import Foundation
import SoftPromptJSON

/// Reads typed fields of a tokenizer.json and turns every surprise into a TokenizerError naming the field.
/// Both tokenizers read their files with it; the components only one of them has are in extensions.
struct TokenizerJSONFieldReader {
    /// The WordPiece and Unigram readers were written apart, and their error texts (and a few edge cases) are
    /// pinned by tests: the dialect keeps each one's wording where they differ.
    enum Dialect {
        /// "found a number"; a template piece's `type_id: null` is 0; `special_tokens` ids are checked as a whole.
        case wordPiece
        /// "found the number 3"; as serde, a null `type_id` is refused; each special token id is named in errors.
        case unigram
    }

    let path: String
    let dialect: Dialect

    /// The file's root object. Duplicate keys are kept, as serde keeps the last: the fields we read are looked
    /// up by first match, and a repeated token in model.vocab is reported by name.
    func root(of data: Data) throws(TokenizerError) -> JSONValue {
        let root: JSONValue
        do {
            root = try JSONParser.parse(data, options: .init(rejectsDuplicateKeys: false, skipsByteOrderMark: true,
                                                             documentName: "file"))
        } catch {
            throw .invalidJSON(path: path, line: error.line, column: error.column, reason: error.reason)
        }
        guard case .object = root else { throw .invalidField(path: path, field: "(root)", expected: "an object") }
        return root
    }

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

    func optionalBool(_ value: JSONValue?, _ field: String) throws(TokenizerError) -> Bool? {
        switch value {
        case .bool(let bool)?: return bool
        case nil, .null?: return nil
        default: throw .invalidField(path: path, field: field, expected: "true, false or null\(found(value))")
        }
    }

    /// An integer in `range`; a missing or null field is an error when `fallback` is nil.
    func integer(_ value: JSONValue?, _ field: String, in range: ClosedRange<Int>,
                 default fallback: Int? = nil) throws(TokenizerError) -> Int {
        if case .number(let number)? = value, let integer = number.int64, range.contains(Int(clamping: integer)),
           Int64(Int(clamping: integer)) == integer {
            return Int(integer)
        }
        switch value {
        case nil, .null?:
            if let fallback { return fallback }
            fallthrough
        default:
            throw .invalidField(path: path, field: field, expected: "an integer in \(range)\(found(value))")
        }
    }

    /// `read(value)`, or nil when the field is missing or null.
    func optional<T>(_ value: JSONValue?, _ read: (JSONValue) throws(TokenizerError) -> T) throws(TokenizerError) -> T? {
        guard let value, !value.isNull else { return nil }
        return try read(value)
    }

    /// The `type` of a component object, checked against the types we implement.
    func type(_ value: JSONValue, _ field: String, oneOf supported: [String]) throws(TokenizerError) -> String {
        let object = try object(value, field)
        let type = try string(object["type"], "\(field).type")
        guard supported.contains(type) else {
            throw .unsupported(path: path, field: "\(field).type", value: type,
                               expected: supported.joined(separator: ", ") + " or null")
        }
        return type
    }

    /// The end of an error's `expected`: what the field held instead.
    func found(_ value: JSONValue?) -> String {
        guard let value else { return " (it is missing)" }
        switch dialect {
        case .wordPiece: return " (found \(value.kindDescription))"
        case .unigram: return " (found \(value.shortDescription))"
        }
    }
}
