/// What one task file holds, as `softprompt data check` reports it: the record count, the label distribution (or
/// STS-B's score range), and for MultiRC the passages and questions.
public struct TaskFileSummary: Sendable, Equatable {
    public var task: String
    /// Records in the file: rows, examples, COPA questions, MultiRC answers (`recordNoun`).
    public var records: Int
    public var recordNoun: String
    /// Records per label word, in label order (COPA: which choice is right); empty for STS-B.
    public var labelCounts: [LabelCount]
    /// STS-B's scores; nil for other tasks.
    public var scores: ScoreRange?
    /// MultiRC's passages and questions (tasks whose splits keep units together); nil otherwise.
    public var passages: Int?
    public var questions: Int?

    public struct LabelCount: Sendable, Equatable {
        public var label: String
        public var count: Int
    }

    public struct ScoreRange: Sendable, Equatable {
        public var minimum: Double
        public var maximum: Double
        public var mean: Double
    }

    public init(definition: TaskDefinition, records: [TaskRecord]) {
        task = definition.name
        self.records = records.count
        recordNoun = definition.recordNoun
        if definition.kind == .regression {
            labelCounts = []
            let values = records.map(\.score)
            scores = values.isEmpty ? nil : ScoreRange(minimum: values.min() ?? 0, maximum: values.max() ?? 0,
                                                        mean: values.reduce(0, +) / Double(values.count))
        } else {
            let words = definition.labelWords
            var counts = [Int](repeating: 0, count: words.count)
            for record in records where counts.indices.contains(record.label) { counts[record.label] += 1 }
            labelCounts = zip(words, counts).map { LabelCount(label: $0, count: $1) }
            scores = nil
        }
        if definition.splitUnitNoun != nil {
            passages = TaskSplitter.units(of: records).count
            questions = Set(records.compactMap(\.group)).count
        }
    }
}
