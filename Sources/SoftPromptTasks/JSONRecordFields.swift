import SoftPromptJSON

/// Typed access to one JSON object of a JSONL file, with errors that name the file, the line and the field's path
/// (`passage.questions[2].answers[0].label`) and say what was expected.
struct JSONRecordFields {
    let object: JSONValue
    let file: String
    let line: Int
    /// The path of `object` inside the line's value; "" for the line's value itself.
    let path: String

    /// The line's value, which must be an object.
    init(_ value: JSONValue, file: String, line: Int) throws(TaskDataError) {
        guard case .object = value else {
            throw .badRow(file: file, line: line, problem: "expected a JSON object, found \(value.shortDescription)")
        }
        self.init(object: value, file: file, line: line, path: "")
    }

    private init(object: JSONValue, file: String, line: Int, path: String) {
        self.object = object
        self.file = file
        self.line = line
        self.path = path
    }

    private func fieldPath(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    private func failure(_ path: String, _ problem: String) -> TaskDataError {
        .badField(file: file, line: line, field: path, problem: problem)
    }

    /// The value under `key`, which must be present and not null.
    private func value(_ key: String, expected: String) throws(TaskDataError) -> JSONValue {
        guard let value = object[key], !value.isNull else {
            throw failure(fieldPath(key), object[key] == nil ? "missing; expected \(expected)" : "null; expected \(expected)")
        }
        return value
    }

    func string(_ key: String, allowEmpty: Bool = false) throws(TaskDataError) -> String {
        let found = try value(key, expected: "a string")
        guard case .string(let text) = found else { throw failure(fieldPath(key), "expected a string, found \(found.shortDescription)") }
        guard allowEmpty || !text.isEmpty else { throw failure(fieldPath(key), "empty; expected text") }
        return text
    }

    func bool(_ key: String) throws(TaskDataError) -> Bool {
        let found = try value(key, expected: "true or false")
        guard case .bool(let flag) = found else { throw failure(fieldPath(key), "expected true or false, found \(found.shortDescription)") }
        return flag
    }

    /// A non-negative integer written without fraction or exponent.
    func integer(_ key: String) throws(TaskDataError) -> Int {
        let found = try value(key, expected: "a non-negative integer")
        guard case .number(let number) = found, case .value(let integer) = number.exactInteger else {
            throw failure(fieldPath(key), "expected a non-negative integer, found \(found.shortDescription)")
        }
        return integer
    }

    /// The position of the string under `key` in `values` (a label such as "entailment").
    func choice(_ key: String, among values: [String]) throws(TaskDataError) -> Int {
        let text = try string(key, allowEmpty: true)
        guard let index = values.firstIndex(of: text) else {
            throw failure(fieldPath(key), "\"\(text)\" is not one of \(values.joined(separator: ", "))")
        }
        return index
    }

    /// 0 or 1 written as a number (COPA's and MultiRC's labels).
    func zeroOrOne(_ key: String) throws(TaskDataError) -> Int {
        let found = try value(key, expected: "0 or 1")
        guard case .number(let number) = found, case .value(let integer) = number.exactInteger, integer <= 1 else {
            throw failure(fieldPath(key), "expected 0 or 1, found \(found.shortDescription)")
        }
        return integer
    }

    func object(_ key: String) throws(TaskDataError) -> JSONRecordFields {
        let found = try value(key, expected: "an object")
        guard case .object = found else { throw failure(fieldPath(key), "expected an object, found \(found.shortDescription)") }
        return JSONRecordFields(object: found, file: file, line: line, path: fieldPath(key))
    }

    /// The objects of the array under `key`, each with its path (`questions[3]`); an empty array is an error.
    func objects(_ key: String) throws(TaskDataError) -> [JSONRecordFields] {
        let found = try value(key, expected: "an array of objects")
        guard case .array(let elements) = found else {
            throw failure(fieldPath(key), "expected an array of objects, found \(found.shortDescription)")
        }
        guard !elements.isEmpty else { throw failure(fieldPath(key), "empty; expected at least one object") }
        var result: [JSONRecordFields] = []
        for (index, element) in elements.enumerated() {
            let elementPath = "\(fieldPath(key))[\(index)]"
            guard case .object = element else { throw failure(elementPath, "expected an object, found \(element.shortDescription)") }
            result.append(JSONRecordFields(object: element, file: file, line: line, path: elementPath))
        }
        return result
    }
}
