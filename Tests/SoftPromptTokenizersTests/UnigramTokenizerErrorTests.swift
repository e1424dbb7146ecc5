import Foundation
import Testing
import SoftPromptTokenizers

/// Malformed Unigram tokenizer.json files give a TokenizerError naming the file and the field, never a crash.
@Suite struct UnigramTokenizerErrorTests {
    static let vocab = #"[["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0], ["▁", -2.0], ["a", -3.0], ["▁a", -1.5]]"#
    static let charsMap = "AAAAAA=="  // an empty trie and no replacements: a valid charsmap that changes nothing
    static let metaspace = #"{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}"#

    /// A valid T5-like file with the given top-level fields replaced.
    static func file(model: String? = nil, normalizer: String? = nil, preTokenizer: String? = nil,
                     postProcessor: String? = nil, decoder: String? = nil, addedTokens: String = "[]",
                     padding: String = "null") -> String {
        let model = model ?? #"{"type": "Unigram", "unk_id": 2, "vocab": \#(vocab), "byte_fallback": false}"#
        let normalizer = normalizer ?? #"{"type": "Precompiled", "precompiled_charsmap": "\#(charsMap)"}"#
        let postProcessor = postProcessor ?? #"{"type": "TemplateProcessing", "single": ["$A", "</s>"], "pair": ["$A", "</s>", "$B", "</s>"], "special_tokens": {}}"#
        return """
            {"version": "1.0", "added_tokens": \(addedTokens), "normalizer": \(normalizer),
             "pre_tokenizer": \(preTokenizer ?? metaspace), "post_processor": \(postProcessor),
             "decoder": \(decoder ?? metaspace), "padding": \(padding), "model": \(model)}
            """
    }

    static func load(_ contents: String) -> (String, Result<UnigramTokenizer, TokenizerError>) {
        let path = "test-\(UUID().uuidString)/tokenizer.json"
        do {
            return (path, .success(try UnigramTokenizer(jsonData: Data(contents.utf8), path: path)))
        } catch {
            return (path, .failure(error))
        }
    }

