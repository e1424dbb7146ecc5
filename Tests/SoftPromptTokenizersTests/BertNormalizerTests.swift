import Testing
import SoftPromptTokenizers

@Suite struct BertNormalizerTests {
    /// all-MiniLM-L6-v2's normalizer: clean text, Chinese characters, lowercase, accents stripped (null → lowercase).
    static let minilm = BertNormalizer(cleanText: true, handleChineseChars: true, stripAccents: nil, lowercase: true)

    @Test(arguments: ReferenceFixture.tricky)
    func trickyString_normalizesAsHuggingFaceDoes(_ reference: ReferenceFixture.Case) throws {
        let expected = try #require(reference.normalized)
        let normalized = Self.minilm.normalize(reference.text)
        #expect(Array(normalized.unicodeScalars) == Array(expected.unicodeScalars))
    }

    @Test func stripAccents_followsLowercaseWhenNull() {
        #expect(BertNormalizer(stripAccents: nil, lowercase: true).stripAccents)
        #expect(!BertNormalizer(stripAccents: nil, lowercase: false).stripAccents)
        #expect(!BertNormalizer(stripAccents: false, lowercase: true).stripAccents)
        #expect(BertNormalizer(stripAccents: true, lowercase: false).stripAccents)
    }

    @Test func lowercaseWithoutStripping_keepsTheCombiningDotOfCapitalIWithDot() {
        let normalizer = BertNormalizer(stripAccents: false, lowercase: true)
        #expect(Array(normalizer.normalize("İ").unicodeScalars) == ["i", "\u{307}"])
        #expect(normalizer.normalize("ΣΑΣ") == "σασ")  // no final-sigma context, as Rust's char::to_lowercase
        #expect(normalizer.normalize("Café") == "café")
    }

    @Test func stripAccentsWithoutLowercase_decomposesHangulAndDropsMarks() {
        let normalizer = BertNormalizer(stripAccents: true, lowercase: false)
        #expect(Array(normalizer.normalize("한").unicodeScalars) == ["\u{1112}", "\u{1161}", "\u{11AB}"])
        #expect(normalizer.normalize("Ångström") == "Angstrom")
    }

    @Test func cleanText_dropsControlsAndMapsWhitespace() {
        let normalizer = BertNormalizer(cleanText: true, handleChineseChars: false, stripAccents: false, lowercase: false)
        #expect(normalizer.normalize("a\u{0}b\u{FFFD}c\u{200B}d\te\u{3000}f\u{B}g") == "abcd e fg")
        let raw = BertNormalizer(cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: false)
        #expect(raw.normalize("a\u{0}b\tc") == "a\u{0}b\tc")
    }

    @Test func chineseCharacters_getSpacesAroundThem() {
        let normalizer = BertNormalizer(cleanText: false, handleChineseChars: true, stripAccents: false, lowercase: false)
        #expect(normalizer.normalize("ab中文c") == "ab 中  文 c")
        #expect(normalizer.normalize("カタカナ") == "カタカナ")
    }
}
