import Foundation
import SoftPromptCheckpoint
import SoftPromptDistributed
import SoftPromptMethods
import SoftPromptModels
import SoftPromptTensor
import SoftPromptTraining
import Testing

@Suite struct TrainingSessionTests {
    @Test func aRunWritesItsConfigMetricsSummaryThetaAndAPEFTAdapter() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("session-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var options = TinySetup.options
        options.steps = 4
        options.evalEvery = 2
        let trainer = try TinySetup.initializedTrainer(options: options, train: 24, dev: 8)
        let output = try RunOutput(directory: folder, isWriter: true)
        try output.writeConfig(["task": "toy"])
        var lines: [String] = []
        let validation = EvaluationSplit.accuracy(name: "validation", examples: TinySetup.examples(8, seed: 2))
        let summary = try TrainingSession(trainer: trainer, output: output, validation: validation,
                                          description: ["task": "toy", "method": "pt"],
                                          peftConfig: ["peft_type": "PROMPT_TUNING", "num_virtual_tokens": 4],
                                          progress: { lines.append($0) }).run()

        for name in ["config.json", "metrics.jsonl", "summary.json", "theta.safetensors", "adapter/adapter_config.json",
                     "adapter/adapter_model.safetensors", "adapter/head.safetensors", "adapter/method.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), "\(name)")
        }
        let written = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("summary.json"))) as! [String: Any]
        for key in ["task", "method", "world_size", "steps", "trainable_parameters", "metric", "validation.accuracy",
                    "best.validation.accuracy",
                    "seconds", "adapter", "theta_sha256"] {
            #expect(written[key] != nil, "summary.json lacks \(key)")
        }
        #expect(written["steps"] as? Int == 4)
        let theta = try SafetensorsFile(url: folder.appendingPathComponent("theta.safetensors")).tensor("theta").toArray()
        #expect(theta == trainer.theta)
        #expect(summary["theta_sha256"] as? String == theta.withUnsafeBufferPointer { SHA256.hex(of: $0) })
        let prompt = try SafetensorsFile(url: folder.appendingPathComponent("adapter/adapter_model.safetensors"))
        #expect(try prompt.tensor("prompt_embeddings").shape == [4, 32])
        let metrics = try String(contentsOf: folder.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n")
        #expect(metrics.filter { $0.contains("\"event\":\"train\"") }.count == 4)
        #expect(metrics.filter { $0.contains("\"event\":\"eval\"") }.count == 2)
        #expect(lines.contains { $0.hasPrefix("step 4/4") })
    }
}
