import Foundation
import SoftPromptTasks
import Testing

/// Fixtures/metrics_reference.json, written by Tests/Fixtures/reference_metrics.py with scikit-learn and scipy.
struct MetricsReference: Decodable {
    struct Case: Decodable, CustomStringConvertible {
        var metric: String
        var note: String
        var expected: Double
        var labels: [Int]?
        var predictions: [Double]
        var targets: [Double]?
        var groups: [Int]?
        var classes: Int?

        var description: String { "\(metric): \(note)" }
    }

    var cases: [Case]

    static func load() throws -> MetricsReference {
        guard let url = Bundle.module.url(forResource: "metrics_reference", withExtension: "json", subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try JSONDecoder().decode(MetricsReference.self, from: Data(contentsOf: url))
    }
}

@Suite struct TaskMetricsTests {
    static let reference = (try? MetricsReference.load())?.cases ?? []

    @Test func theReferenceFileHasCasesForEveryMetric() {
        #expect(Set(Self.reference.map(\.metric)) == ["accuracy", "f1", "mcc", "macro_f1", "pearson", "spearman", "f1a", "em"])
    }

    @Test(arguments: reference)
    func everyMetricMatchesScikitLearnAndScipy(_ reference: MetricsReference.Case) {
        let predictions = reference.predictions.map { Int($0) }
        let labels = reference.labels ?? []
        let value: Double
        switch reference.metric {
        case "accuracy": value = accuracy(predictions: predictions, labels: labels)
        case "f1", "f1a": value = TaskMetrics.binaryF1(predictions: predictions, labels: labels)
        case "mcc": value = TaskMetrics.matthewsCorrelation(predictions: predictions, labels: labels)
        case "macro_f1": value = TaskMetrics.macroF1(predictions: predictions, labels: labels, classes: reference.classes ?? 0)
        case "pearson": value = TaskMetrics.pearsonCorrelation(reference.predictions, reference.targets ?? [])
        case "spearman": value = TaskMetrics.spearmanCorrelation(reference.predictions, reference.targets ?? [])
        case "em": value = TaskMetrics.exactMatch(predictions: predictions, labels: labels, groups: (reference.groups ?? []).map { $0 })
        default: Issue.record("unknown metric \(reference.metric)"); return
        }
        #expect(abs(value - reference.expected) <= 1e-12, "\(reference): \(value) vs \(reference.expected)")
    }

    @Test func smallCasesCheckedByHand() {
        // TP 2, FP 1, FN 1: F1 = 4 / 6.
        #expect(TaskMetrics.binaryF1(predictions: [1, 1, 1, 0, 0], labels: [1, 1, 0, 1, 0]) == 4.0 / 6)
        // TP 2, TN 1, FP 1, FN 1: MCC = (2·1 − 1·1) / √(3·3·2·2) = 1/6.
        #expect(abs(TaskMetrics.matthewsCorrelation(predictions: [1, 1, 1, 0, 0], labels: [1, 1, 0, 1, 0]) - 1.0 / 6) < 1e-15)
        #expect(TaskMetrics.matthewsCorrelation(predictions: [0, 1, 0, 1], labels: [1, 0, 1, 0]) == -1)
        // Class F1s 1, 2/3, 0 (class 2 never occurs): macro 5/9.
        #expect(abs(TaskMetrics.macroF1(predictions: [0, 1, 1], labels: [0, 1, 2], classes: 3) - (1 + 2.0 / 3 + 0) / 3) < 1e-15)
        #expect(TaskMetrics.averageRanks([10, 20, 20, 30, 20]) == [1, 3, 3, 5, 3])
        #expect(TaskMetrics.pearsonCorrelation([1, 2, 3], [2, 4, 6]) == 1)
        // Ranks (1, 2.5, 2.5, 4) against (1, 2, 3, 4): Pearson = 4.5 / √(4.5·5).
        #expect(abs(TaskMetrics.spearmanCorrelation([1, 2, 2, 3], [5, 6, 7, 8]) - 4.5 / (4.5 * 5).squareRoot()) < 1e-15)
        // Question 7: all right; question 8: one answer wrong; an ungrouped example, right.
        #expect(TaskMetrics.exactMatch(predictions: [1, 0, 1, 1, 0], labels: [1, 0, 1, 0, 0], groups: [7, 7, 8, 8, nil]) == 2.0 / 3)
    }

    @Test func degenerateInputsGiveZeroNotNaN() {
        #expect(TaskMetrics.pearsonCorrelation([], []) == 0)
        #expect(TaskMetrics.pearsonCorrelation([2, 2, 2], [1, 2, 3]) == 0)
        #expect(TaskMetrics.pearsonCorrelation([1, .nan, 3], [1, 2, 3]) == 0)
        #expect(TaskMetrics.spearmanCorrelation([4, 4], [1, 2]) == 0)
        #expect(TaskMetrics.matthewsCorrelation(predictions: [1, 1, 1], labels: [0, 1, 1]) == 0)
        #expect(TaskMetrics.matthewsCorrelation(predictions: [], labels: []) == 0)
        #expect(TaskMetrics.binaryF1(predictions: [0, 0], labels: [0, 0]) == 0)
        #expect(TaskMetrics.macroF1(predictions: [], labels: [], classes: 3) == 0)
        #expect(TaskMetrics.exactMatch(predictions: [], labels: [], groups: []) == 0)
        for task in TaskDefinition.all {
            for metric in TaskMetrics.compute(kind: task.kind, taskName: task.name, examples: [], outputs: []) {
                #expect(metric.value == 0, "\(task.name) \(metric.name) of nothing")
            }
        }
    }

