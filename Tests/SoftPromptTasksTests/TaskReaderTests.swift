import Foundation
import SoftPromptTasks
import SoftPromptTestSupport
import Testing

@Suite struct SST2ReaderTests {
    func file(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sst2-\(UUID().uuidString).tsv")
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test func rowsAreReadWithQuotesKeptAsText() throws {
        let examples = try SST2Reader.read(try file("sentence\tlabel\nit 's \"fine\" \t1\nbad .\t0\n"))
        #expect(examples == [TaskExample(text: "it 's \"fine\" ", label: 1), TaskExample(text: "bad .", label: 0)])
    }

    @Test func aBadRowIsNamedByFileAndLine() throws {
        let url = try file("sentence\tlabel\ngood\t1\nno label here\n")
        #expect { try SST2Reader.read(url) } throws: { "\($0)" == "\(url.path):3: expected 2 tab-separated fields (sentence, label), found 1" }
        let badLabel = try file("sentence\tlabel\ngood\t2\n")
        #expect { try SST2Reader.read(badLabel) } throws: { "\($0)".hasSuffix(":2: label \"2\" is not 0 or 1") }
    }

    @Test func aWrongHeaderAndAMissingFileAreNamed() throws {
        let url = try file("text\tlabel\ngood\t1\n")
        #expect { try SST2Reader.read(url) } throws: { "\($0)".contains(":1: header is \"text\tlabel\"") }
        #expect(throws: TaskDataError.missingFile("/no/such/train.tsv")) { try SST2Reader.read(URL(fileURLWithPath: "/no/such/train.tsv")) }
    }

    @Test(.enabled(if: sharedDataDirectory() != nil, "../shared/data is absent"))
    func theSharedSST2FilesHaveTheirOfficialCountsAndLabels() throws {
        let data = try SST2Reader.load(directory: sharedDataDirectory()!.appendingPathComponent("glue/SST-2"))
        #expect(data.train.count == 67_349 && data.dev.count == 872)
        #expect(data.train.filter { $0.label == 1 }.count == 37_569)
        #expect(data.dev.filter { $0.label == 1 }.count == 444)
    }
}

@Suite struct DemoTaskTests {
    @Test func theSameSeedGivesTheSameReviews() {
        #expect(DemoTask.examples(count: 50, seed: 9) == DemoTask.examples(count: 50, seed: 9))
        #expect(DemoTask.examples(count: 50, seed: 9) != DemoTask.examples(count: 50, seed: 10))
    }

    @Test func labelsAreRoughlyBalancedAndFollowTheOpinionWords() {
        let examples = DemoTask.examples(count: 2000, seed: 1)
        let positive = Double(examples.filter { $0.label == 1 }.count) / 2000
        #expect(positive > 0.4 && positive < 0.6)
        let simple = DemoTask.examples(count: 2000, seed: 1).filter { !$0.text.contains(" not ") && !$0.text.contains(" so I ") }
        for e in simple where e.text.split(separator: " ").count < 8 {
            let words = Set(e.text.lowercased().split(whereSeparator: { !$0.isLetter }).map(String.init))
            if words.contains("great") && !words.contains(where: { ["dull", "boring", "awful"].contains($0) }) {
                #expect(e.label == 1, "\(e.text)")
            }
        }
    }
}
