import Foundation
import SoftPromptTasks
import SoftPromptTestSupport
import Testing

/// The real GLUE/SuperGLUE files in ../shared/data: counts and label distributions from its MANIFEST.md.
@Suite(.enabled(if: sharedDataDirectory() != nil, "../shared/data is absent"))
struct SharedDataTests {
    struct ManifestEntry: CustomStringConvertible, Sendable {
        var task: String
        var file: String
        var records: Int
        /// Records per label word, in label order.
        var labels: [Int]

        var description: String { file }
    }

    static let manifest = [
        ManifestEntry(task: "sst2", file: "glue/SST-2/train.tsv", records: 67_349, labels: [29_780, 37_569]),
        ManifestEntry(task: "sst2", file: "glue/SST-2/dev.tsv", records: 872, labels: [428, 444]),
        ManifestEntry(task: "cola", file: "glue/CoLA/train.tsv", records: 8_551, labels: [2_528, 6_023]),
        ManifestEntry(task: "cola", file: "glue/CoLA/dev.tsv", records: 1_043, labels: [322, 721]),
        ManifestEntry(task: "mrpc", file: "glue/MRPC/train.tsv", records: 3_668, labels: [1_194, 2_474]),
        ManifestEntry(task: "mrpc", file: "glue/MRPC/dev.tsv", records: 408, labels: [129, 279]),
        ManifestEntry(task: "rte", file: "glue/RTE/train.tsv", records: 2_490, labels: [1_249, 1_241]),
        ManifestEntry(task: "rte", file: "glue/RTE/dev.tsv", records: 277, labels: [146, 131]),
        ManifestEntry(task: "qnli", file: "glue/QNLI/dev.tsv", records: 5_463, labels: [2_702, 2_761]),
        ManifestEntry(task: "boolq", file: "superglue/BoolQ/val.jsonl", records: 3_270, labels: [1_237, 2_033]),
        ManifestEntry(task: "cb", file: "superglue/CB/train.jsonl", records: 250, labels: [115, 119, 16]),
        ManifestEntry(task: "cb", file: "superglue/CB/val.jsonl", records: 56, labels: [23, 28, 5]),
        ManifestEntry(task: "copa", file: "superglue/COPA/train.jsonl", records: 400, labels: [195, 205]),
        ManifestEntry(task: "copa", file: "superglue/COPA/val.jsonl", records: 100, labels: [55, 45]),
        ManifestEntry(task: "wic", file: "superglue/WiC/train.jsonl", records: 5_428, labels: [2_714, 2_714]),
        ManifestEntry(task: "wic", file: "superglue/WiC/val.jsonl", records: 638, labels: [319, 319]),
        ManifestEntry(task: "superglue-rte", file: "superglue/RTE/train.jsonl", records: 2_490, labels: [1_249, 1_241]),
        ManifestEntry(task: "superglue-rte", file: "superglue/RTE/val.jsonl", records: 277, labels: [146, 131]),
        ManifestEntry(task: "wsc", file: "superglue/WSC/train.jsonl", records: 554, labels: [295, 259]),
        ManifestEntry(task: "wsc", file: "superglue/WSC/val.jsonl", records: 104, labels: [66, 38]),
        ManifestEntry(task: "multirc", file: "superglue/MultiRC/train.jsonl", records: 27_243, labels: [15_218, 12_025]),
        ManifestEntry(task: "multirc", file: "superglue/MultiRC/val.jsonl", records: 4_848, labels: [2_773, 2_075]),
    ]

    static var root: URL { sharedDataDirectory() ?? URL(fileURLWithPath: "/nonexistent") }

    func summary(_ task: String, _ file: String) throws -> TaskFileSummary {
        let definition = try #require(TaskDefinition.named(task))
        return TaskFileSummary(definition: definition, records: try definition.readRecords(Self.root.appendingPathComponent(file)))
    }

    @Test(arguments: manifest)
    func everySharedFileHasItsManifestCountsAndLabels(_ entry: ManifestEntry) throws {
        let summary = try summary(entry.task, entry.file)
        #expect(summary.records == entry.records)
        #expect(summary.labelCounts.map(\.count) == entry.labels)
    }

