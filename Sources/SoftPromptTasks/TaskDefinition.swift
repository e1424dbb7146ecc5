import Foundation

/// How a task's files are laid out.
public enum TaskFileFormat: Sendable {
    case glueTSV(GLUETSVFormat)
    case superGLUE(SuperGLUEFormat)
}

/// How a record becomes the input of the frozen BERT encoder (methods.md §7.2): one text, or a pair encoded as
/// BERT's two segments, or one example per candidate.
public enum BertFraming: Sendable, Equatable {
    /// text = the field.
    case single(String)
    /// text = the first field, pair = the other fields joined by a space (MultiRC: question + " " + answer).
    case pair(String, [String])
    /// COPA: one example per choice, consecutive, in the order of `choices`, all with the record's `group`:
    /// text = `premise` without its final "." plus " because" (when `question` is "cause") or " so" ("effect"),
    /// pair = the choice, label 1 on the correct choice and 0 on the other.
    case alternatives(premise: String, question: String, choices: [String])
}

/// What a T5 decoder is trained to write for a record (methods.md §2, §7.3).
public enum Verbalizer: Sendable, Equatable {
    /// The word of the record's label: `words[label]`.
    case words([String])
    /// The STS-B score rounded to one decimal (half away from zero) as text: 3.8 → "3.8", 5 → "5.0".
    case scoreToOneDecimal
}

/// An input/target pair in the text-to-text framing.
public struct TextToTextExample: Sendable, Equatable {
    public var input: String
    public var target: String
    /// The record's question, as in `TaskExample.group`.
    public var group: Int?

    public init(input: String, target: String, group: Int? = nil) {
        self.input = input
        self.target = target
        self.group = group
    }
}

/// Everything the project knows about one GLUE/SuperGLUE task: its names, its files, how to read them, the
/// label set, both framings and the metrics to report. The list is `TaskDefinition.all`.
public struct TaskDefinition: Sendable {
    /// The canonical name (`sst2`, `superglue-rte`, …).
    public let name: String
    /// Other names accepted for it (`sst-2`, `rte-superglue`, DePT's `superglue-boolq`, …).
    public let aliases: [String]
    /// The task's folder under the data root, e.g. `glue/SST-2`.
    public let folder: String
    public let trainFile: String
    public let validationFile: String
    public let format: TaskFileFormat
    public let kind: TaskKind
    /// The class names (classification), or the names of a candidate's 0/1 (candidate kinds); empty for STS-B.
    public let labels: [String]
    public let bertFraming: BertFraming
    /// The fields the text-to-text input lists, in order: `"<field>: <value> <field>: <value>"`.
    public let textToTextFields: [String]
    public let verbalizer: Verbalizer
    /// The metrics to report, the primary (model-selection) metric first (methods.md §6.12, §7.10).
    public let metrics: [String]
    /// DePT's code (src/tasks.py) lists the task among the small datasets whose validation file is halved into
    /// validation and test, whatever the training set's size (MultiRC, with 27k answers, is listed).
    public let smallInDePT: Bool
    /// What one record of the files is, for split descriptions and `data check`: "rows", "questions", "answers".
    public let recordNoun: String
    /// What a split keeps together when it is more than a record: "passage" for MultiRC.
    public let splitUnitNoun: String?

    public init(name: String, aliases: [String] = [], folder: String, trainFile: String, validationFile: String,
                format: TaskFileFormat, kind: TaskKind = .classification, labels: [String], bertFraming: BertFraming,
                textToTextFields: [String], verbalizer: Verbalizer, metrics: [String] = ["accuracy"], smallInDePT: Bool,
                recordNoun: String = "rows", splitUnitNoun: String? = nil) {
        self.name = name
        self.aliases = aliases
        self.folder = folder
        self.trainFile = trainFile
        self.validationFile = validationFile
        self.format = format
        self.kind = kind
        self.labels = labels
        self.bertFraming = bertFraming
        self.textToTextFields = textToTextFields
        self.verbalizer = verbalizer
        self.metrics = metrics
        self.smallInDePT = smallInDePT
        self.recordNoun = recordNoun
        self.splitUnitNoun = splitUnitNoun
    }

    /// Whether `name` (any case) is this task's name or one of its aliases.
    public func isNamed(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return lowered == self.name || aliases.contains(lowered)
    }

    /// The records of one file of this task.
    public func readRecords(_ url: URL) throws(TaskDataError) -> [TaskRecord] {
        switch format {
        case .glueTSV(let tsv): return try GLUETSVReader.read(url, format: tsv)
        case .superGLUE(let jsonl): return try SuperGLUEReader.read(url, format: jsonl)
        }
    }

    /// The words a record's label is verbalized as (also the names `data check` counts labels by).
    public var labelWords: [String] {
        if case .words(let words) = verbalizer { return words }
        return labels
    }

    // MARK: Framings

    /// The BERT framing of records, in order (COPA: two examples per record).
    public func examples(from records: [TaskRecord]) -> [TaskExample] {
        var examples: [TaskExample] = []
        examples.reserveCapacity(records.count)
        for record in records {
            switch bertFraming {
            case .single(let field):
                examples.append(TaskExample(text: record[field], label: record.label, score: record.score, group: record.group))
            case let .pair(field, pairFields):
                let pair = pairFields.map { record[$0] }.joined(separator: " ")
                examples.append(TaskExample(text: record[field], pair: pair, label: record.label, score: record.score,
                                            group: record.group))
            case let .alternatives(premiseField, questionField, choices):
                var premise = Substring(record[premiseField])
                if premise.hasSuffix(".") { premise = premise.dropLast() }
                let text = premise + (record[questionField] == "cause" ? " because" : " so")
                for (index, choice) in choices.enumerated() {
                    examples.append(TaskExample(text: String(text), pair: record[choice], label: index == record.label ? 1 : 0,
                                                group: record.group))
                }
            }
        }
        return examples
    }

    /// The T5 framing of a record: `"<field>: <value> <field>: <value>"` and the verbalized target. The end-of-text
    /// token is the tokenizer's business.
    public func textToText(_ record: TaskRecord) -> TextToTextExample {
        let input = textToTextFields.map { "\($0): \(record[$0])" }.joined(separator: " ")
        let target: String
        switch verbalizer {
        case .words(let words): target = words.indices.contains(record.label) ? words[record.label] : String(record.label)
        case .scoreToOneDecimal: target = Self.oneDecimal(record.score)
        }
        return TextToTextExample(input: input, target: target, group: record.group)
    }

    /// `score` rounded to one decimal as text, computed on integers so it is the same on every platform.
    static func oneDecimal(_ score: Double) -> String {
        guard score.isFinite, abs(score) < 1e15 else { return "\(score)" }
        let tenths = Int((score * 10).rounded(.toNearestOrAwayFromZero))
        let sign = tenths < 0 ? "-" : ""
        return "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }
}
