import Testing
@testable import SoftPromptTokenizers

/// WhitespaceSplit and Metaspace, alone and in T5's order, and the Metaspace decoder.
@Suite struct UnigramPreTokenizerTests {
    static let t5 = UnigramPreTokenizer(steps: [.whitespaceSplit, .metaspace(MetaspacePreTokenizer())])

    static func metaspace(_ scheme: MetaspacePreTokenizer.PrependScheme, split: Bool = true) -> UnigramPreTokenizer {
        UnigramPreTokenizer(steps: [.metaspace(MetaspacePreTokenizer(prependScheme: scheme, split: split))])
    }

    @Test(arguments: UnigramReferenceFixture.cases.filter { $0.preTokenized != nil })
    func handPickedCase_preTokenizesAsHuggingFaceDoes(_ reference: UnigramReferenceFixture.Case) throws {
        let preTokenizer = try #require(UnigramReferenceFixture.tokenizer?.preTokenizer)
        #expect(preTokenizer.preTokenize(try #require(reference.normalized)) == reference.preTokenized)
    }

    @Test func t5Order_dropsWhitespaceThenMarksEveryWord() {
        #expect(Self.t5.preTokenize("Hey  my\tfriend!") == ["▁Hey", "▁my", "▁friend!"])
        #expect(Self.t5.preTokenize("a\u{3000}b\u{A0}c") == ["▁a", "▁b", "▁c"])
        #expect(Self.t5.preTokenize(" \n ") == [])
    }

    @Test func metaspaceAlone_turnsEachSpaceIntoAWordStart() {
        #expect(Self.metaspace(.always).preTokenize("Hey   friend!") == ["▁Hey", "▁", "▁", "▁friend!"])
        #expect(Self.metaspace(.always).preTokenize(" ") == ["▁"])
        #expect(Self.metaspace(.always).preTokenize("a▁") == ["▁a", "▁"])
    }

    @Test func textThatStartsWithTheReplacement_getsNoSecondOne() {
        #expect(Self.metaspace(.always).preTokenize("▁▁a") == ["▁", "▁a"])
        #expect(Self.t5.preTokenize("x ▁y") == ["▁x", "▁y"])
    }

    @Test func prependScheme_decidesWhoGetsALeadingReplacement() {
        #expect(Self.metaspace(.never).preTokenize("a b") == ["a", "▁b"])
        #expect(Self.metaspace(.first).preTokenize("a b") == ["▁a", "▁b"])
        let firstAfterSplit = UnigramPreTokenizer(steps: [.whitespaceSplit,
                                                          .metaspace(MetaspacePreTokenizer(prependScheme: .first))])
        #expect(firstAfterSplit.preTokenize("a b") == ["▁a", "b"])
        #expect(firstAfterSplit.preTokenize("  a b") == ["a", "b"])  // the first word does not start the input
    }

    @Test func splitFalse_keepsOneWord() {
        #expect(Self.metaspace(.always, split: false).preTokenize("Hey my friend") == ["▁Hey▁my▁friend"])
    }

    @Test func otherReplacement_isUsedEverywhere() {
        let underscore = UnigramPreTokenizer(steps: [.metaspace(MetaspacePreTokenizer(replacement: "_"))])
        #expect(underscore.preTokenize("a b__c") == ["_a", "_b", "_", "_c"])
    }

    @Test func decoder_turnsReplacementsIntoSpacesButDropsThoseOfTheFirstToken() {
        let decoder = MetaspaceDecoder()
        #expect(decoder.decode(["▁Hey", "▁friend", "!"]) == "Hey friend!")
        #expect(decoder.decode(["▁▁a", "▁▁b"]) == "a  b")
        #expect(decoder.decode([]) == "")
        #expect(MetaspaceDecoder(prependScheme: .never).decode(["▁Hey", "▁you"]) == " Hey you")
    }
}