    @Test func stsbScoresRunFromZeroToFiveWithTheManifestMeans() throws {
        for (file, records, mean) in [("glue/STS-B/train.tsv", 5_749, 2.70), ("glue/STS-B/dev.tsv", 1_500, 2.36)] {
            let summary = try summary("stsb", file)
            let scores = try #require(summary.scores)
            #expect(summary.records == records && scores.minimum == 0 && scores.maximum == 5)
            #expect(abs(scores.mean - mean) < 0.005, "\(file) mean \(scores.mean)")
        }
    }

    @Test func multircCountsPassagesQuestionsAndAnswers() throws {
        let train = try summary("multirc", "superglue/MultiRC/train.jsonl")
        #expect(train.passages == 456 && train.questions == 5_131 && train.records == 27_243)
        let validation = try summary("multirc", "superglue/MultiRC/val.jsonl")
        #expect(validation.passages == 83 && validation.questions == 953 && validation.records == 4_848)
    }

    @Test func everyWSCExampleGetsBothMarkers() throws {
        for file in ["superglue/WSC/train.jsonl", "superglue/WSC/val.jsonl"] {
            for record in try TaskDefinition.wsc.readRecords(Self.root.appendingPathComponent(file)) {
                let words = record["text"].split(separator: " ")
                #expect(words.filter { $0 == "*" }.count == 2 && words.filter { $0 == "#" }.count == 2, "\(record["text"])")
            }
        }
    }

    /// Every shared task under the default (DePT) rule with seed 42; counts are examples after framing (COPA: two per
    /// question).
    @Test func eachSharedTaskGetsItsDefaultSplit() throws {
        let expected: [(task: String, train: Int, validation: Int, test: Int)] = [
            ("sst2", 66_349, 1_000, 872), ("cola", 8_551, 521, 522), ("mrpc", 3_668, 204, 204), ("stsb", 5_749, 750, 750),
            ("rte", 2_490, 138, 139), ("qnli", 3_825, 819, 819), ("boolq", 2_290, 490, 490), ("cb", 250, 28, 28),
            ("copa", 800, 100, 100), ("wic", 5_428, 319, 319), ("wsc", 554, 52, 52), ("superglue-rte", 2_490, 138, 139),
        ]
        for row in expected {
            let data = try TaskCatalog.load(row.task, directory: Self.root, seed: 42)
            #expect(data.train.count == row.train && data.validation.count == row.validation && data.test.count == row.test,
                    "\(row.task): \(data.split)")
            #expect(data.dev == data.test)
        }
        let multirc = try TaskCatalog.load("multirc", directory: Self.root, seed: 42)
        #expect(multirc.train.count == 27_243 && multirc.validation.count >= 2_424 && multirc.validation.count + multirc.test.count == 4_848)
    }

    @Test func theDataRootTheBenchmarkFolderAndTheTaskFolderAllWork() throws {
        let fromRoot = try TaskCatalog.load("rte", directory: Self.root, seed: 1)
        let fromBenchmark = try TaskCatalog.load("rte", directory: Self.root.appendingPathComponent("glue"), seed: 1)
        let fromTask = try TaskCatalog.load("rte", directory: Self.root.appendingPathComponent("glue/RTE"), seed: 1)
        #expect(fromRoot.test == fromBenchmark.test && fromBenchmark.test == fromTask.test)
        let superglue = try TaskCatalog.load("rte-superglue", directory: Self.root, seed: 1)
        #expect(superglue.name == "superglue-rte" && superglue.train.count == 2_490)
    }

    @Test func tasksWithoutSharedFilesSayWhichFileIsMissing() {
        expectError("\(Self.root.path)/dev_matched.tsv: no such file") {
            _ = try TaskCatalog.load("mnli", directory: Self.root, seed: 1)
        }
    }

    @Test func theDePTSizeRuleAgreesWithDePTsListsExceptForMultiRC() throws {
        for entry in Self.manifest where entry.file.hasSuffix("/train.tsv") || entry.file.hasSuffix("/train.jsonl") {
            let task = try #require(TaskDefinition.named(entry.task))
            let small = entry.records < TaskSplitter.smallTrainingSetLimit
            #expect(task.smallInDePT == (small || task.name == "multirc"), "\(task.name)")  // MultiRC: 27k answers, listed small
        }
    }
}
