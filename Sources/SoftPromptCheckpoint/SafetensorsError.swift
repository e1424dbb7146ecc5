#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything that can be wrong with a safetensors file or a request to it. Every description starts with
/// the file's path, then says what is wrong and what was expected, so a log line alone is enough to act on.
public enum SafetensorsError: Error, CustomStringConvertible, Equatable {
    // The file as a whole
    case cannotOpen(path: String, errno: Int32)
    case notARegularFile(path: String)
    case fileTooShort(path: String, size: Int)
    case cannotMap(path: String, errno: Int32)
    case headerTooLarge(path: String, length: UInt64, limit: Int)
    case headerBeyondFile(path: String, length: UInt64, fileSize: Int)
    case headerNotUTF8(path: String)
    case headerNotJSON(path: String, byteOffset: Int, reason: String)
    case headerNotObject(path: String, found: String)
    case invalidMetadata(path: String, reason: String)

    // One header entry
    case entryNotObject(path: String, tensor: String, found: String)
    case missingField(path: String, tensor: String, field: String)
    case fieldWrongType(path: String, tensor: String, field: String, expected: String, found: String)
    case unknownDType(path: String, tensor: String, dtype: String)
    case invalidShape(path: String, tensor: String, reason: String)
    case sizeOverflow(path: String, tensor: String, shape: String, dtype: String)
    case invalidDataOffsets(path: String, tensor: String, reason: String)
    case byteSizeMismatch(path: String, tensor: String, dtype: String, shape: [Int], expected: Int, actual: Int)
    case dataBeyondSection(path: String, tensor: String, end: Int, dataSectionSize: Int)
    case overlappingTensors(path: String, first: String, firstRange: Range<Int>, second: String, secondRange: Range<Int>)

    // Requests
    case tensorNotFound(path: String, name: String, available: [String])
    case notFloatingPoint(path: String, tensor: String, dtype: String)

    // Writing
    case duplicateTensorName(path: String, name: String)
    case reservedTensorName(path: String, name: String)

    /// The safetensors reference implementation refuses headers above this many bytes; so do we.
    public static let maximumHeaderLength = 100_000_000

    public var path: String {
        switch self {
        case let .cannotOpen(path, _), let .notARegularFile(path), let .fileTooShort(path, _),
             let .cannotMap(path, _), let .headerTooLarge(path, _, _), let .headerBeyondFile(path, _, _),
             let .headerNotUTF8(path), let .headerNotJSON(path, _, _), let .headerNotObject(path, _),
             let .invalidMetadata(path, _), let .entryNotObject(path, _, _), let .missingField(path, _, _),
             let .fieldWrongType(path, _, _, _, _), let .unknownDType(path, _, _), let .invalidShape(path, _, _),
             let .sizeOverflow(path, _, _, _), let .invalidDataOffsets(path, _, _),
             let .byteSizeMismatch(path, _, _, _, _, _), let .dataBeyondSection(path, _, _, _),
             let .overlappingTensors(path, _, _, _, _), let .tensorNotFound(path, _, _),
             let .notFloatingPoint(path, _, _), let .duplicateTensorName(path, _), let .reservedTensorName(path, _):
            path
        }
    }

    public var description: String {
        switch self {
        case let .cannotOpen(path, code):
            "\(path): cannot open for reading: \(Self.errnoText(code))"
        case let .notARegularFile(path):
            "\(path): not a regular file; expected a safetensors file"
        case let .fileTooShort(path, size):
            "\(path): file is \(size) bytes, too short for a safetensors file; expected at least the 8-byte header length"
        case let .cannotMap(path, code):
            "\(path): cannot memory-map the file: \(Self.errnoText(code))"
        case let .headerTooLarge(path, length, limit):
            "\(path): header length \(length) exceeds the limit of \(limit) bytes; expected a small JSON header (is this a safetensors file?)"
        case let .headerBeyondFile(path, length, fileSize):
            "\(path): header length \(length) reaches beyond the end of the file (\(fileSize) bytes); expected 8 + header length ≤ file size (truncated file?)"
        case let .headerNotUTF8(path):
            "\(path): header is not valid UTF-8; expected a UTF-8 JSON object"
        case let .headerNotJSON(path, offset, reason):
            "\(path): header is not valid JSON at header byte \(offset): \(reason)"
        case let .headerNotObject(path, found):
            "\(path): header JSON is \(found); expected a JSON object mapping tensor names to entries"
        case let .invalidMetadata(path, reason):
            "\(path): invalid __metadata__: \(reason); expected an object whose values are all strings"
        case let .entryNotObject(path, tensor, found):
            "\(path): entry for tensor '\(tensor)' is \(found); expected an object with dtype, shape and data_offsets"
        case let .missingField(path, tensor, field):
            "\(path): entry for tensor '\(tensor)' lacks the field '\(field)'; expected dtype, shape and data_offsets"
        case let .fieldWrongType(path, tensor, field, expected, found):
            "\(path): field '\(field)' of tensor '\(tensor)' is \(found); expected \(expected)"
        case let .unknownDType(path, tensor, dtype):
            "\(path): tensor '\(tensor)' has unknown dtype '\(dtype)'; expected one of "
                + SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
        case let .invalidShape(path, tensor, reason):
            "\(path): shape of tensor '\(tensor)' is invalid: \(reason)"
        case let .sizeOverflow(path, tensor, shape, dtype):
            "\(path): shape \(shape) of tensor '\(tensor)' (\(dtype)) overflows: its element or byte count does not fit in a 64-bit integer"
        case let .invalidDataOffsets(path, tensor, reason):
            "\(path): data_offsets of tensor '\(tensor)' are invalid: \(reason)"
        case let .byteSizeMismatch(path, tensor, dtype, shape, expected, actual):
            "\(path): tensor '\(tensor)' has data_offsets spanning \(actual) bytes, but shape \(shape) of \(dtype) needs \(expected) bytes"
        case let .dataBeyondSection(path, tensor, end, size):
            "\(path): tensor '\(tensor)' ends at data byte \(end), beyond the data section of \(size) bytes (truncated file?)"
        case let .overlappingTensors(path, first, firstRange, second, secondRange):
            "\(path): tensors '\(first)' (bytes \(firstRange.lowerBound)..<\(firstRange.upperBound)) and '\(second)' (bytes \(secondRange.lowerBound)..<\(secondRange.upperBound)) overlap; expected disjoint byte ranges"
        case let .tensorNotFound(path, name, available):
            "\(path): no tensor named '\(name)'; " + Self.describe(available: available)
        case let .notFloatingPoint(path, tensor, dtype):
            "\(path): tensor '\(tensor)' has dtype \(dtype), which cannot be read as a Float32 tensor; expected F64, F32, F16, BF16, F8_E4M3 or F8_E5M2"
        case let .duplicateTensorName(path, name):
            "\(path): tensor name '\(name)' appears more than once; expected unique names"
        case let .reservedTensorName(path, name):
            "\(path): '\(name)' is reserved for the header's metadata; expected another tensor name"
        }
    }

    private static func describe(available: [String]) -> String {
        if available.isEmpty { return "the file holds no tensors" }
        if available.count <= 12 { return "the file holds: " + available.joined(separator: ", ") }
        return "the file holds \(available.count) tensors (first: \(available.prefix(8).joined(separator: ", ")), …)"
    }

    static func errnoText(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }
}
