import SoftPromptJSON

/// The validated content of a safetensors header: every check that the format allows us to make before
/// touching tensor data is made here, once, so `SafetensorsFile.tensor(_:)` can trust the entries.
struct SafetensorsHeader {
    static let metadataKey = "__metadata__"
    /// A safetensors header nests three deep; anything far deeper is hostile.
    static let maximumJSONDepth = 64

    let metadata: [String: String]
    let entries: [String: SafetensorsEntry]

    /// `header` is the JSON bytes; `dataSectionSize` is what follows them in the file.
    init(parsing header: UnsafeRawBufferPointer, dataSectionSize: Int, path: String) throws(SafetensorsError) {
        // The parser refuses invalid UTF-8 in strings too; checking the whole header first says it plainly.
        guard String(validating: header, as: UTF8.self) != nil else { throw .headerNotUTF8(path: path) }
        let root: JSONValue
        do {
            root = try JSONParser.parse(header, options: .init(maximumDepth: Self.maximumJSONDepth, documentName: "header"))
        } catch {
            throw .headerNotJSON(path: path, byteOffset: error.byteOffset, reason: error.reason)
        }
        guard case let .object(members) = root else {
            throw .headerNotObject(path: path, found: root.shortDescription)
        }

        var metadata: [String: String] = [:]
        var entries: [String: SafetensorsEntry] = [:]
        for (name, value) in members {
            if name == Self.metadataKey {
                metadata = try Self.parseMetadata(value, path: path)
            } else {
                // The parser compares keys byte for byte; a Swift dictionary merges canonically equivalent names.
                guard entries[name] == nil else { throw .duplicateTensorName(path: path, name: name) }
                entries[name] = try Self.parseEntry(name: name, value: value, dataSectionSize: dataSectionSize, path: path)
            }
        }
        try Self.checkDisjoint(entries.values, path: path)
        self.metadata = metadata
        self.entries = entries
    }

    private static func parseMetadata(_ value: JSONValue, path: String) throws(SafetensorsError) -> [String: String] {
        guard case let .object(members) = value else {
            throw .invalidMetadata(path: path, reason: "it is \(value.shortDescription)")
        }
        var metadata: [String: String] = [:]
        for (key, value) in members {
            guard case let .string(s) = value else {
                throw .invalidMetadata(path: path, reason: "the value of '\(key)' is \(value.shortDescription)")
            }
            guard metadata[key] == nil else {
                throw .invalidMetadata(path: path, reason: "the key '\(key)' appears twice (as canonically equivalent strings)")
            }
            metadata[key] = s
        }
        return metadata
    }

    private static func parseEntry(name: String, value: JSONValue, dataSectionSize: Int,
                                   path: String) throws(SafetensorsError) -> SafetensorsEntry {
        guard case let .object(members) = value else {
            throw .entryNotObject(path: path, tensor: name, found: value.shortDescription)
        }
        func field(_ key: String) throws(SafetensorsError) -> JSONValue {
            guard let member = members.first(where: { $0.key == key }) else {
                throw .missingField(path: path, tensor: name, field: key)
            }
            return member.value
        }

        // dtype
        let dtypeValue = try field("dtype")
        guard case let .string(dtypeName) = dtypeValue else {
            throw .fieldWrongType(path: path, tensor: name, field: "dtype", expected: "a string such as \"F32\"",
                                  found: dtypeValue.shortDescription)
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw .unknownDType(path: path, tensor: name, dtype: dtypeName)
        }

        // shape
        let shapeValue = try field("shape")
        guard case let .array(dimValues) = shapeValue else {
            throw .fieldWrongType(path: path, tensor: name, field: "shape", expected: "an array of non-negative integers",
                                  found: shapeValue.shortDescription)
        }
        var shape: [Int] = []
        shape.reserveCapacity(dimValues.count)
        for (i, dimValue) in dimValues.enumerated() {
            switch integer(dimValue) {
            case let .success(dim): shape.append(dim)
            case let .failure(problem):
                throw .invalidShape(path: path, tensor: name,
                                    reason: "dimension \(i) is \(problem); expected a non-negative integer")
            }
        }
        let shapeText = shape.description
        var elementCount = 1
        for dim in shape {
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: dim)
            if overflow { throw .sizeOverflow(path: path, tensor: name, shape: shapeText, dtype: dtypeName) }
            elementCount = product
        }
        let (byteCount, byteOverflow) = elementCount.multipliedReportingOverflow(by: dtype.byteSize)
        if byteOverflow { throw .sizeOverflow(path: path, tensor: name, shape: shapeText, dtype: dtypeName) }

