import Foundation
import SoftPromptTasks

/// A task in the T5 framing (methods.md §7.3): `"<field>: <value> …"` inputs and verbalised targets for training,
/// the verbalisers as rank classification's candidates, and the mapping from one T5 answer per example to what
/// `TaskMetrics.compute` reads. The BERT framing of the very same partition (`data`) carries the labels the metrics
/// compare with: one example per record, except COPA, whose record is two candidate examples there.
public struct TextToTextTask: Sendable {
    /// The splits in the BERT framing (name, kind, labels, split description, metric examples).
    public let data: TaskData
    /// The input fields, in order (a bare text becomes `"<field>: <text>"` when there is exactly one).
    public let fields: [String]
    /// The target of each label index; the candidates of rank classification. Empty for STS-B (a number).
    public let verbalizers: [String]
    public let train: [TextToTextExample]
    public let validation: [TextToTextExample]
    public let test: [TextToTextExample]

    public init(data: TaskData, fields: [String], verbalizers: [String], train: [TextToTextExample],
                validation: [TextToTextExample], test: [TextToTextExample]) {
        self.data = data
        self.fields = fields
        self.verbalizers = verbalizers
        self.train = train
        self.validation = validation
        self.test = test
    }

    /// Loads and splits a task as `TaskCatalog.load` does (same arguments, same partition) and frames it for T5.
    /// The demo task reads `"sentence: <review>"` → negative / positive, as SST-2.
    public static func load(_ name: String, directory: URL?, seed: UInt64, rule: SplitRule = .dept) throws(TaskDataError)
        -> TextToTextTask
    {
        if name.lowercased() == "demo" {
            let data = DemoTask.load(seed: seed)
            func frame(_ examples: [TaskExample]) -> [TextToTextExample] {
                examples.map { TextToTextExample(input: "sentence: \($0.text)", target: DemoTask.labels[$0.label]) }
            }
            return TextToTextTask(data: data, fields: ["sentence"], verbalizers: DemoTask.labels, train: frame(data.train),
                                  validation: frame(data.validation), test: frame(data.test))
        }
        guard let definition = TaskDefinition.named(name) else { throw .unknownTask(name, known: TaskCatalog.names) }
        let splits = try TaskCatalog.loadRecords(definition, directory: directory, seed: seed, rule: rule)
        let data = TaskData(name: definition.name, kind: definition.kind, labels: definition.labels,
                            train: definition.examples(from: splits.train),
                            validation: definition.examples(from: splits.validation),
                            test: definition.examples(from: splits.test), split: splits.description)
        let verbalizers: [String]
        switch definition.verbalizer {
        case .words(let words): verbalizers = words
        case .scoreToOneDecimal: verbalizers = []
        }
        return TextToTextTask(data: data, fields: definition.textToTextFields, verbalizers: verbalizers,
                              train: splits.train.map(definition.textToText),
                              validation: splits.validation.map(definition.textToText),
                              test: splits.test.map(definition.textToText))
    }

    /// Whether answers are read by greedy decoding whatever the run asks: a number has no candidates to rank.
    public var needsGeneration: Bool { verbalizers.isEmpty }

    /// A generated answer as an output: the index of the verbaliser it equals (after trimming white space), −1 when
    /// it equals none; for STS-B the number it spells, NaN when it is not one.
    public func read(generated text: String) -> Double {
        let answer = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if verbalizers.isEmpty { return Double(answer) ?? .nan }
        return verbalizers.firstIndex(of: answer).map(Double.init) ?? -1
    }

    /// The task's metrics (primary first) from one output per text-to-text example of a split — a verbaliser index
    /// (rank classification, or `read` of a generation) or a number (STS-B) — given the split's BERT-framed examples.
    /// An answer that is no verbaliser (only greedy decoding gives one) counts as wrong: −1, never a label, for
    /// classification (so F1 sees it as a negative prediction); the other answer than the label for WSC/MultiRC; the
    /// other choice for COPA. A generation that is not a number scores 0 on STS-B.
    public func metrics(outputs: [Double], examples: [TaskExample]) -> [(name: String, value: Double)] {
        var mapped: [Double]
        switch data.kind {
        case .classification:
            mapped = outputs
        case .regression:
            mapped = outputs.map { $0.isFinite ? $0 : 0 }
        case .binaryCandidates:
            mapped = zip(outputs, examples).map { output, example in output >= 0 ? output : Double(1 - example.label) }
        case .multipleChoice(let candidates):
            // The record's answer becomes its candidates' scores: 1 for the chosen one, 0 for the others.
            precondition(examples.count == outputs.count * candidates, "\(examples.count) candidates for \(outputs.count) records")
            mapped = [Double](repeating: 0, count: examples.count)
            for (record, output) in outputs.enumerated() {
                let options = record * candidates..<(record + 1) * candidates
                var choice = Int(exactly: output).map { record * candidates + $0 } ?? -1
                if !options.contains(choice) { choice = options.first { examples[$0].label == 0 } ?? options.lowerBound }
                mapped[choice] = 1
            }
        }
        return TaskMetrics.compute(kind: data.kind, taskName: data.name, examples: examples, outputs: mapped)
    }
}
