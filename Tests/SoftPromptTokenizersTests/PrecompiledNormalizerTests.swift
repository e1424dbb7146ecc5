import Foundation
import Testing
@testable import SoftPromptTokenizers

@Suite struct PrecompiledNormalizerTests {
    /// The fixture's nmt_nfkc charsmap, T5's normalization rules.
    static let nmtNFKC: PrecompiledNormalizer? = {
        guard case .precompiled(let precompiled)? = UnigramReferenceFixture.tokenizer?.normalizer?.steps.first else {
            return nil
        }
        return precompiled
    }()

    /// A charsmap with the single rule "a" → "b", laid out by hand as SentencePiece's double array: the root
    /// unit jumps to 1, the unit at 1 ^ 0x61 has label "a", a leaf flag and jumps to the value unit, whose
    /// value is the offset of "b" in the blob.
    static func oneRuleCharsMap(blob: [UInt8] = Array("b\0".utf8)) -> [UInt8] {
        var units = [UInt32](repeating: 0, count: 128)
        units[0] = 1 << 10                              // offset 1
        units[1 ^ 0x61] = 1 << 10 | 1 << 8 | 0x61       // offset 1, has leaf, label "a"
        units[(1 ^ 0x61) ^ 1] = 1 << 31 | 0             // value 0
        var bytes = withUnsafeBytes(of: UInt32(units.count * 4).littleEndian, Array.init)
        for unit in units { bytes += withUnsafeBytes(of: unit.littleEndian, Array.init) }
        return bytes + blob
    }

    // MARK: Against HF

    @Test(arguments: UnigramReferenceFixture.cases.filter { $0.normalized != nil })
    func handPickedCase_normalizesAsHuggingFaceDoes(_ reference: UnigramReferenceFixture.Case) throws {
        let normalizer = try #require(UnigramReferenceFixture.tokenizer?.normalizer)
        let normalized = normalizer.normalize(reference.text)
        #expect(Array(normalized.unicodeScalars) == Array(try #require(reference.normalized).unicodeScalars))
    }

    // MARK: T5's rules, as HF applies them (values checked against HF `tokenizers`)

    @Test func compatibilityCharacters_becomeTheirNFKCForm() throws {
        let normalizer = try #require(Self.nmtNFKC)
        #expect(normalizer.normalize("ＡＢＣ１２３") == "ABC123")
        #expect(normalizer.normalize("½") == "1\u{2044}2")
        #expect(normalizer.normalize("\u{2474}") == "(1)")
        #expect(Array(normalizer.normalize("\u{A8}").unicodeScalars) == [" ", "\u{308}"])
    }

    @Test func combiningSequences_compose() throws {
        let normalizer = try #require(Self.nmtNFKC)
        #expect(Array(normalizer.normalize("e\u{301}").unicodeScalars) == ["\u{E9}"])
        #expect(Array(normalizer.normalize("A\u{30A}").unicodeScalars) == ["\u{C5}"])
    }

    @Test func aClusterWithARule_isReplacedWholeByItsShortestRule() throws {
        let normalizer = try #require(Self.nmtNFKC)
        // "ﬁ" has a rule, so the accent that shares its cluster disappears with it.
        #expect(normalizer.normalize("\u{FB01}\u{301}") == "fi")
        // "e" + U+0301 has a rule; the second accent in the cluster goes too.
        #expect(Array(normalizer.normalize("e\u{301}\u{301}").unicodeScalars) == ["\u{E9}"])
        // CR LF is one cluster; its shortest rule ("\r" → " ") replaces both.
        #expect(normalizer.normalize("a\r\nb") == "a b")
    }

    @Test func aClusterOfSixBytesOrMore_isNormalizedScalarByScalar() throws {
        let normalizer = try #require(Self.nmtNFKC)
        let long = "a\u{301}\u{301}\u{301}"  // 7 bytes: no whole-cluster lookup, and no scalar has a rule
        #expect(Array(normalizer.normalize(long).unicodeScalars) == Array(long.unicodeScalars))
    }

    @Test func spacesControlsAndMetaSpace_followTheRules() throws {
        let normalizer = try #require(Self.nmtNFKC)
        #expect(normalizer.normalize("zero\u{200B}width") == "zero width")
        #expect(normalizer.normalize("a\u{1}b") == "ab")
        #expect(normalizer.normalize("x\u{2581}y") == "x y")
        #expect(normalizer.normalize("\t\u{3000}") == "  ")
        #expect(normalizer.normalize("plain ascii text.") == "plain ascii text.")
        #expect(normalizer.normalize("") == "")
    }

    // MARK: The binary format

    @Test func handBuiltCharsMap_appliesItsRule() throws {
        let normalizer = PrecompiledNormalizer(charsMap: try PrecompiledCharsMap(Self.oneRuleCharsMap()))
        #expect(normalizer.normalize("cat") == "cbt")   // the ASCII fast path
        #expect(normalizer.normalize("a日a") == "b日b")  // clusters found by Swift's grapheme breaking
        #expect(normalizer.normalize("a\u{301}x") == "bx")  // the rule for "a" replaces the cluster "á"
        #expect(normalizer.normalize("xyz") == "xyz")
    }

    @Test func ruleWithAnEmptyReplacement_deletes() throws {
        let normalizer = PrecompiledNormalizer(charsMap: try PrecompiledCharsMap(Self.oneRuleCharsMap(blob: [0])))
        #expect(normalizer.normalize("banana") == "bnn")
    }

    @Test func malformedCharsMaps_areRefused() {
        #expect(throws: PrecompiledCharsMap.FormatError.tooShort(byteCount: 3, trieByteCount: 0)) {
            try PrecompiledCharsMap([1, 2, 3])
        }
        #expect(throws: PrecompiledCharsMap.FormatError.tooShort(byteCount: 8, trieByteCount: 400)) {
            try PrecompiledCharsMap([144, 1, 0, 0, 0, 0, 0, 0])
        }
        #expect(throws: PrecompiledCharsMap.FormatError.replacementsNotUTF8) {
            try PrecompiledCharsMap(Self.oneRuleCharsMap(blob: [0xFF, 0]))
        }
    }

    @Test func garbageTrieUnits_neverCrashTheNormalizer() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt32 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt32(truncatingIfNeeded: state >> 29)
        }
        let texts = ["hello world", "a\u{301}\u{302} 日本 😀 ﬁ\u{301}", "\r\n\t\u{0}x", ""]
        for unitCount in [0, 1, 2, 7, 64, 300] {
            var bytes = withUnsafeBytes(of: UInt32(unitCount * 4).littleEndian, Array.init)
            for _ in 0..<unitCount { bytes += withUnsafeBytes(of: next().littleEndian, Array.init) }
            bytes += Array("xyz\0é\0".utf8)
            let normalizer = PrecompiledNormalizer(charsMap: try PrecompiledCharsMap(bytes))
            for text in texts {
                var output: [UInt8] = []
                normalizer.normalize(text, appendingTo: &output)
                #expect(String(validating: output, as: UTF8.self) != nil, "replacements must start on a character")
            }
        }
    }
}
