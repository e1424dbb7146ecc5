/// Metrics of predicted classes against labels (scikit-learn's definitions; the reference values in
/// Tests/SoftPromptTasksTests/Fixtures/metrics_reference.json come from scikit-learn).
///
/// Degenerate inputs give 0, never NaN: no examples; an F1 with no positive label and no positive prediction
/// (scikit-learn's `zero_division=0`); an MCC whose labels or predictions are all one class (scikit-learn returns 0).
extension TaskMetrics {
    /// F1 of the positive class 1: 2·TP / (2·TP + FP + FN).
    public static func binaryF1(predictions: [Int], labels: [Int]) -> Double {
        precondition(predictions.count == labels.count, "\(predictions.count) predictions for \(labels.count) labels")
        var truePositives = 0, falsePositives = 0, falseNegatives = 0
        for (p, y) in zip(predictions, labels) {
            if p == 1 && y == 1 { truePositives += 1 }
            if p == 1 && y != 1 { falsePositives += 1 }
            if p != 1 && y == 1 { falseNegatives += 1 }
        }
        return f1(truePositives: truePositives, falsePositives: falsePositives, falseNegatives: falseNegatives)
    }

    /// The unweighted mean of each class's F1 over the classes 0..<classes, present or not: an absent class scores 0
    /// (as DePT's `mean_multiclass_f1`, scikit-learn's `f1_score(labels=range(classes), average="macro")`).
    public static func macroF1(predictions: [Int], labels: [Int], classes: Int) -> Double {
        precondition(predictions.count == labels.count, "\(predictions.count) predictions for \(labels.count) labels")
        guard classes > 0, !labels.isEmpty else { return 0 }
        var total = 0.0
        for c in 0..<classes {
            var truePositives = 0, falsePositives = 0, falseNegatives = 0
            for (p, y) in zip(predictions, labels) {
                if p == c && y == c { truePositives += 1 }
                if p == c && y != c { falsePositives += 1 }
                if p != c && y == c { falseNegatives += 1 }
            }
            total += f1(truePositives: truePositives, falsePositives: falsePositives, falseNegatives: falseNegatives)
        }
        return total / Double(classes)
    }

    /// Matthews correlation (Gorodkin's multi-class form, which is the usual φ for two classes):
    /// (c·s − Σ p_k t_k) / √((s² − Σ p_k²)(s² − Σ t_k²)) with s examples, c correct, p_k / t_k predicted / true counts.
    public static func matthewsCorrelation(predictions: [Int], labels: [Int]) -> Double {
        precondition(predictions.count == labels.count, "\(predictions.count) predictions for \(labels.count) labels")
        var predicted: [Int: Double] = [:], actual: [Int: Double] = [:]
        var correct = 0.0
        for (p, y) in zip(predictions, labels) {
            predicted[p, default: 0] += 1
            actual[y, default: 0] += 1
            if p == y { correct += 1 }
        }
        let s = Double(labels.count)
        var crossed = 0.0
        for (k, count) in predicted { crossed += count * (actual[k] ?? 0) }
        let covarianceTruePredicted = correct * s - crossed
        let variancePredicted = s * s - predicted.values.reduce(0) { $0 + $1 * $1 }
        let varianceTrue = s * s - actual.values.reduce(0) { $0 + $1 * $1 }
        guard variancePredicted > 0, varianceTrue > 0 else { return 0 }
        return covarianceTruePredicted / (variancePredicted * varianceTrue).squareRoot()
    }

    /// The fraction of questions (examples sharing a `group`) whose answers are all predicted right: MultiRC's EM.
    /// Examples without a group count as questions of their own.
    public static func exactMatch(predictions: [Int], labels: [Int], groups: [Int?]) -> Double {
        precondition(predictions.count == labels.count && groups.count == labels.count, "counts differ")
        var allRight: [Int: Bool] = [:]
        var ungrouped = 0, ungroupedRight = 0
        for (i, group) in groups.enumerated() {
            let right = predictions[i] == labels[i]
            if let group {
                allRight[group] = (allRight[group] ?? true) && right
            } else {
                ungrouped += 1
                if right { ungroupedRight += 1 }
            }
        }
        let questions = allRight.count + ungrouped
        guard questions > 0 else { return 0 }
        return Double(allRight.values.filter { $0 }.count + ungroupedRight) / Double(questions)
    }

    static func f1(truePositives: Int, falsePositives: Int, falseNegatives: Int) -> Double {
        let denominator = 2 * truePositives + falsePositives + falseNegatives
        return denominator == 0 ? 0 : Double(2 * truePositives) / Double(denominator)
    }
}
