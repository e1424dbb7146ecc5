import Foundation
import Testing
@testable import SoftPromptTokenizers

@Suite struct WordPieceTokenizerTests {
    static let tiny: WordPieceTokenizer? = ReferenceFixture.shared.flatMap {
        try? WordPieceTokenizer(jsonData: Data($0.tiny.tokenizerJson.utf8), path: "tiny tokenizer.json")
    }

    @Test func referenceFixtureLoads() throws {
        let fixture = try #require(ReferenceFixture.shared, "Fixtures/tokenizer_reference.json is missing or malformed")
        #expect(fixture.tricky.count >= 60)
        #expect(fixture.random.count >= 300)
        #expect(fixture.files.count >= 30)
        #expect(!fixture.tiny.cases.isEmpty)
    }

    // MARK: The real all-MiniLM-L6-v2 tokenizer

    @Test(.enabled(if: ReferenceResources.haveRealTokenizer,
                   "needs the real tokenizer.json ($SOFTPROMPT_MODEL or ~/.cache/softprompt/default-model-dir)"),
          arguments: ReferenceFixture.tricky)
    func trickyString_givesTheIdsTokensAndTypeIdsOfHuggingFace(_ reference: ReferenceFixture.Case) throws {
        let tokenizer = try #require(ReferenceResources.realTokenizer)
        let encoded = tokenizer.encode(reference.text, pair: reference.pair, maxLength: reference.maxLength)
        #expect(encoded.ids == reference.ids)
        #expect(encoded.tokens == reference.tokens)
        #expect(encoded.typeIds == reference.typeIds)
    }

    @Test(.enabled(if: ReferenceResources.haveRealTokenizer, "needs the real tokenizer.json"))
    func seededRandomStrings_giveTheIdsOfHuggingFace() throws {
        let tokenizer = try #require(ReferenceResources.realTokenizer)
        let cases = try #require(ReferenceFixture.shared?.random)
        #expect(cases.count >= 300)
        for reference in cases {
            let encoded = tokenizer.encode(reference.text, pair: reference.pair, maxLength: reference.maxLength)
            if encoded.ids != reference.ids || encoded.typeIds != reference.typeIds {
                let scalars = reference.text.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) }
                Issue.record("\(scalars) pair \(reference.pair ?? "-") max \(reference.maxLength ?? -1): \(encoded.ids) != \(reference.ids)")
            }
        }
    }

    @Test(.enabled(if: ReferenceResources.haveRealTokenizer, "needs the real tokenizer.json"),
          arguments: ReferenceFixture.tricky)
    func decode_matchesHuggingFaceDecode(_ reference: ReferenceFixture.Case) throws {
        let tokenizer = try #require(ReferenceResources.realTokenizer)
        let decoded = try #require(reference.decoded)
        #expect(tokenizer.decode(reference.ids) == decoded)
    }

    @Test(.enabled(if: ReferenceResources.haveRealTokenizer, "needs the real tokenizer.json"))
    func realTokenizer_readsItsSpecialTokensAndSize() throws {
        let url = try #require(ReferenceResources.realTokenizerURL)
        let tokenizer = try WordPieceTokenizer(contentsOf: url)
        #expect(tokenizer.vocabularySize == 30522)
        #expect(tokenizer.padId == 0)
        #expect(tokenizer.unkId == 100)
        #expect(tokenizer.clsId == 101)
        #expect(tokenizer.sepId == 102)
        #expect(tokenizer.maskId == 103)
        #expect(tokenizer.id(of: "hello") == 7592)
        #expect(tokenizer.id(of: "##ing") == 2075)
        #expect(tokenizer.id(of: "Hello") == nil)
        #expect(tokenizer.token(of: 7592) == "hello")
        #expect(tokenizer.token(of: 30522) == nil)
        #expect(tokenizer.token(of: -1) == nil)
        #expect(tokenizer.normalizer == BertNormalizer(cleanText: true, handleChineseChars: true, stripAccents: nil,
                                                       lowercase: true))
        #expect(tokenizer.model.maxInputCharsPerWord == 100)
        #expect(tokenizer.postProcessor?.addedTokenCount(isPair: false) == 2)
        #expect(tokenizer.postProcessor?.addedTokenCount(isPair: true) == 3)
    }

    @Test(.enabled(if: ReferenceResources.haveRealTokenizer, "needs the real tokenizer.json"))
    func encodeSequence_leavesOutSpecialTokensAndTruncation() throws {
        let tokenizer = try #require(ReferenceResources.realTokenizer)
        #expect(tokenizer.encodeSequence("Hello [MASK] world") == [7592, 103, 2088])
        #expect(tokenizer.encode("Hello world").ids == [101, 7592, 2088, 102])
    }

    // MARK: A tiny tokenizer built by the reference script (no model needed)

    @Test(arguments: ReferenceFixture.tinyCases)
    func tinyTokenizer_matchesHuggingFace(_ reference: ReferenceFixture.Case) throws {
        let tokenizer = try #require(Self.tiny)
        let encoded = tokenizer.encode(reference.text, pair: reference.pair, maxLength: reference.maxLength)
        #expect(encoded.ids == reference.ids)
        #expect(encoded.tokens == reference.tokens)
        #expect(encoded.typeIds == reference.typeIds)
    }

    @Test func tinyTokenizer_numbersAddedTokensMissingFromTheVocabularyAfterIt() throws {
        let tokenizer = try #require(Self.tiny)
        #expect(tokenizer.id(of: "<lr>") == 35)
        #expect(tokenizer.id(of: "new_token_longer") == 39)
        #expect(tokenizer.vocabularySize == 40)
        #expect(tokenizer.token(of: 37) == "Héllo")
        #expect(tokenizer.normalizer == BertNormalizer(cleanText: true, handleChineseChars: false, stripAccents: true,
                                                       lowercase: false))
        #expect(tokenizer.postProcessor == .bert(cls: ("[CLS]", 2), sep: ("[SEP]", 3)))
    }

    @Test func vocabularyLookup_comparesBytesNotCanonicalEquivalence() throws {
        let tokenizer = try #require(Self.tiny)
        #expect(tokenizer.id(of: "é") == 31)
        #expect(tokenizer.id(of: "e\u{301}") == nil)
    }

    @Test func encodingIsTheSameFromManyThreads() async throws {
        let tokenizer = try #require(Self.tiny)
        let expected = tokenizer.encode("The word a b c", pair: "words, words!")
        await withTaskGroup(of: TokenizedText.self) { group in
            for _ in 0..<8 { group.addTask { tokenizer.encode("The word a b c", pair: "words, words!") } }
            for await result in group { #expect(result == expected) }
        }
    }
}
