/// The metrics each task reports (methods.md §6.12, §7.10), computed from the head's per-example outputs.
///
/// Names: `accuracy`, `f1` (binary, positive class 1), `mcc`, `pearson`, `spearman`, `macro_f1`, `f1a` (MultiRC:
/// binary F1 over all answers), `em` (MultiRC: questions with every answer right). The first metric of a task is
/// its primary one, the one model selection uses. Every metric of an empty split is 0.
public enum TaskMetrics {
    /// The metric names for `taskName` (canonical or alias), primary first; for a task not in `TaskDefinition.all`
    /// (the demo task), accuracy, or Pearson and Spearman for regression.
    public static func metricNames(taskName: String, kind: TaskKind) -> [String] {
        if let definition = TaskDefinition.named(taskName) { return definition.metrics }
        return kind == .regression ? ["pearson", "spearman"] : ["accuracy"]
    }

    /// The task's metrics, primary first. `outputs[i]` belongs to `examples[i]`: the predicted class index
    /// (classification), the predicted score (regression), the predicted 0/1 (binary candidates; ≥ 0.5 counts as 1),
    /// the candidate's score (multiple choice: the candidate with the highest score in its group is the answer, the
    /// first one on a tie; accuracy counts questions).
    public static func compute(kind: TaskKind, taskName: String, examples: [TaskExample],
                               outputs: [Double]) -> [(name: String, value: Double)] {
        precondition(outputs.count == examples.count, "\(outputs.count) outputs for \(examples.count) examples")
        let labels = examples.map(\.label)
        let predictions: [Int]
        var questionAccuracy: Double?
        switch kind {
        case .classification:
            predictions = outputs.map(classIndex)
        case .regression:
            predictions = outputs.map(classIndex)  // only read if a regression task asks for a class metric
        case .binaryCandidates:
            predictions = outputs.map { $0 >= 0.5 ? 1 : 0 }
        case .multipleChoice(let candidates):
            let choice = chosenCandidates(examples: examples, scores: outputs, candidates: candidates)
            predictions = choice.predictions
            questionAccuracy = choice.accuracy
        }

        let classes = max(TaskDefinition.named(taskName)?.labels.count ?? 0, (labels.max() ?? -1) + 1)
        return metricNames(taskName: taskName, kind: kind).map { name in
            let value: Double
            switch name {
            case "pearson": value = pearsonCorrelation(outputs, examples.map(\.score))
            case "spearman": value = spearmanCorrelation(outputs, examples.map(\.score))
            case "mcc": value = matthewsCorrelation(predictions: predictions, labels: labels)
            case "f1", "f1a": value = binaryF1(predictions: predictions, labels: labels)
            case "macro_f1": value = macroF1(predictions: predictions, labels: labels, classes: classes)
            case "em": value = exactMatch(predictions: predictions, labels: labels, groups: examples.map(\.group))
            default: value = questionAccuracy ?? accuracy(predictions: predictions, labels: labels)
            }
            return (name, value)
        }
    }

    /// The same metrics for the majority predictor, a floor for reports: the most frequent training class (the
    /// lowest index on a tie) for classification and binary candidates, the training mean for regression (whose
    /// Pearson and Spearman are then 0: a constant has no correlation, see `pearsonCorrelation`), and for multiple
    /// choice the candidate position most often right in training.
    public static func majorityBaseline(train: [TaskExample], test: [TaskExample], kind: TaskKind,
                                        taskName: String) -> [(name: String, value: Double)] {
        let outputs: [Double]
        switch kind {
        case .classification, .binaryCandidates:
            var counts: [Int: Int] = [:]
            for example in train { counts[example.label, default: 0] += 1 }
            let majority = counts.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }?.key ?? 0
            outputs = [Double](repeating: Double(majority), count: test.count)
        case .regression:
            let mean = train.isEmpty ? 0 : train.map(\.score).reduce(0, +) / Double(train.count)
            outputs = [Double](repeating: mean, count: test.count)
        case .multipleChoice(let candidates):
            var rightAt: [Int: Int] = [:]
            for question in questions(train, candidates: candidates) {
                if let position = question.firstIndex(where: { train[$0].label == 1 }).map({ $0 - question.lowerBound }) {
                    rightAt[position, default: 0] += 1
                }
            }
            let majority = rightAt.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }?.key ?? 0
            var scores = [Double](repeating: 0, count: test.count)
            for question in questions(test, candidates: candidates) where majority < question.count {
                scores[question.lowerBound + majority] = 1
            }
            outputs = scores
        }
        return compute(kind: kind, taskName: taskName, examples: test, outputs: outputs)
    }

    // MARK: Helpers

    /// A class index from an output; -1 (never a label) for NaN or a value no class has.
    static func classIndex(_ output: Double) -> Int {
        guard output.isFinite, abs(output) < 1e9 else { return -1 }
        return Int(output.rounded())
    }

    /// The questions of a multiple-choice split: runs of consecutive examples with the same `group`; examples
    /// without a group are taken `candidates` at a time.
    static func questions(_ examples: [TaskExample], candidates: Int) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start = 0
        while start < examples.count {
            var end = start + 1
            if let group = examples[start].group {
                while end < examples.count, examples[end].group == group { end += 1 }
            } else {
                end = min(examples.count, start + max(candidates, 1))
            }
            result.append(start..<end)
            start = end
        }
        return result
    }

    /// Per candidate, 1 for the highest-scored candidate of its question and 0 for the others; and the fraction of
    /// questions whose chosen candidate is labelled 1.
    static func chosenCandidates(examples: [TaskExample], scores: [Double],
                                 candidates: Int) -> (predictions: [Int], accuracy: Double) {
        var predictions = [Int](repeating: 0, count: examples.count)
        let questions = questions(examples, candidates: candidates)
        var right = 0
        for question in questions {
            var best = question.lowerBound
            for i in question where scores[i] > scores[best] || (scores[best].isNaN && !scores[i].isNaN) { best = i }
            predictions[best] = 1
            if examples[best].label == 1 { right += 1 }
        }
        return (predictions, questions.isEmpty ? 0 : Double(right) / Double(questions.count))
    }
}
