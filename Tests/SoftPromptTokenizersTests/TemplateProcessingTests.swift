import Foundation
import Testing
import SoftPromptTokenizers

@Suite struct TemplateProcessingTests {
    static func tokenizer(postProcessor: String) throws -> WordPieceTokenizer {
        let json = """
        {"model": {"type": "WordPiece", "unk_token": "[UNK]",
                   "vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "[PAD]": 3, "a": 4, "b": 5, "c": 6}},
         "normalizer": null, "pre_tokenizer": {"type": "BertPreTokenizer"},
         "post_processor": \(postProcessor)}
        """
        return try WordPieceTokenizer(jsonData: Data(json.utf8))
    }

    static let objectTemplate = """
        {"type": "TemplateProcessing",
         "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                    {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
         "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                  {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                  {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
         "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [1], "tokens": ["[CLS]"]},
                            "[SEP]": {"id": "[SEP]", "ids": [2], "tokens": ["[SEP]"]}}}
        """

    @Test func bertProcessing_equalsTheEquivalentTemplate() throws {
        let template = try Self.tokenizer(postProcessor: Self.objectTemplate)
        let bert = try Self.tokenizer(postProcessor: #"{"type": "BertProcessing", "sep": ["[SEP]", 2], "cls": ["[CLS]", 1]}"#)
        let strings = try Self.tokenizer(postProcessor: """
            {"type": "TemplateProcessing", "single": "[CLS] $A [SEP]", "pair": ["[CLS]", "$A", "[SEP]", "$B:1", "[SEP]:1"]}
            """)
        #expect(template.postProcessor == bert.postProcessor)
        #expect(template.postProcessor == strings.postProcessor)
        let pair = template.encode("a b", pair: "c")
        #expect(pair.ids == [1, 4, 5, 2, 6, 2])
        #expect(pair.typeIds == [0, 0, 0, 0, 1, 1])
        #expect(pair.tokens == ["[CLS]", "a", "b", "[SEP]", "c", "[SEP]"])
        #expect(bert.encode("a b", pair: "c") == pair)
        #expect(template.encode("c").ids == [1, 6, 2])
    }

    @Test func addedTokenCount_isWhatTruncationLeavesRoomFor() throws {
        let tokenizer = try Self.tokenizer(postProcessor: Self.objectTemplate)
        #expect(tokenizer.postProcessor?.addedTokenCount(isPair: false) == 2)
        #expect(tokenizer.postProcessor?.addedTokenCount(isPair: true) == 3)
        #expect(tokenizer.encode("a b c a b c", maxLength: 5).ids == [1, 4, 5, 6, 2])
        #expect(tokenizer.encode("a b c a", pair: "b", maxLength: 6).ids == [1, 4, 5, 2, 5, 2])
    }

    @Test func noPostProcessor_addsNothingAndMarksTheSecondTextWithTypeOne() throws {
        let tokenizer = try Self.tokenizer(postProcessor: "null")
        let pair = tokenizer.encode("a b", pair: "c")
        #expect(pair.ids == [4, 5, 6])
        #expect(pair.typeIds == [0, 0, 1])
        #expect(tokenizer.clsId == 1 && tokenizer.sepId == 2 && tokenizer.padId == 3)
        #expect(tokenizer.maskId == nil)
    }
}