        // data_offsets
        let offsetsValue = try field("data_offsets")
        guard case let .array(offsetValues) = offsetsValue else {
            throw .fieldWrongType(path: path, tensor: name, field: "data_offsets",
                                  expected: "an array of two non-negative integers [begin, end]",
                                  found: offsetsValue.shortDescription)
        }
        guard offsetValues.count == 2 else {
            throw .invalidDataOffsets(path: path, tensor: name,
                                      reason: "found \(offsetValues.count) values; expected two, [begin, end]")
        }
        var offsets: [Int] = []
        for (i, offsetValue) in offsetValues.enumerated() {
            switch integer(offsetValue) {
            case let .success(offset): offsets.append(offset)
            case let .failure(problem):
                throw .invalidDataOffsets(path: path, tensor: name,
                                          reason: "\(i == 0 ? "begin" : "end") is \(problem); expected a non-negative integer")
            }
        }
        let begin = offsets[0], end = offsets[1]
        guard begin <= end else {
            throw .invalidDataOffsets(path: path, tensor: name, reason: "begin \(begin) is after end \(end); expected begin ≤ end")
        }
        guard end - begin == byteCount else {
            throw .byteSizeMismatch(path: path, tensor: name, dtype: dtypeName, shape: shape,
                                    expected: byteCount, actual: end - begin)
        }
        guard end <= dataSectionSize else {
            throw .dataBeyondSection(path: path, tensor: name, end: end, dataSectionSize: dataSectionSize)
        }
        return SafetensorsEntry(name: name, dtype: dtype, shape: shape, byteRange: begin..<end, elementCount: elementCount)
    }

    private struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    /// A JSON value as a non-negative Int, or a phrase saying why it is not one.
    private static func integer(_ value: JSONValue) -> Result<Int, Problem> {
        guard case let .number(number) = value else { return .failure(Problem(description: value.shortDescription)) }
        let literal = number.literal
        switch number.exactInteger {
        case let .value(v): return .success(v)
        case .negative: return .failure(Problem(description: "\(literal), which is negative"))
        case .notInteger: return .failure(Problem(description: "\(literal), which is not an integer"))
        case .tooLarge: return .failure(Problem(description: "\(literal), which is too large for a 64-bit integer"))
        }
    }

    /// Tensors may leave gaps between them, but two must never share bytes: a write through one would
    /// silently change the other. Empty tensors occupy no bytes and cannot overlap anything.
    private static func checkDisjoint(_ entries: some Collection<SafetensorsEntry>, path: String) throws(SafetensorsError) {
        let sorted = entries.filter { !$0.byteRange.isEmpty }.sorted {
            ($0.byteRange.lowerBound, $0.name) < ($1.byteRange.lowerBound, $1.name)
        }
        guard var furthest = sorted.first else { return }
        for entry in sorted.dropFirst() {
            if entry.byteRange.lowerBound < furthest.byteRange.upperBound {
                throw .overlappingTensors(path: path, first: furthest.name, firstRange: furthest.byteRange,
                                          second: entry.name, secondRange: entry.byteRange)
            }
            if entry.byteRange.upperBound > furthest.byteRange.upperBound { furthest = entry }
        }
    }
}
