/// How a task's examples are scored and what the BERT head predicts (methods.md §7.2).
public enum TaskKind: Sendable, Equatable {
    /// One of `labels`: Linear(d, C) and softmax cross-entropy on `label`.
    case classification
    /// A real score (STS-B): Linear(d, 1) and squared error on `score`.
    case regression
    /// Each example is one candidate judged true or false on its own (WSC, MultiRC answers): Linear(d, 1), a
    /// sigmoid, and binary cross-entropy on `label` (0/1). `group` ties the answers of one question (MultiRC EM).
    case binaryCandidates
    /// The examples of one `group` (consecutive, the same count in every group) are the candidates of one
    /// question (COPA): Linear(d, 1) scores them, softmax over the group; `label` is 1 on the correct candidate.
    case multipleChoice(candidates: Int)
}

/// One example of a task, as text: a single text or a pair, and its target.
public struct TaskExample: Sendable, Equatable {
    public var text: String
    public var pair: String?
    /// Class index (classification), 0/1 (candidate kinds); 0 for regression.
    public var label: Int
    /// The regression target (STS-B similarity 0–5); 0 otherwise.
    public var score: Double
    /// The question an example belongs to for per-candidate tasks (COPA, MultiRC, WSC); nil otherwise.
    public var group: Int?

    public init(text: String, pair: String? = nil, label: Int, score: Double = 0, group: Int? = nil) {
        self.text = text
        self.pair = pair
        self.label = label
        self.score = score
        self.group = group
    }
}

/// A task's splits, ready to train on: `train` to fit, `validation` to select (best θ), `test` to report. How
/// they were made from the original files is in `split` (written to the run's metrics log).
public struct TaskData: Sendable {
    public var name: String
    public var kind: TaskKind
    public var labels: [String]
    public var train: [TaskExample]
    public var validation: [TaskExample]
    public var test: [TaskExample]
    public var split: String

    public init(name: String, kind: TaskKind = .classification, labels: [String], train: [TaskExample],
                validation: [TaskExample], test: [TaskExample], split: String) {
        self.name = name
        self.kind = kind
        self.labels = labels
        self.train = train
        self.validation = validation
        self.test = test
        self.split = split
    }

    /// The split results are reported on.
    public var dev: [TaskExample] { test }
}

public enum TaskDataError: Error, CustomStringConvertible, Equatable {
    case missingFile(String)
    case unreadable(String, String)
    case badHeader(file: String, expected: String, found: String)
    case badRow(file: String, line: Int, problem: String)
    /// One field of a row is wrong: missing, of the wrong type, an unknown label, out of range. `field` is its name
    /// in the file (a path such as `passage.questions[2].answers[0].label` for nested JSON).
    case badField(file: String, line: Int, field: String, problem: String)
    case empty(String)
    case unknownTask(String, known: [String])

    public var description: String {
        switch self {
        case .missingFile(let path): return "\(path): no such file"
        case let .unreadable(path, why): return "\(path): cannot read (\(why))"
        case let .badHeader(file, expected, found): return "\(file):1: header is \"\(found)\", expected \"\(expected)\""
        case let .badRow(file, line, problem): return "\(file):\(line): \(problem)"
        case let .badField(file, line, field, problem): return "\(file):\(line): field \"\(field)\": \(problem)"
        case .empty(let path): return "\(path): no examples"
        case let .unknownTask(name, known): return "unknown task \"\(name)\" (known: \(known.joined(separator: ", ")))"
        }
    }
}
