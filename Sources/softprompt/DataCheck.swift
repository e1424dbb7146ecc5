import ArgumentParser
import Foundation
import SoftPromptTasks

/// `softprompt data …`: commands on task data files.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Check GLUE/SuperGLUE data files.", subcommands: [DataCheck.self])
}

/// `softprompt data check FILE --task T`: reads one file the way training does and reports what it holds, or the
/// first bad row (file:line, field, what was expected) with a non-zero exit.
struct DataCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate one task file and print its row count and label distribution.",
        discussion: "Tasks: \(TaskDefinition.all.map(\.name).joined(separator: ", ")). "
            + "STS-B reports min/max/mean score; MultiRC reports passages, questions and answers.")

    @Argument(help: "The file, e.g. ../shared/data/glue/RTE/train.tsv or ../shared/data/superglue/MultiRC/val.jsonl.")
    var file: String

    @Option(help: "The task whose format the file is in (a name or an alias, e.g. sst-2, rte-superglue).")
    var task: String

    @Flag(help: "Print one JSON object: task, file, records, record_noun, labels (label → count), and scores / passages, questions.")
    var json = false

    func run() throws {
        guard let definition = TaskDefinition.named(task) else {
            throw TaskDataError.unknownTask(task, known: TaskDefinition.all.map(\.name))
        }
        let records = try definition.readRecords(URL(fileURLWithPath: file))
        let summary = TaskFileSummary(definition: definition, records: records)

        if json {
            var object: [String: Any] = ["task": summary.task, "file": file, "records": summary.records,
                                         "record_noun": summary.recordNoun]
            if !summary.labelCounts.isEmpty {
                object["labels"] = Dictionary(uniqueKeysWithValues: summary.labelCounts.map { ($0.label, $0.count) })
            }
            if let scores = summary.scores { object["scores"] = ["min": scores.minimum, "max": scores.maximum, "mean": scores.mean] }
            if let passages = summary.passages { object["passages"] = passages }
            if let questions = summary.questions { object["questions"] = questions }
            try printJSON(object)
            return
        }
        var counts = "\(summary.records) \(summary.recordNoun)"
        if let passages = summary.passages, let questions = summary.questions {
            counts = "\(passages) passages, \(questions) questions, " + counts
        }
        print("\(file): \(summary.task), \(counts)")
        if !summary.labelCounts.isEmpty {
            print("labels: " + summary.labelCounts.map { "\($0.label) \($0.count)" }.joined(separator: ", "))
        }
        if let scores = summary.scores {
            print(String(format: "scores: min %.3f, max %.3f, mean %.3f", scores.minimum, scores.maximum, scores.mean))
        }
    }
}
