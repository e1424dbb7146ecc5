import Foundation
import Testing
import SoftPromptTokenizers

/// Malformed tokenizer.json files give a TokenizerError naming the file and the field, never a crash.
@Suite struct TokenizerErrorTests {
    static let vocab = #"{"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "[PAD]": 3, "a": 4}"#

    /// A valid file with `replacements` applied to its top-level fields (nil removes the field).
    static func file(model: String? = nil, normalizer: String = "null", preTokenizer: String = "null",
                     postProcessor: String = "null", addedTokens: String = "[]", padding: String = "null") -> String {
        var fields = [
            #""normalizer": \#(normalizer)"#, #""pre_tokenizer": \#(preTokenizer)"#,
            #""post_processor": \#(postProcessor)"#, #""added_tokens": \#(addedTokens)"#, #""padding": \#(padding)"#,
        ]
        fields.append(#""model": \#(model ?? #"{"type": "WordPiece", "unk_token": "[UNK]", "vocab": \#(vocab)}"#)"#)
        return "{" + fields.joined(separator: ", ") + "}"
    }

    /// Writes `contents` as tokenizer.json in a fresh temporary folder and loads it.
    static func load(_ contents: some DataProtocol) throws -> (URL, Result<WordPieceTokenizer, TokenizerError>) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("softprompt-tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("tokenizer.json")
        try Data(contents).write(to: url)
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            return (url, .success(try WordPieceTokenizer(contentsOf: url)))
        } catch {
            return (url, .failure(error))
        }
    }

