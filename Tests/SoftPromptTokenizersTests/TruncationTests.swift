import Testing
import SoftPromptTokenizers

@Suite struct TruncationTests {
    /// HF tokenizers' own table (utils/truncation.rs, truncate_encodings_longest_first, max_length 7), with
    /// sequences of 0, 2, 4 and 8 tokens.
    @Test(arguments: [
        (0, 0, 0, 0), (0, 2, 0, 2), (0, 4, 0, 4), (0, 8, 0, 7),
        (2, 0, 2, 0), (2, 2, 2, 2), (2, 4, 2, 4), (2, 8, 2, 5),
        (4, 0, 4, 0), (4, 2, 4, 2), (4, 4, 3, 4), (4, 8, 3, 4),
        (8, 0, 7, 0), (8, 2, 5, 2), (8, 4, 4, 3), (8, 8, 3, 4),
    ])
    func longestFirst_keepsWhatHuggingFaceKeeps(_ lengths: (Int, Int, Int, Int)) {
        let kept = Truncation.longestFirst(first: lengths.0, second: lengths.1, maxLength: 7)
        #expect(kept.first == lengths.2)
        #expect(kept.second == lengths.3)
    }

    @Test func zeroBudget_emptiesBothSequences() {
        let kept = Truncation.longestFirst(first: 4, second: 4, maxLength: 0)
        #expect(kept.first == 0 && kept.second == 0)
        let negative = Truncation.longestFirst(first: 4, second: nil, maxLength: -3)
        #expect(negative.first == 0 && negative.second == nil)
    }

    @Test func singleSequence_isCutToTheBudget() {
        #expect(Truncation.longestFirst(first: 10, second: nil, maxLength: 4).first == 4)
        #expect(Truncation.longestFirst(first: 3, second: nil, maxLength: 4).first == 3)
    }
}
