import Foundation
import Testing
import SoftPromptTokenizers

@Suite struct WordPieceTests {
    static func model(maxInputCharsPerWord: Int = 100) throws -> WordPiece {
        let json = """
        {"model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                   "max_input_chars_per_word": \(maxInputCharsPerWord),
                   "vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "[PAD]": 3, "un": 4, "##aff": 5, "##able": 6,
                             "una": 7, "##ff": 8, "a": 9, "##a": 10, "é": 11, "##é": 12, "🥰": 13}}}
        """
        return try WordPieceTokenizer(jsonData: Data(json.utf8)).model
    }

    @Test func greedyLongestMatchFirst_takesTheLongestPrefixEachTime() throws {
        let model = try Self.model()
        // "una" is longer than "un", so "unaffable" is una ##ff ##able, not un ##aff ##able.
        #expect(model.tokenize(word: "unaffable") == [7, 8, 6])
        #expect(model.tokenize(word: "aaa") == [9, 10, 10])
        #expect(model.tokenize(word: "éé") == [11, 12])
        #expect(model.tokenize(word: "🥰") == [13])
    }

    @Test func wordWithAPieceMissing_becomesOneUnknownToken() throws {
        let model = try Self.model()
        #expect(model.tokenize(word: "unafx") == [0])
        #expect(model.tokenize(word: "aé🥰") == [0])
    }

    @Test func wordLongerThanTheLimit_isUnknownCountingScalarsNotBytes() throws {
        let model = try Self.model(maxInputCharsPerWord: 3)
        #expect(model.tokenize(word: "aaa") == [9, 10, 10])
        #expect(model.tokenize(word: "aaaa") == [0])
        #expect(model.tokenize(word: "ééé") == [11, 12, 12])  // 6 bytes, 3 scalars
        #expect(model.tokenize(word: "") == [])
    }
}
