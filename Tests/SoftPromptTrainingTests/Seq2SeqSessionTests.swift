import Foundation
import SoftPromptCheckpoint
import SoftPromptDistributed
import SoftPromptTasks
import SoftPromptTensor
import SoftPromptTestSupport
import SoftPromptTokenizers
import SoftPromptTraining
import Testing

/// `TrainingSession` runs the T5 trainer as it runs the BERT one: evaluation, adapters, summary, checkpoints.
@Suite struct Seq2SeqSessionTests {
    struct Run {
        let folder: URL
        let summary: [String: Any]
        let theta: [Float]
    }

    /// 4 DePT steps on the demo task with checkpoints every 2 steps, optionally resumed from `resume`.
    func run(in folder: URL, resume: URL? = nil) throws -> Run {
        let tokenizer = try T5Setup.tokenizer()
        var options = T5Setup.options
        options.steps = 4
        options.evalEvery = 2
        let trainer = try T5Setup.trainer("dept", communicator: SingleProcessCommunicator(), options: options,
                                          train: T5Setup.examples(24, seed: 1, tokenizer: tokenizer), tokenizer: tokenizer)
        let dev = T5Setup.examples(10, seed: 2, tokenizer: tokenizer)
        let labels = DemoTask.examples(count: 10, seed: 2).map(\.label)
        let validation = SplitEvaluation(name: "validation", examples: T5Setup.rankSet(dev, tokenizer: tokenizer)) { outputs in
            [("accuracy", accuracy(predictions: outputs.map { Int($0) }, labels: labels))]
        }
        let output = try RunOutput(directory: folder, isWriter: true, resuming: resume != nil)
        let plan = CheckpointPlan(store: CheckpointStore(output: folder, keep: 2), every: 2,
                                  fingerprint: RunFingerprint(worldSize: 1, method: "dept", model: "tiny-t5", data: "demo"),
                                  resume: resume)
        let summary = try TrainingSession(trainer: trainer, output: output, validation: validation,
                                          description: ["task": "demo", "backbone": "t5"],
                                          peftConfig: ["peft_type": "PROMPT_TUNING", "task_type": "SEQ_2_SEQ_LM"],
                                          methodMetadata: ["method": "dept"], checkpoints: plan, progress: { _ in }).run()
        return Run(folder: folder, summary: summary, theta: trainer.theta)
    }

    @Test func aT5RunWritesItsAdapterWithoutAHeadAndResumesBitForBit() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("t5-session-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let straight = try run(in: root.appendingPathComponent("straight"))
        let adapter = straight.folder.appendingPathComponent("adapter")
        #expect(try SafetensorsFile(url: adapter.appendingPathComponent("adapter_model.safetensors"))
            .tensor("prompt_embeddings").shape == [6, 32])
        #expect(try SafetensorsFile(url: adapter.appendingPathComponent("method.safetensors")).names
            == ["dept.A", "dept.B", "prompt"])
        #expect(!FileManager.default.fileExists(atPath: adapter.appendingPathComponent("head.safetensors").path),
                "T5 has no task head")
        #expect(straight.summary["validation.accuracy"] is Double)
        #expect(straight.summary["steps"] as? Int == 4)

        // A second run stopped after step 2 (its checkpoint copied), then resumed: the same θ, bit for bit.
        let resumed = root.appendingPathComponent("resumed")
        try FileManager.default.createDirectory(at: resumed.appendingPathComponent("checkpoints"), withIntermediateDirectories: true)
        let step2 = CheckpointStore(output: straight.folder).folder(step: 2)
        let copy = resumed.appendingPathComponent("checkpoints").appendingPathComponent(step2.lastPathComponent)
        try FileManager.default.copyItem(at: step2, to: copy)
        let continued = try run(in: resumed, resume: copy)
        #expect(continued.summary["resumed_from_step"] as? Int == 2)
        #expect(continued.theta == straight.theta)
    }
}
