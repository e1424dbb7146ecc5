import Testing
import SoftPromptTokenizers

@Suite struct BertPreTokenizerTests {
    @Test(arguments: ReferenceFixture.tricky)
    func normalizedTrickyString_splitsAsHuggingFaceDoes(_ reference: ReferenceFixture.Case) throws {
        let normalized = try #require(reference.normalized)
        let expected = try #require(reference.preTokenized)
        #expect(BertPreTokenizer().preTokenize(normalized) == expected)
    }

    @Test func punctuation_isAWordOfItsOwnAndWhitespaceIsDropped() {
        #expect(BertPreTokenizer().preTokenize("Hello,  world!!") == ["Hello", ",", "world", "!", "!"])
        #expect(BertPreTokenizer().preTokenize("a$b^c~d") == ["a", "$", "b", "^", "c", "~", "d"])
        #expect(BertPreTokenizer().preTokenize("¿qué?«x»") == ["¿", "qué", "?", "«", "x", "»"])
        #expect(BertPreTokenizer().preTokenize("a\u{3000}b\u{A0}c") == ["a", "b", "c"])
        #expect(BertPreTokenizer().preTokenize("© ®x") == ["©", "®x"])
        #expect(BertPreTokenizer().preTokenize("") == [])
    }
}
