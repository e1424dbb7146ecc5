import Foundation

/// Reads a JSON configuration file (config.json and friends) into a Decodable type, turning decoding
/// failures into errors that name the file and the field, and what was expected.
public enum ConfigFile {
    public static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws(ConfigFileError) -> T {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw ConfigFileError(path: url.path, problem: "cannot read (\(error.localizedDescription))") }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let DecodingError.typeMismatch(expected, context) {
            throw ConfigFileError(path: url.path, problem: "field \"\(fieldName(context))\" must be \(describe(expected))")
        } catch let DecodingError.valueNotFound(expected, context) {
            throw ConfigFileError(path: url.path, problem: "field \"\(fieldName(context))\" must be \(describe(expected)), found null")
        } catch let DecodingError.keyNotFound(key, context) {
            let path = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            throw ConfigFileError(path: url.path, problem: "missing field \"\(path)\"")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw ConfigFileError(path: url.path, problem: "field \"\(fieldName(context))\": \(context.debugDescription)")
        } catch let error as ConfigFileError {
            throw error
        } catch {
            throw ConfigFileError(path: url.path, problem: "not valid JSON")
        }
    }

    private static func fieldName(_ context: DecodingError.Context) -> String {
        context.codingPath.map(\.stringValue).joined(separator: ".")
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        default: return "\(type)"
        }
    }
}

public struct ConfigFileError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let problem: String
    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }
    public var description: String { "\(path): \(problem)" }
}
