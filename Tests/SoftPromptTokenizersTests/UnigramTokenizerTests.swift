import Foundation
import Testing
@testable import SoftPromptTokenizers

/// The fixture T5-style tokenizer gives the ids, tokens and decodings of HF `tokenizers` on every reference
/// string (Fixtures/unigram, made by Tests/Fixtures/make_unigram_reference.py).
@Suite struct UnigramTokenizerTests {
    @Test func referenceFixtureLoads() throws {
        let fixture = try #require(UnigramReferenceFixture.shared, "Fixtures/unigram/unigram_reference.json is missing or malformed")
        #expect(fixture.cases.count >= 80)
        #expect(fixture.sentences.count >= 300)
        #expect(fixture.random.count >= 200)
        #expect(fixture.variants.count >= 5)
        _ = try #require(UnigramReferenceFixture.tokenizer, "Fixtures/unigram/tokenizer.json does not load")
    }

    // MARK: Parity with HF

    @Test(arguments: UnigramReferenceFixture.cases)
    func handPickedCase_givesTheIdsTokensAndTypeIdsOfHuggingFace(_ reference: UnigramReferenceFixture.Case) throws {
        let tokenizer = try #require(UnigramReferenceFixture.tokenizer)
        let encoded = tokenizer.encode(reference.text, pair: reference.pair, maxLength: reference.maxLength)
        #expect(encoded.ids == reference.ids)
        #expect(encoded.tokens == reference.tokens)
        if let typeIds = reference.typeIds { #expect(encoded.typeIds == typeIds) }
    }

    @Test(arguments: UnigramReferenceFixture.cases)
    func handPickedCase_decodesAsHuggingFaceDoes(_ reference: UnigramReferenceFixture.Case) throws {
        let tokenizer = try #require(UnigramReferenceFixture.tokenizer)
        #expect(tokenizer.decode(reference.ids) == reference.decoded)
        #expect(tokenizer.decode(reference.ids, skipSpecialTokens: false) == reference.decodedWithSpecials)
    }

    @Test func everyDataSentence_givesTheIdsTruncationAndDecodingOfHuggingFace() throws {
        let tokenizer = try #require(UnigramReferenceFixture.tokenizer)
        let fixture = try #require(UnigramReferenceFixture.shared)
        var matching = 0
        for sentence in fixture.sentences {
            let ids = tokenizer.encode(sentence.text, pair: sentence.pair).ids
            let truncated = tokenizer.encode(sentence.text, pair: sentence.pair, maxLength: fixture.maxLength).ids
            let decoded = tokenizer.decode(ids)
            if ids == sentence.ids && truncated == sentence.idsTruncated && decoded == sentence.decoded {
                matching += 1
            } else {
                Issue.record("\(sentence.source): \(sentence.text) | \(sentence.pair ?? "-")\n ours \(ids)\n HF   \(sentence.ids)")
            }
        }
        print("UnigramTokenizer: \(matching) of \(fixture.sentences.count) data sentences match HF tokenizers \(fixture.tokenizersVersion)")
        #expect(matching == fixture.sentences.count)
    }

    @Test func seededRandomStrings_giveTheIdsOfHuggingFace() throws {
        let tokenizer = try #require(UnigramReferenceFixture.tokenizer)
        let fixture = try #require(UnigramReferenceFixture.shared)
        for reference in fixture.random {
            let ids = tokenizer.encode(reference.text, pair: reference.pair, maxLength: reference.maxLength).ids
            if ids != reference.ids {
                let scalars = reference.text.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) }
                Issue.record("\(scalars) pair \(reference.pair ?? "-") max \(reference.maxLength ?? -1): \(ids) != \(reference.ids)")
            }
        }
    }

    @Test(arguments: UnigramReferenceFixture.variants)
    func otherT5Layouts_giveTheIdsAndDecodingOfHuggingFace(_ variant: UnigramReferenceFixture.Variant) throws {
        let fixture = try #require(UnigramReferenceFixture.shared)
        let tokenizer = try UnigramTokenizer(jsonData: UnigramReferenceFixture.variantJSON(named: variant.name),
                                             path: variant.name)
        for (reference, result) in zip(fixture.cases.prefix(fixture.handPickedCaseCount), variant.cases) {
            let ids = tokenizer.encode(reference.text).ids
            #expect(ids == result.ids, "\(reference.name)")
            #expect(tokenizer.decode(result.ids) == result.decoded, "\(reference.name)")
        }
        for (reference, expected) in zip(fixture.random, variant.random) {
            #expect(tokenizer.encode(reference.text).ids == expected, "\(reference.text.unicodeScalars.map(\.value))")
        }
    }

    // MARK: The API

    @Test func fixtureTokenizer_readsItsSpecialTokensAndSize() throws {
        let tokenizer = try #require(UnigramReferenceFixture.tokenizer)
        #expect(tokenizer.padId == 0)
        #expect(tokenizer.eosId == 1)
        #expect(tokenizer.unkId == 2)
        #expect(tokenizer.vocabularySize == 3100)
        #expect(tokenizer.id(of: "<extra_id_0>") == 3099)
        #expect(tokenizer.id(of: "<extra_id_99>") == 3000)
        #expect(tokenizer.id(of: "\u{2581}") == 3)
        #expect(tokenizer.token(of: 3) == "\u{2581}")
        #expect(tokenizer.token(of: 3100) == nil)
        #expect(tokenizer.token(of: -1) == nil)
        #expect(tokenizer.addedTokens.count == 103)
        #expect(tokenizer.addedTokens.allSatisfy { $0.special && !$0.normalized })
        #expect(tokenizer.postProcessor?.addedTokenCount(isPair: false) == 1)
        #expect(tokenizer.postProcessor?.addedTokenCount(isPair: true) == 2)
        #expect(tokenizer.model.unknownScore == (tokenizer.model.scores.min() ?? 0) - 10)
    }

    @Test func encodeSequence_leavesOutTheEndOfSequenceToken() throws {
        let tokenizer = try #require(UnigramReferenceFixture.tokenizer)
        let text = "The film was good <extra_id_0> ."
        let withSpecials = tokenizer.encode(text).ids
        #expect(withSpecials.last == tokenizer.eosId)
        #expect(tokenizer.encodeSequence(text) == Array(withSpecials.dropLast()))
        #expect(tokenizer.encodeSequence("") == [])
        #expect(tokenizer.encode("").ids == [tokenizer.eosId])
    }

    @Test func truncation_keepsTheEndOfSequenceToken() throws {
        let tokenizer = try #require(UnigramReferenceFixture.tokenizer)
        let text = "a long sentence that certainly has more than four tokens in it"
        let truncated = tokenizer.encode(text, maxLength: 4).ids
        #expect(truncated == Array(tokenizer.encodeSequence(text).prefix(3)) + [tokenizer.eosId])
        let pair = tokenizer.encode(text, pair: "short", maxLength: 6)
        #expect(pair.count == 6)
        #expect(pair.ids.filter { $0 == tokenizer.eosId }.count == 2)
        #expect(tokenizer.encode(text, maxLength: 0).ids == [tokenizer.eosId])
    }

    @Test func decode_roundTripsPlainText() throws {
        let tokenizer = try #require(UnigramReferenceFixture.tokenizer)
        for text in ["the movie was great .", "it is not a good film", "a b c"] {
            #expect(tokenizer.decode(tokenizer.encode(text).ids) == text)
        }
        #expect(tokenizer.decode([]) == "")
        #expect(tokenizer.decode([-5, 99_999]) == "")
    }

    // MARK: Robustness

    @Test func randomValidUTF8_neverCrashesAndGivesIdsInRange() throws {
        let tokenizer = try #require(UnigramReferenceFixture.tokenizer)
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        for round in 0..<3_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(next() % 40) { bytes.append(UInt8(truncatingIfNeeded: next())) }
            // Random bytes, repaired into valid UTF-8 (invalid sequences become U+FFFD); half of them biased to
            // ASCII and the "▁" / "</s>" pieces the pipeline treats specially.
            var text = String(decoding: bytes, as: UTF8.self)
            if round % 2 == 0 { text = text.unicodeScalars.map { $0.value % 3 == 0 ? "\u{2581}" : String($0) }.joined() + "</s> x" }
            let encoded = tokenizer.encode(text, pair: round % 3 == 0 ? text : nil, maxLength: round % 5 == 0 ? 7 : nil)
            #expect(encoded.ids.allSatisfy { $0 >= 0 && Int($0) < tokenizer.vocabularySize })
            #expect(encoded.ids.count == encoded.tokens.count)
            _ = tokenizer.decode(encoded.ids)
        }
    }

    @Test func encodingIsTheSameFromManyThreads() async throws {
        let tokenizer = try #require(UnigramReferenceFixture.tokenizer)
        let text = "Héllo wörld </s> 東京 ＡＢＣ  spaces"
        let expected = tokenizer.encode(text, pair: "second <extra_id_3> text")
        await withTaskGroup(of: TokenizedText.self) { group in
            for _ in 0..<8 { group.addTask { tokenizer.encode(text, pair: "second <extra_id_3> text") } }
            for await result in group { #expect(result == expected) }
        }
    }
}
