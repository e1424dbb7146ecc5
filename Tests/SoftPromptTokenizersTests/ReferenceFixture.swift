import Foundation
import SoftPromptTokenizers

/// Fixtures/tokenizer_reference.json, written by Tests/Fixtures/reference_tokenizers.py with HF `tokenizers`.
struct ReferenceFixture: Decodable, Sendable {
    struct DataEntry: Decodable, Sendable, CustomStringConvertible {
        var file: String
        var reader: String
        var header: Bool
        var columns: [Int]?
        var fields: [String]
        var pair: Bool
        var rows: Int
        var sha256: String
        var firstRowsIds: [[Int32]]

        var description: String { "\(file) \(fields.joined(separator: " + "))" }
    }

    struct Case: Decodable, Sendable, CustomStringConvertible {
        var name: String?
        var text: String
        var pair: String?
        var maxLength: Int?
        var ids: [Int32]
        var tokens: [String]
        var typeIds: [Int32]
        var normalized: String?
        var preTokenized: [String]?
        var decoded: String?

        var description: String { name ?? text }
    }

    /// A seeded random string (or pair), with ids and type ids only.
    struct RandomCase: Decodable, Sendable {
        var text: String
        var pair: String?
        var maxLength: Int?
        var ids: [Int32]
        var typeIds: [Int32]
    }

    struct Tiny: Decodable, Sendable {
        var tokenizerJson: String
        var cases: [Case]
    }

    var tokenizersVersion: String
    var maxLength: Int
    var hashDefinition: String
    var files: [DataEntry]
    var tricky: [Case]
    var random: [RandomCase]
    var tiny: Tiny

    /// Loaded once; nil (and the tests that need it fail in `fixtureLoads`) when the resource is broken.
    static let shared: ReferenceFixture? = {
        guard let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil),
              let data = try? Data(contentsOf: folder.appendingPathComponent("tokenizer_reference.json"))
        else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(ReferenceFixture.self, from: data)
    }()

    static var tricky: [Case] { shared?.tricky ?? [] }
    static var tinyCases: [Case] { shared?.tiny.cases ?? [] }
    static var files: [DataEntry] { shared?.files ?? [] }
}

/// Where the real all-MiniLM-L6-v2 tokenizer and the GLUE/SuperGLUE data are, when this machine has them.
enum ReferenceResources {
    /// `$SOFTPROMPT_MODEL`, else the folder named in `~/.cache/softprompt/default-model-dir`; the file
    /// `tokenizer.json` inside it (or the variable itself, when it names a .json file).
    static let realTokenizerURL: URL? = {
        let fileManager = FileManager.default
        var candidates: [String] = []
        if let model = ProcessInfo.processInfo.environment["SOFTPROMPT_MODEL"], !model.isEmpty {
            candidates.append(model)
        } else {
            let pointer = fileManager.homeDirectoryForCurrentUser
                .appendingPathComponent(".cache/softprompt/default-model-dir")
            if let text = try? String(contentsOf: pointer, encoding: .utf8) {
                candidates.append(text.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        for candidate in candidates {
            let url = URL(fileURLWithPath: candidate)
            let file = url.pathExtension == "json" ? url : url.appendingPathComponent("tokenizer.json")
            if fileManager.isReadableFile(atPath: file.path) { return file }
        }
        return nil
    }()

    static let realTokenizer: WordPieceTokenizer? = realTokenizerURL.flatMap { try? WordPieceTokenizer(contentsOf: $0) }

    /// `<package>/../shared/data`, found from this source file.
    static let sharedDataURL: URL? = {
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // SoftPromptTokenizersTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // package
        let data = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: data.path, isDirectory: &isDirectory), isDirectory.boolValue
        else { return nil }
        return data
    }()

    static var haveRealTokenizer: Bool { realTokenizerURL != nil }
    static var haveRealTokenizerAndData: Bool { realTokenizerURL != nil && sharedDataURL != nil }
}
