import Foundation
import SoftPromptJSON
import SoftPromptTokenizers

/// Fixtures/unigram/: a small T5-style tokenizer.json and unigram_reference.json, both written by
/// Tests/Fixtures/make_unigram_reference.py with HF `tokenizers`.
struct UnigramReferenceFixture: Decodable, Sendable {
    /// A hand-picked string (or pair, or truncation) with everything HF says about it.
    struct Case: Decodable, Sendable, CustomStringConvertible {
        var name: String
        var text: String
        var pair: String?
        var maxLength: Int?
        var ids: [Int32]
        var tokens: [String]
        var typeIds: [Int32]?
        var normalized: String?
        var preTokenized: [String]?
        var decoded: String
        var decodedWithSpecials: String

        var description: String { name }
    }

    /// A sentence (or pair) of the shared GLUE/SuperGLUE data.
    struct Sentence: Decodable, Sendable {
        var source: String
        var text: String
        var pair: String?
        var ids: [Int32]
        var idsTruncated: [Int32]
        var decoded: String
    }

    struct RandomCase: Decodable, Sendable {
        var text: String
        var pair: String?
        var maxLength: Int?
        var ids: [Int32]
    }

    /// The fixture tokenizer with another normalizer / pre-tokenizer / decoder, and what HF gives for the first
    /// `handPickedCaseCount` cases and the first `random.count` random strings (each encoded alone).
    struct Variant: Decodable, Sendable, CustomStringConvertible {
        struct Result: Decodable, Sendable {
            var ids: [Int32]
            var decoded: String
        }

        var name: String
        var cases: [Result]
        var random: [[Int32]]

        var description: String { name }
    }

    var tokenizersVersion: String
    var maxLength: Int
    var handPickedCaseCount: Int
    var cases: [Case]
    var sentences: [Sentence]
    var random: [RandomCase]
    var variants: [Variant]

    static let folder: URL? = Bundle.module.url(forResource: "Fixtures", withExtension: nil)?
        .appendingPathComponent("unigram")

    /// Loaded once; nil (and the tests that need it fail in `fixtureLoads`) when the resource is broken.
    static let shared: UnigramReferenceFixture? = {
        guard let folder, let data = try? Data(contentsOf: folder.appendingPathComponent("unigram_reference.json"))
        else { return nil }
        return try? JSONDecoder().decode(UnigramReferenceFixture.self, from: data)
    }()

    static var tokenizerURL: URL? { folder?.appendingPathComponent("tokenizer.json") }

    static let tokenizer: UnigramTokenizer? = tokenizerURL.flatMap { try? UnigramTokenizer(contentsOf: $0) }

    static var cases: [Case] { shared?.cases ?? [] }
    static var variants: [Variant] { shared?.variants ?? [] }

    /// The fixture's tokenizer.json with the variant's normalizer steps after its Precompiled step, pre-tokenizer,
    /// decoder and extra added tokens (the parts of the variant as the script wrote them).
    static func variantJSON(named name: String) throws -> Data {
        guard let tokenizerURL, let folder else { throw CocoaError(.fileNoSuchFile) }
        let reference = try JSONSerialization.jsonObject(
            with: Data(contentsOf: folder.appendingPathComponent("unigram_reference.json"))) as? [String: Any]
        guard let variants = reference?["variants"] as? [[String: Any]],
              let variant = variants.first(where: { $0["name"] as? String == name }),
              var file = try JSONSerialization.jsonObject(with: Data(contentsOf: tokenizerURL)) as? [String: Any],
              let normalizer = file["normalizer"] as? [String: Any],
              let precompiled = normalizer["type"] as? String == "Sequence"
                  ? (normalizer["normalizers"] as? [Any])?.first : normalizer,
              let after = variant["normalizerAfterPrecompiled"] as? [Any]
        else { throw CocoaError(.fileReadCorruptFile) }
        file["normalizer"] = ["type": "Sequence", "normalizers": [precompiled] + after] as [String: Any]
        file["pre_tokenizer"] = variant["preTokenizer"] ?? NSNull()
        file["decoder"] = variant["decoder"] ?? NSNull()
        file["added_tokens"] = ((file["added_tokens"] as? [Any]) ?? []) + ((variant["addedTokens"] as? [Any]) ?? [])
        return try JSONSerialization.data(withJSONObject: file)
    }
}
