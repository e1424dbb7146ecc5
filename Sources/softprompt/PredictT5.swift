import ArgumentParser
import Foundation
import SoftPromptCheckpoint
import SoftPromptDistributed
import SoftPromptMethods
import SoftPromptModels
import SoftPromptTasks
import SoftPromptTokenizers
import SoftPromptTraining

extension Predict {
    /// `predict` with a T5 model: the adapter's prompt on the encoder; texts are answered with the verbaliser of the
    /// trained task (or the greedy generation), `--task` reports the test split's metrics.
    func runT5(directory: ModelDirectory) throws {
        let folder = URL(fileURLWithPath: adapter)
        let promptURL = folder.appendingPathComponent("adapter_model.safetensors")
        let table = try SafetensorsFile(url: promptURL).tensor("prompt_embeddings")
        let methodURL = folder.appendingPathComponent("method.safetensors")
        let methodFile = FileManager.default.fileExists(atPath: methodURL.path) ? try SafetensorsFile(url: methodURL) : nil
        let recorded = methodFile?.metadata ?? [:]

        let tokenizer = try UnigramTokenizer(contentsOf: directory.tokenizerURL)
        let model = try T5(directory: directory)
        try T5Inputs.check(tokenizer: tokenizer, model: model, directory: directory)
        let d = model.config.modelDim
        guard table.shape.count == 2, table.shape[1] == d else {
            throw ValidationErrorText("\(promptURL.path): prompt_embeddings has shape \(table.shape), the model needs (n, \(d))")
        }
        // PEFT's own seq2seq adapters hold 2n rows (num_transformer_submodules 2); prompt tuning uses the first n.
        let n = Self.virtualTokens(folder) ?? table.shape[0]
        guard n <= table.shape[0] else {
            throw ValidationErrorText("\(promptURL.path): \(table.shape[0]) prompt rows, adapter_config.json says \(n)")
        }
        let prompt = Array(table.toArray().prefix(n * d))

        let (method, methodMaxLength) = try ExportedMethod.rebuild(methodFile: methodFile, promptLength: n, width: d,
                                                                   maxLength: maxLength)
        let length = min(maxLength, methodMaxLength)
        var options = TrainingOptions()
        options.maxLength = length
        let predictor = Seq2SeqPromptTrainer(model: model, method: method, communicator: SingleProcessCommunicator(),
                                             options: options, train: [], padId: tokenizer.padId)
        if let methodFile, ExportedMethod.offsets(methodFile) {
            for name in methodFile.names where !predictor.setTensor(name, values: try methodFile.tensor(name).toArray()) {
                throw ValidationErrorText("\(methodURL.path): tensor \(name) does not fit the method it describes")
            }
        } else {
            predictor.setTensor("prompt", values: prompt)
        }

        if let taskName = task {
            let t2t = try TextToTextTask.load(taskName, directory: data.map { URL(fileURLWithPath: $0) }, seed: 42)
            let inputs = t2t.test.map { tokenizer.encode($0.input, maxLength: length).ids }
            let decoding = T5Inputs.decoding(for: t2t, tokenizer: tokenizer, mode: t5Eval)
            let outputs = try predictor.localOutputs(for: Seq2SeqEvaluationSet(inputs: inputs, decoding: decoding))
            let metrics = t2t.metrics(outputs: outputs, examples: t2t.data.test)
            if json {
                var object: [String: Any] = ["task": t2t.data.name, "split": t2t.data.split, "examples": inputs.count,
                                             "t5_eval": t2t.needsGeneration ? "greedy" : t5Eval]
                for (name, value) in metrics { object["test.\(name)"] = value }
                try printJSON(object)
            } else {
                print("\(t2t.data.name) test (\(t2t.data.split)): \(inputs.count) examples, "
                      + metrics.map { String(format: "%@ %.4f", $0.name, $0.value) }.joined(separator: ", "))
            }
            return
        }

        let verbalizers = T5Inputs.list(fromJSON: recorded["verbalizers"]) ?? []
        let fields = T5Inputs.list(fromJSON: recorded["input_fields"]) ?? []
        let inputs = texts.map { tokenizer.encode(fields.count == 1 ? "\(fields[0]): \($0)" : $0, maxLength: length).ids }
        let answers: [String]
        if t5Eval == "rank" && !verbalizers.isEmpty {
            let candidates = verbalizers.map { tokenizer.encode($0).ids }
            answers = try predictor.localOutputs(for: Seq2SeqEvaluationSet(inputs: inputs, decoding: .rank(candidates: candidates)))
                .map { verbalizers[Int($0)] }
        } else {
            if t5Eval == "rank" {
                FileHandle.standardError.write(Data("softprompt predict: \(methodURL.path) records no verbalisers; decoding greedily\n".utf8))
            }
            let longest = max(verbalizers.map { tokenizer.encode($0).ids.count }.max() ?? 0, 16)
            answers = try predictor.generate(inputs, maxTokens: longest).map { tokenizer.decode($0) }
        }
        if json {
            try printJSON(["predictions": answers])
        } else {
            for (text, answer) in zip(texts, answers) { print("\(answer)\t\(text)") }
        }
    }

    /// `num_virtual_tokens` of the adapter's adapter_config.json, if it says.
    static func virtualTokens(_ folder: URL) -> Int? {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("adapter_config.json")),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object["num_virtual_tokens"] as? Int
    }
}