    @Test func eachTaskReportsItsMetricsPrimaryFirst() {
        let expected: [String: [String]] = [
            "cola": ["mcc"], "stsb": ["pearson", "spearman"], "mrpc": ["f1", "accuracy"], "qqp": ["f1", "accuracy"],
            "cb": ["macro_f1", "accuracy"], "multirc": ["f1a", "em"],
        ]
        for task in TaskDefinition.all {
            #expect(TaskMetrics.metricNames(taskName: task.name, kind: task.kind) == expected[task.name] ?? ["accuracy"], "\(task.name)")
        }
        #expect(TaskMetrics.metricNames(taskName: "STS-B", kind: .regression) == ["pearson", "spearman"])
        #expect(TaskMetrics.metricNames(taskName: "demo", kind: .classification) == ["accuracy"])
    }

    @Test func computeReadsEachKindsOutputs() {
        let pairs = [TaskExample(text: "a", label: 1), TaskExample(text: "b", label: 0), TaskExample(text: "c", label: 1)]
        let mrpc = TaskMetrics.compute(kind: .classification, taskName: "mrpc", examples: pairs, outputs: [1, 1, 0])
        #expect(mrpc.map(\.name) == ["f1", "accuracy"] && mrpc[0].value == 0.5 && mrpc[1].value == 1.0 / 3)

        let scored = [0.0, 1, 2, 3].map { TaskExample(text: "s", label: 0, score: $0) }
        let stsb = TaskMetrics.compute(kind: .regression, taskName: "stsb", examples: scored, outputs: [0.1, 0.9, 2.5, 2.4])
        #expect(abs(stsb[0].value - TaskMetrics.pearsonCorrelation([0.1, 0.9, 2.5, 2.4], [0, 1, 2, 3])) < 1e-15)
        #expect(abs(stsb[1].value - 0.8) < 1e-15)  // rank differences (0, 0, 1, −1): 1 − 6·2 / (4·15)

        // COPA: the higher-scored candidate of each question is the answer.
        let copa = [TaskExample(text: "p", label: 1, group: 0), TaskExample(text: "p", label: 0, group: 0),
                    TaskExample(text: "q", label: 0, group: 1), TaskExample(text: "q", label: 1, group: 1)]
        #expect(TaskMetrics.compute(kind: .multipleChoice(candidates: 2), taskName: "copa", examples: copa,
                                    outputs: [0.3, -1, 2, 1])[0].value == 0.5)

        // MultiRC: outputs are 0/1 per answer.
        let answers = [1, 0, 1, 1].enumerated().map { TaskExample(text: "p", label: $1, group: $0 / 2) }
        let multirc = TaskMetrics.compute(kind: .binaryCandidates, taskName: "multirc", examples: answers, outputs: [1, 0, 1, 0])
        #expect(multirc.map(\.name) == ["f1a", "em"] && multirc[0].value == 0.8 && multirc[1].value == 0.5)

        // A NaN or absurd class output is simply wrong, never a crash.
        #expect(TaskMetrics.compute(kind: .classification, taskName: "rte", examples: pairs, outputs: [.nan, 1e300, 1])[0].value == 1.0 / 3)
    }

    @Test func theMajorityBaselinePredictsTheCommonestTrainingAnswer() {
        let train = [1, 1, 0].map { TaskExample(text: "t", label: $0) }
        let test = [1, 0, 0, 0].map { TaskExample(text: "t", label: $0) }
        #expect(TaskMetrics.majorityBaseline(train: train, test: test, kind: .classification, taskName: "rte")[0].value == 0.25)
        let cola = TaskMetrics.majorityBaseline(train: train, test: test, kind: .classification, taskName: "cola")
        #expect(cola.map(\.name) == ["mcc"] && cola[0].value == 0)

        let stsb = TaskMetrics.majorityBaseline(train: [TaskExample(text: "s", label: 0, score: 2)],
                                                test: [0.0, 5].map { TaskExample(text: "s", label: 0, score: $0) },
                                                kind: .regression, taskName: "stsb")
        #expect(stsb.map(\.value) == [0, 0])

        // COPA: choice 2 was right more often in training.
        let copaTrain = [(0, 1), (0, 1), (1, 0)].enumerated().flatMap { q, labels in
            [TaskExample(text: "p", label: labels.0, group: q), TaskExample(text: "p", label: labels.1, group: q)]
        }
        let copaTest = [TaskExample(text: "p", label: 0, group: 0), TaskExample(text: "p", label: 1, group: 0),
                        TaskExample(text: "p", label: 1, group: 1), TaskExample(text: "p", label: 0, group: 1)]
        #expect(TaskMetrics.majorityBaseline(train: copaTrain, test: copaTest, kind: .multipleChoice(candidates: 2),
                                             taskName: "copa")[0].value == 0.5)
    }
}
