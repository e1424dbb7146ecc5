import ArgumentParser
import Foundation
import SoftPromptCheckpoint
import SoftPromptDistributed
import SoftPromptMethods
import SoftPromptModels
import SoftPromptTasks
import SoftPromptTensor
import SoftPromptTokenizers
import SoftPromptTraining

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify texts, or score a task's dev set, with an exported adapter of any method.",
        discussion: """
            Reads adapter/adapter_model.safetensors (the prompt), head.safetensors and, for methods that offset \
            the input embeddings (dept, adept, ept), method.safetensors. With a T5 model (and its run's adapter) \
            each text is answered with a verbaliser of the task the run trained on (method.safetensors records them; \
            a text becomes "<field>: <text>" when the task's input has one field, as the demo's "sentence: …"), or \
            with --task the test split's metrics; offset methods are rebuilt from method.safetensors.
            """)

    @Option(help: "The adapter folder a training run wrote (runs/NAME/adapter).")
    var adapter: String

    @Option(help: "Model folder. Default: the installed MiniLM.")
    var model: String?

    @Option(help: "Score this task's dev set instead of texts (\(TaskCatalog.names.joined(separator: ", "))).")
    var task: String?

    @Option(help: "The task's data folder.")
    var data: String?

    @Option(help: "Text tokens per example, [CLS]/[SEP] included.")
    var maxLength = 128

    @Option(help: ArgumentHelp("T5 models: rank (score each verbaliser, pick the best) or greedy (greedy decoding; an answer that is no verbaliser counts as wrong).", valueName: "rank|greedy"))
    var t5Eval = "rank"

    @Flag(help: "Print JSON.")
    var json = false

    @Argument(help: "Texts to classify.")
    var texts: [String] = []

    func validate() throws {
        guard task != nil || !texts.isEmpty else { throw ValidationError("give texts to classify, or --task to score a dev set") }
        guard ["rank", "greedy"].contains(t5Eval) else { throw ValidationError("--t5-eval must be rank or greedy, got \(t5Eval)") }
    }

    func run() throws {
        let directory = try ModelDirectory(try ModelLocator.resolve(model))
        if try Backbone.of(directory) == .t5 {
            try runT5(directory: directory)
            return
        }
        let folder = URL(fileURLWithPath: adapter)
        let promptFile = try SafetensorsFile(url: folder.appendingPathComponent("adapter_model.safetensors"))
        let prompt = try promptFile.tensor("prompt_embeddings")
        let headFile = try SafetensorsFile(url: folder.appendingPathComponent("head.safetensors"))
        let headWeight = try headFile.tensor("weight"), headBias = try headFile.tensor("bias")
        let methodURL = folder.appendingPathComponent("method.safetensors")
        let methodFile = FileManager.default.fileExists(atPath: methodURL.path) ? try SafetensorsFile(url: methodURL) : nil

        let tokenizer = try WordPieceTokenizer(contentsOf: directory.tokenizerURL)
        let encoder = try BertModel(directory: directory)
        let (n, d) = (prompt.shape[0], prompt.shape[1])
        guard d == encoder.config.hiddenSize else {
            throw ValidationError("\(folder.path): prompt width \(d) does not match the model's \(encoder.config.hiddenSize)")
        }
        // Offset methods are rebuilt from their own tensors; every other method is its exported prompt.
        let (method, methodMaxLength) = try ExportedMethod.rebuild(methodFile: methodFile, promptLength: n, width: d,
                                                                   maxLength: maxLength)
        // A head that reads 4d features compares two texts encoded apart (`train --pair-encoding separate`).
        let comparesPairs = headWeight.shape.count == 2 && headWeight.shape[1] == 4 * d
        guard comparesPairs || headWeight.shape == [headBias.count, d] else {
            throw ValidationError("\(folder.path)/head.safetensors: weight \(headWeight.shape) is neither (C, \(d)) nor (C, \(4 * d))")
        }
        let labels = try task.map { try TaskCatalog.load($0, directory: data.map { URL(fileURLWithPath: $0) }, seed: 42) }
        if comparesPairs && labels == nil {
            throw ValidationError("\(folder.path): this head compares two texts encoded apart; score a pair task with --task")
        }
        let inputs = labels?.test ?? texts.map { TaskExample(text: $0, label: 0) }
        let examples = try tokenizer.encode(inputs, maxLength: min(maxLength, methodMaxLength),
                                            pairEncoding: comparesPairs ? .separate : .joint)
        var options = TrainingOptions()
        options.maxLength = min(maxLength, methodMaxLength)
        let kind = labels?.kind ?? .classification
        let predictor = PromptTrainer(model: encoder, method: method, classes: headBias.count, kind: kind,
                                      comparesPairs: comparesPairs, communicator: SingleProcessCommunicator(), options: options, train: [], dev: examples,
                                      padId: tokenizer.padId)
        predictor.setTensor("head.weight", values: headWeight.toArray())
        predictor.setTensor("head.bias", values: headBias.toArray())
        if let methodFile, ExportedMethod.offsets(methodFile) {
            for name in methodFile.names where !predictor.setTensor(name, values: try methodFile.tensor(name).toArray()) {
                throw ValidationError("\(methodURL.path): tensor \(name) does not fit the method it describes")
            }
        } else {
            predictor.setTensor("prompt", values: prompt.toArray())
        }
        let outputs = try predictor.localOutputs(for: examples)
        if let labels {
            let metrics = TaskMetrics.compute(kind: kind, taskName: labels.name, examples: labels.test, outputs: outputs)
            if json {
                var object: [String: Any] = ["task": labels.name, "split": labels.split, "examples": labels.test.count]
                for (name, value) in metrics { object["test.\(name)"] = value }
                try printJSON(object)
            } else {
                print("\(labels.name) test (\(labels.split)): \(labels.test.count) examples, "
                      + metrics.map { String(format: "%@ %.4f", $0.name, $0.value) }.joined(separator: ", "))
            }
            return
        }
        let predicted = outputs.map { Int($0) }
        if json {
            try printJSON(["predictions": predicted])
        } else {
            for (text, label) in zip(texts, predicted) { print("\(label)\t\(text)") }
        }
    }
}