    /// Loads `contents` and returns the error, checking that it names the file (and `field`, when given).
    static func error(_ contents: String, field: String?, mentions: [String] = [],
                      sourceLocation: SourceLocation = #_sourceLocation) throws -> TokenizerError {
        let (url, result) = try load(Data(contents.utf8))
        guard case .failure(let error) = result else {
            Issue.record("expected an error", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        #expect(error.description.contains(url.path), sourceLocation: sourceLocation)
        if let field {
            #expect(error.field == field, sourceLocation: sourceLocation)
            #expect(error.description.contains(field), sourceLocation: sourceLocation)
        }
        for text in mentions { #expect(error.description.contains(text), "\(error)", sourceLocation: sourceLocation) }
        return error
    }

    @Test func validMinimalFile_loads() throws {
        let (_, result) = try Self.load(Data(Self.file().utf8))
        let tokenizer = try result.get()
        #expect(tokenizer.encode("a").ids == [4])
        #expect(tokenizer.vocabularySize == 5)
    }

    @Test func missingFile_isUnreadable() throws {
        let url = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/tokenizer.json")
        #expect {
            try WordPieceTokenizer(contentsOf: url)
        } throws: { error in
            guard let error = error as? TokenizerError, case .unreadableFile = error else { return false }
            return error.description.contains(url.path)
        }
    }

    @Test func brokenJSON_givesLineAndColumn() throws {
        let error = try Self.error("{\n  \"model\": {,\n}", field: nil)
        #expect(error == .invalidJSON(path: error.description.components(separatedBy: ":")[0], line: 2, column: 13,
                                      reason: "expected a string key"))
        _ = try Self.error("", field: nil, mentions: ["not valid JSON"])
        _ = try Self.error(String(Self.file().dropLast(40)), field: nil, mentions: ["not valid JSON"])
        _ = try Self.error(String(repeating: "[", count: 100_000), field: nil, mentions: ["nesting"])
        _ = try Self.error(#"{"model": "\ud800"}"#, field: nil, mentions: ["surrogate"])
    }

    @Test func invalidUTF8_isReportedNotCrashed() throws {
        var bytes = Array(Self.file().utf8)
        let index = try #require(bytes.firstIndex(of: UInt8(ascii: "a")))
        bytes[index] = 0xFF
        let (_, result) = try Self.load(bytes)
        guard case .failure(let error) = result else { Issue.record("expected an error"); return }
        #expect(error.description.contains("UTF-8"))
    }

    @Test func everyTruncationAndByteFlipOfAValidFile_failsCleanlyOrLoads() throws {
        let valid = Array(try #require(ReferenceFixture.shared?.tiny.tokenizerJson).utf8)
        for length in 0..<valid.count {
            #expect(throws: TokenizerError.self) { try WordPieceTokenizer(jsonData: Data(valid[..<length])) }
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        let replacements: [UInt8] = Array(#"{}[]",:0-9e."\ ab"#.utf8) + [0x00, 0xC3, 0xFF]
        for _ in 0..<2_000 {
            var mutated = valid
            for _ in 0..<(1 + next() % 3) {
                mutated[next() % mutated.count] = replacements[next() % replacements.count]
            }
            // Either outcome is fine; what matters is that it returns.
            if let tokenizer = try? WordPieceTokenizer(jsonData: Data(mutated)) {
                _ = tokenizer.encode("The word [MASK] Héllo", pair: "a b", maxLength: 6)
            }
        }
    }

    @Test func hugeIds_areRefused() throws {
        _ = try Self.error(Self.file(model: #"{"vocab": {"[UNK]": 0, "[PAD]": 2147483646}}"#), field: "model.vocab",
                           mentions: ["16777215"])
    }

    @Test func rootAndModel_mustBeObjects() throws {
        _ = try Self.error("[]", field: "(root)")
        _ = try Self.error(#"{"normalizer": null}"#, field: "model", mentions: ["missing"])
        _ = try Self.error(Self.file(model: "42"), field: "model", mentions: ["found a number"])
    }

    @Test func modelType_mustBeWordPiece() throws {
        let error = try Self.error(Self.file(model: #"{"type": "BPE", "vocab": {}, "merges": []}"#), field: "model.type")
        #expect(error.description.hasSuffix(#"model.type "BPE" is not supported (expected WordPiece)"#))
    }

    @Test func vocab_mustBeAnObjectOfTokenToId() throws {
        for vocab in [#"["a", "b"]"#, #"{"[UNK]": "0"}"#, #"{"[UNK]": -1}"#, #"{"[UNK]": 1.5}"#, #"{"[UNK]": true}"#,
                      "null"] {
            _ = try Self.error(Self.file(model: #"{"type": "WordPiece", "vocab": \#(vocab)}"#), field: "model.vocab",
                               mentions: [#"field "model.vocab" must be an object of token → id"#])
        }
    }

    @Test func vocab_mustNotRepeatIdsOrTokens() throws {
        let ids = try Self.error(Self.file(model: #"{"vocab": {"[UNK]": 0, "a": 1, "b": 1}}"#), field: "model.vocab")
        #expect(ids == .duplicateId(path: ids.description.components(separatedBy: ":")[0], field: "model.vocab", id: 1,
                                    first: "a", second: "b"))
        _ = try Self.error(Self.file(model: #"{"vocab": {"[UNK]": 0, "a": 1, "a": 2}}"#), field: "model.vocab",
                           mentions: [#""a" twice"#])
    }

    @Test func unknownToken_mustBeInTheVocabulary() throws {
        _ = try Self.error(Self.file(model: #"{"vocab": {"a": 0}}"#), field: "model.unk_token", mentions: [#""[UNK]""#])
        _ = try Self.error(Self.file(model: #"{"unk_token": "<unk>", "vocab": \#(Self.vocab)}"#), field: "model.unk_token",
                           mentions: [#""<unk>""#])
        _ = try Self.error(Self.file(model: #"{"unk_token": 5, "vocab": \#(Self.vocab)}"#), field: "model.unk_token",
                           mentions: ["must be a string"])
    }

    @Test func modelNumbers_mustBeInRange() throws {
        _ = try Self.error(Self.file(model: #"{"max_input_chars_per_word": -1, "vocab": \#(Self.vocab)}"#),
                           field: "model.max_input_chars_per_word")
        _ = try Self.error(Self.file(model: #"{"continuing_subword_prefix": [], "vocab": \#(Self.vocab)}"#),
                           field: "model.continuing_subword_prefix")
    }

    @Test func normalizer_mustBeBertNormalizer() throws {
        _ = try Self.error(Self.file(normalizer: #"{"type": "Lowercase"}"#), field: "normalizer.type",
                           mentions: [#""Lowercase" is not supported (expected BertNormalizer or null)"#])
        _ = try Self.error(Self.file(normalizer: #"{"type": "BertNormalizer", "lowercase": "yes"}"#),
                           field: "normalizer.lowercase")
        _ = try Self.error(Self.file(normalizer: #"{"type": "BertNormalizer", "strip_accents": 1}"#),
                           field: "normalizer.strip_accents")
        _ = try Self.error(Self.file(normalizer: #"{"lowercase": true}"#), field: "normalizer.type")
        _ = try Self.error(Self.file(normalizer: #""BertNormalizer""#), field: "normalizer")
    }

    @Test func preTokenizer_mustBeBertPreTokenizer() throws {
        _ = try Self.error(Self.file(preTokenizer: #"{"type": "Whitespace"}"#), field: "pre_tokenizer.type")
    }

    @Test func postProcessor_mustBeATemplateWeUnderstand() throws {
        _ = try Self.error(Self.file(postProcessor: #"{"type": "RobertaProcessing"}"#), field: "post_processor.type")
        _ = try Self.error(Self.file(postProcessor: #"{"type": "BertProcessing", "sep": ["[SEP]"], "cls": ["[CLS]", 1]}"#),
                           field: "post_processor.sep")
        _ = try Self.error(Self.file(postProcessor: """
            {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "[BOS]", "type_id": 0}},
             {"Sequence": {"id": "A", "type_id": 0}}], "pair": "$A $B", "special_tokens": {}}
            """), field: "post_processor.single[0].SpecialToken.id", mentions: ["[BOS]"])
        _ = try Self.error(Self.file(postProcessor: """
            {"type": "TemplateProcessing", "single": "$A", "pair": "$A [SEP]", "special_tokens": {}}
            """), field: "post_processor.pair", mentions: ["$B"])
        _ = try Self.error(Self.file(postProcessor: """
            {"type": "TemplateProcessing", "single": "$A [BOS]", "pair": "$A $B", "special_tokens": {}}
            """), field: "post_processor.single[1]", mentions: ["[BOS]"])
        _ = try Self.error(Self.file(postProcessor: """
            {"type": "TemplateProcessing", "single": "$A", "pair": "$A $B",
             "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [1, 2], "tokens": ["[CLS]"]}}}
            """), field: #"post_processor.special_tokens["[CLS]"]"#)
    }

    @Test func addedTokens_mustBeAnArrayOfTokenObjects() throws {
        _ = try Self.error(Self.file(addedTokens: "{}"), field: "added_tokens")
        _ = try Self.error(Self.file(addedTokens: #"[{"id": 5}]"#), field: "added_tokens[0].content")
        _ = try Self.error(Self.file(addedTokens: #"[{"content": "x"}]"#), field: "added_tokens[0].id")
        _ = try Self.error(Self.file(addedTokens: #"[{"id": 5, "content": "x", "lstrip": "no"}]"#),
                           field: "added_tokens[0].lstrip")
    }

    @Test func paddingToken_mustBeInTheVocabulary() throws {
        _ = try Self.error(Self.file(padding: #"{"pad_token": "<pad>"}"#), field: "padding.pad_token",
                           mentions: [#""<pad>""#])
        _ = try Self.error(Self.file(model: #"{"vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2}}"#),
                           field: "padding.pad_token", mentions: [#""[PAD]""#])
    }
}
