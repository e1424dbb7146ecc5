import Testing
@testable import SoftPromptTokenizers

/// Viterbi on small hand-made vocabularies whose best segmentation can be worked out by hand.
@Suite struct UnigramModelTests {
    /// Scores chosen so that the paths through "abc" differ: a+b+c = -3, ab+c = -2.5, a+bc = -4, abc = -4.
    static let model = UnigramModel(vocabulary: [
        ("<unk>", 0), ("a", -1), ("b", -1), ("c", -1), ("ab", -1.5), ("bc", -3), ("abc", -4), ("語", -2),
    ], unknownId: 0)

    @Test func bestPath_isTheHighestTotalScore() {
        #expect(Self.model.tokenize("abc") == [4, 3])          // ab + c = -2.5
        #expect(Self.model.tokenize("abcabc") == [4, 3, 4, 3])
        #expect(Self.model.tokenize("bc") == [2, 3])           // b + c = -2 beats bc = -3
        #expect(Self.model.tokenize("") == [])
    }

    @Test func unknownCharacter_scoresTheLowestPieceMinusTen() {
        #expect(Self.model.unknownScore == -14)
        #expect(Self.model.tokenize("abx") == [4, 0])
        #expect(Self.model.tokenize("x語") == [0, 7])
    }

    @Test func consecutiveUnknownCharacters_fuseIntoOneToken() {
        #expect(Self.model.tokenize("xyz") == [0])
        #expect(Self.model.tokenize("axyb") == [1, 0, 2])
        #expect(Self.model.tokenize("東京a") == [0, 1])
        #expect(Self.model.tokenize("x語y") == [0, 7, 0])
    }

    @Test func pieceThatIsTheUnknownToken_fusesWithUnknownCharacters() {
        // HF fuses by id, so the piece "<unk>" found in the text joins the unknown "q" next to it.
        #expect(Self.model.tokenize("q<unk>a") == [0, 1])
    }

    @Test func equalScores_keepThePathWhoseLastPieceStartsEarlier() {
        let model = UnigramModel(vocabulary: [("<unk>", 0), ("a", -1), ("b", -1), ("ab", -2)], unknownId: 0)
        #expect(model.tokenize("ab") == [3])
        let reversed = UnigramModel(vocabulary: [("<unk>", 0), ("ab", -2), ("a", -1), ("b", -1)], unknownId: 0)
        #expect(reversed.tokenize("ab") == [1])
    }

    @Test func longerPieceWithAHigherScore_winsOverItsParts() {
        let model = UnigramModel(vocabulary: [("<unk>", 0), ("▁", -3), ("▁the", -2), ("t", -1), ("h", -1), ("e", -1)],
                                 unknownId: 0)
        #expect(model.tokenize("▁the") == [2])
        #expect(model.tokenize("▁thee") == [2, 5])
        #expect(model.id(of: "▁the") == 2)
        #expect(model.id(of: "▁th") == nil)
    }

    @Test func multiByteCharacters_areNeverCutInside() {
        // "é" is two bytes; no piece covers it, so it is one unknown token, not two.
        #expect(Self.model.tokenize("aéb") == [1, 0, 2])
        #expect(Self.model.tokenize("😀") == [0])
    }
}
