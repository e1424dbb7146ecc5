import Foundation
import SoftPromptTasks
import Testing

@Suite struct TaskCatalogTests {
    @Test func theCatalogNamesTheDemoAndEveryTask() {
        #expect(TaskCatalog.names == ["demo", "sst2", "cola", "mrpc", "stsb", "rte", "qnli", "mnli", "qqp", "boolq", "cb", "copa",
                                      "wic", "wsc", "multirc", "superglue-rte"])
    }

    @Test func theDemoTaskNeedsNoFolder() throws {
        let demo = try TaskCatalog.load("demo", directory: nil, seed: 3)
        #expect(demo.train.count == 4000 && demo.test.count == 500)
    }

    @Test func anUnknownTaskAndAMissingFolderAreNamed() {
        expectError("unknown task \"wnli\" (known: \(TaskCatalog.names.joined(separator: ", ")))") {
            _ = try TaskCatalog.load("wnli", directory: nil, seed: 1)
        }
        expectError("--data DIR (the folder with cb's train.jsonl and val.jsonl): no such file") {
            _ = try TaskCatalog.load("cb", directory: nil, seed: 1)
        }
    }

    func cbFolder(validationRows: Int) throws -> TaskFiles {
        let files = try TaskFiles()
        let labels = ["entailment", "contradiction", "neutral"]
        func rows(_ count: Int, _ prefix: String) -> String {
            (0..<count).map { #"{"premise": "\#(prefix)\#($0).", "hypothesis": "H.", "label": "\#(labels[$0 % 3])", "idx": \#($0)}"# }
                .joined(separator: "\n")
        }
        try files.file("superglue/CB/train.jsonl", rows(30, "train"))
        try files.file("superglue/CB/val.jsonl", rows(validationRows, "val"))
        return files
    }

    @Test func loadSplitsFramesAndDescribesATask() throws {
        let files = try cbFolder(validationRows: 20)
        let data = try TaskCatalog.load("superglue-cb", directory: files.url, seed: 42)
        #expect(data.name == "cb" && data.kind == .classification && data.labels == ["entailment", "contradiction", "neutral"])
        #expect(data.train.count == 30 && data.validation.count == 10 && data.test.count == 10)
        #expect(data.split == "DePT split (listed small by DePT), seed 42: train.jsonl (30 examples) to train; val.jsonl (20 examples) shuffled and halved: 10 validation, 10 test")
        #expect(Set(data.validation.map(\.text)).isDisjoint(with: data.test.map(\.text)))

        let plain = try TaskCatalog.load("cb", directory: files.url, seed: 42, rule: .plain)
        #expect(plain.validation.count == 20 && plain.test == plain.validation)
    }

    @Test func theTextToTextFramingSeesTheSamePartitionAsBERT() throws {
        let files = try cbFolder(validationRows: 40)
        let bert = try TaskCatalog.load("cb", directory: files.url, seed: 9)
        let records = try TaskCatalog.loadRecords(.cb, directory: files.url, seed: 9)
        let t5 = records.test.map(TaskDefinition.cb.textToText)
        #expect(t5.map(\.input) == bert.test.map { "premise: \($0.text) hypothesis: \($0.pair ?? "")" })
        #expect(t5.map(\.target) == bert.test.map { TaskDefinition.cb.labels[$0.label] })
    }

    @Test func aTaskFolderWithOnlyItsValidationFileIsSplitFromIt() throws {
        let files = try TaskFiles()
        let rows = (0..<100).map { "\($0)\tWhat \($0)?\tThis \($0).\t\($0 % 2 == 0 ? "entailment" : "not_entailment")" }
        try files.file("dev.tsv", "index\tquestion\tsentence\tlabel\n" + rows.joined(separator: "\n") + "\n")
        let data = try TaskCatalog.load("qnli", directory: files.url, seed: 42)
        #expect(data.train.count == 70 && data.validation.count == 15 && data.test.count == 15)
        #expect(data.split.hasPrefix("only dev.tsv present (no train.tsv), seed 42:"))
    }

    @Test func aBadTrainingFileIsReportedEvenWhenTheValidationFileIsFine() throws {
        let files = try cbFolder(validationRows: 4)
        let train = try files.file("superglue/CB/train.jsonl", #"{"premise": "P.", "hypothesis": "H.", "label": "yes"}"#)
        expectError("\(train.path):1: field \"label\": \"yes\" is not one of entailment, contradiction, neutral") {
            _ = try TaskCatalog.load("cb", directory: files.url, seed: 1)
        }
    }
}
