import SoftPromptTasks
// Interim until SoftPromptTasks' TaskMetrics lands (removed then).
enum TaskMetrics {
    static func compute(kind: TaskKind, taskName: String, examples: [TaskExample], outputs: [Double]) -> [(name: String, value: Double)] {
        [("accuracy", accuracy(predictions: outputs.map { Int($0) }, labels: examples.map(\.label)))]
    }
}