    /// Loads `contents` and returns the error, checking that it names the file, `field` and `mentions`.
    @discardableResult
    static func error(_ contents: String, field: String?, mentions: [String] = [],
                      sourceLocation: SourceLocation = #_sourceLocation) throws -> TokenizerError {
        let (path, result) = load(contents)
        guard case .failure(let error) = result else {
            Issue.record("expected an error", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        #expect(error.description.contains(path), sourceLocation: sourceLocation)
        #expect(error.field == field, "\(error)", sourceLocation: sourceLocation)
        if let field { #expect(error.description.contains(field), sourceLocation: sourceLocation) }
        for text in mentions { #expect(error.description.contains(text), "\(error)", sourceLocation: sourceLocation) }
        return error
    }

    @Test func validMinimalFile_loadsAndEncodes() throws {
        let tokenizer = try Self.load(Self.file()).1.get()
        #expect(tokenizer.encode("a a").ids == [5, 5, 1])
        #expect(tokenizer.encode("ä").ids == [3, 2, 1])
        #expect(tokenizer.padId == 0 && tokenizer.eosId == 1 && tokenizer.unkId == 2)
        #expect(tokenizer.vocabularySize == 6)
    }

    @Test func missingFile_isUnreadable() {
        let url = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/tokenizer.json")
        #expect {
            try UnigramTokenizer(contentsOf: url)
        } throws: { error in
            guard let error = error as? TokenizerError, case .unreadableFile = error else { return false }
            return error.description.contains(url.path)
        }
    }

    @Test func brokenJSONAndWrongRoot_areReported() throws {
        try Self.error("{\"model\": ", field: nil, mentions: ["not valid JSON"])
        try Self.error("[]", field: "(root)")
        try Self.error(#"{"normalizer": null}"#, field: "model", mentions: ["missing"])
    }

    // MARK: model

    @Test func missingVocab_namesModelVocab() throws {
        try Self.error(Self.file(model: #"{"type": "Unigram", "unk_id": 0}"#), field: "model.vocab", mentions: ["missing"])
        try Self.error(Self.file(model: #"{"type": "Unigram", "unk_id": 0, "vocab": {"a": 1}}"#), field: "model.vocab",
                       mentions: ["[piece, score] pairs"])
        try Self.error(Self.file(model: #"{"type": "Unigram", "unk_id": 0, "vocab": []}"#), field: "model.vocab",
                       mentions: ["non-empty"])
    }

    @Test func malformedVocabEntries_nameTheirIndex() throws {
        for entry in [#"["b"]"#, #"["b", "1"]"#, #"[7, -1.0]"#, #"["b", -1.0, 3]"#, #"["b", 1e999]"#, "null"] {
            try Self.error(Self.file(model: #"{"unk_id": 0, "vocab": [["<unk>", 0], \#(entry)]}"#), field: "model.vocab[1]")
        }
        let duplicate = try Self.error(Self.file(model: #"{"unk_id": 0, "vocab": [["<unk>", 0], ["b", -1], ["b", -2]]}"#),
                                       field: "model.vocab")
        #expect(duplicate.description.contains(#""b" twice"#))
    }

    @Test func byteFallback_isRefused() throws {
        try Self.error(Self.file(model: #"{"type": "Unigram", "unk_id": 2, "vocab": \#(Self.vocab), "byte_fallback": true}"#),
                       field: "model.byte_fallback", mentions: ["not supported"])
    }

    @Test func unknownId_mustBeAnIdOfTheVocabulary() throws {
        for unkId in ["6", "-1", "2.0", "\"2\"", "null"] {
            try Self.error(Self.file(model: #"{"type": "Unigram", "unk_id": \#(unkId), "vocab": \#(Self.vocab)}"#),
                           field: "model.unk_id", mentions: ["0...5"])
        }
        try Self.error(Self.file(model: #"{"type": "Unigram", "vocab": \#(Self.vocab)}"#), field: "model.unk_id",
                       mentions: ["missing"])
    }

    @Test func otherModelTypes_areUnsupported() throws {
        try Self.error(Self.file(model: #"{"type": "BPE", "vocab": {}, "merges": []}"#), field: "model.type",
                       mentions: [#""BPE" is not supported (expected Unigram)"#])
    }

    // MARK: normalizer

    @Test func unknownNormalizerType_isNamedWhereverItIs() throws {
        try Self.error(Self.file(normalizer: #"{"type": "NFKC"}"#), field: "normalizer.type",
                       mentions: [#""NFKC" is not supported"#, "Precompiled"])
        try Self.error(Self.file(normalizer: #"{"type": "Sequence", "normalizers": [{"type": "Strip", "strip_left": false, "strip_right": true}, {"type": "Lowercase"}]}"#),
                       field: "normalizer.normalizers[1].type")
        try Self.error(Self.file(normalizer: #"{"type": "Sequence"}"#), field: "normalizer.normalizers")
        try Self.error(Self.file(normalizer: #"{"strip_left": true}"#), field: "normalizer.type")
    }

    @Test func badBase64Charsmap_namesTheField() throws {
        try Self.error(Self.file(normalizer: #"{"type": "Precompiled", "precompiled_charsmap": "not base64!"}"#),
                       field: "normalizer.precompiled_charsmap", mentions: ["base64"])
        try Self.error(Self.file(normalizer: #"{"type": "Precompiled", "precompiled_charsmap": "AAA="}"#),
                       field: "normalizer.precompiled_charsmap", mentions: ["SentencePiece charsmap"])
        try Self.error(Self.file(normalizer: #"{"type": "Precompiled", "precompiled_charsmap": ""}"#),
                       field: "normalizer.precompiled_charsmap")
        try Self.error(Self.file(normalizer: #"{"type": "Precompiled", "precompiled_charsmap": null}"#),
                       field: "normalizer.precompiled_charsmap")
        try Self.error(Self.file(normalizer: #"{"type": "Precompiled", "precompiled_charsmap": "BAAAAAAAAAD/AA=="}"#),
                       field: "normalizer.precompiled_charsmap", mentions: ["UTF-8"])
    }

    @Test func stripAndReplace_needTheirFields() throws {
        try Self.error(Self.file(normalizer: #"{"type": "Strip", "strip_right": true}"#), field: "normalizer.strip_left")
        try Self.error(Self.file(normalizer: #"{"type": "Replace", "pattern": {"Regex": "(a"}, "content": "b"}"#),
                       field: "normalizer.pattern")
        try Self.error(Self.file(normalizer: #"{"type": "Replace", "pattern": {"Regex": "x*"}, "content": "b"}"#),
                       field: "normalizer.pattern", mentions: ["matches empty text"])
        try Self.error(Self.file(normalizer: #"{"type": "Replace", "pattern": {"String": ""}, "content": "b"}"#),
                       field: "normalizer.pattern", mentions: ["empty"])
        try Self.error(Self.file(normalizer: #"{"type": "Replace", "pattern": {"Glob": "*"}, "content": "b"}"#),
                       field: "normalizer.pattern")
        try Self.error(Self.file(normalizer: #"{"type": "Replace", "pattern": {"String": " "}}"#),
                       field: "normalizer.content")
    }

    @Test func replaceNormalizer_replacesLiteralsAndRegexes() throws {
        let tokenizer = try Self.load(Self.file(normalizer: #"{"type": "Sequence", "normalizers": [{"type": "Replace", "pattern": {"String": "b"}, "content": "a"}, {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}, {"type": "Strip", "strip_left": true, "strip_right": true}]}"#)).1.get()
        #expect(tokenizer.normalizer?.normalize("  b   b \u{3000}") == "a a")
        #expect(tokenizer.encode(" b    a ").ids == [5, 5, 1])
    }

    // MARK: pre_tokenizer, decoder, post_processor, special tokens

    @Test func unknownPreTokenizerOrDecoder_isNamed() throws {
        try Self.error(Self.file(preTokenizer: #"{"type": "ByteLevel"}"#), field: "pre_tokenizer.type",
                       mentions: ["Metaspace, WhitespaceSplit, Sequence or null"])
        try Self.error(Self.file(preTokenizer: #"{"type": "Sequence", "pretokenizers": [{"type": "Digits"}]}"#),
                       field: "pre_tokenizer.pretokenizers[0].type")
        try Self.error(Self.file(decoder: #"{"type": "ByteFallback"}"#), field: "decoder.type")
    }

    @Test func metaspaceFields_areChecked() throws {
        try Self.error(Self.file(preTokenizer: #"{"type": "Metaspace", "replacement": "▁▁"}"#),
                       field: "pre_tokenizer.replacement", mentions: ["single character"])
        try Self.error(Self.file(preTokenizer: #"{"type": "Metaspace"}"#), field: "pre_tokenizer.replacement")
        try Self.error(Self.file(preTokenizer: #"{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "sometimes"}"#),
                       field: "pre_tokenizer.prepend_scheme")
        // As HF: false contradicts the default scheme "always"; with "never" it is accepted.
        try Self.error(Self.file(preTokenizer: #"{"type": "Metaspace", "replacement": "▁", "add_prefix_space": false}"#),
                       field: "pre_tokenizer.add_prefix_space")
        let never = try Self.load(Self.file(preTokenizer: #"{"type": "Metaspace", "replacement": "▁", "add_prefix_space": false, "prepend_scheme": "never"}"#)).1.get()
        #expect(never.encode("a").ids == [4, 1])
        try Self.error(Self.file(preTokenizer: #"{"type": "Metaspace", "replacement": "▁", "split": "yes"}"#),
                       field: "pre_tokenizer.split")
    }

    @Test func postProcessor_mustBeATemplateWithKnownTokens() throws {
        try Self.error(Self.file(postProcessor: #"{"type": "BertProcessing", "cls": ["</s>", 1], "sep": ["</s>", 1]}"#),
                       field: "post_processor.type")
        try Self.error(Self.file(postProcessor: #"{"type": "TemplateProcessing", "single": ["$A", "<eos>"], "pair": ["$A", "$B"]}"#),
                       field: "post_processor.single[1]", mentions: [#""<eos>""#])
        try Self.error(Self.file(postProcessor: #"{"type": "TemplateProcessing", "single": ["$A"], "pair": ["$A"]}"#),
                       field: "post_processor.pair")
    }

    @Test func missingEndOfSequenceOrPadToken_isNamed() throws {
        let noSpecials = #"{"unk_id": 0, "vocab": [["<unk>", 0.0], ["a", -1.0]]}"#
        try Self.error(Self.file(model: noSpecials, postProcessor: "null"), field: "post_processor (end-of-sequence token)",
                       mentions: [#""</s>""#])
        let noPad = #"{"unk_id": 0, "vocab": [["<unk>", 0.0], ["</s>", 0.0]]}"#
        try Self.error(Self.file(model: noPad), field: "padding.pad_token", mentions: [#""<pad>""#])
        try Self.error(Self.file(padding: #"{"pad_token": "[PAD]"}"#), field: "padding.pad_token", mentions: [#""[PAD]""#])
    }

    @Test func addedTokens_areCheckedAndSplitOut() throws {
        try Self.error(Self.file(addedTokens: #"[{"id": 1}]"#), field: "added_tokens[0].content")
        try Self.error(Self.file(addedTokens: #"[{"content": "</s>", "special": "yes"}]"#), field: "added_tokens[0].special")
        let tokenizer = try Self.load(Self.file(addedTokens: #"[{"id": 1, "content": "</s>", "special": true, "normalized": false}, {"id": 6, "content": "<extra_id_0>", "special": true, "normalized": false}]"#)).1.get()
        #expect(tokenizer.id(of: "<extra_id_0>") == 6)
        #expect(tokenizer.vocabularySize == 7)
        #expect(tokenizer.encode("a</s>a<extra_id_0>").ids == [5, 1, 5, 6, 1])
        #expect(tokenizer.decode([5, 1, 5, 6, 1]) == "a a")
    }

    // MARK: Fuzzing

    @Test func everyTruncationAndByteFlipOfAValidFile_failsCleanlyOrLoads() {
        let valid = Array(Self.file().utf8)
        for length in 0..<valid.count {
            #expect(throws: TokenizerError.self) { try UnigramTokenizer(jsonData: Data(valid[..<length])) }
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
            if let tokenizer = try? UnigramTokenizer(jsonData: Data(mutated)) {
                _ = tokenizer.decode(tokenizer.encode("a </s> ä  a", pair: "a", maxLength: 5).ids)
            }
        }
    }
}
