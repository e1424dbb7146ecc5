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

extension Train {
    /// `train` on a T5 folder (methods.md §7.3): the Unigram tokenizer, the text-to-text framing, the prompt on the
    /// encoder only, teacher-forced verbalisers, rank classification (or greedy decoding) for the metrics; the rest
    /// (ranks, checkpoints, resume, outputs) as on the BERT path.
    func runT5(directory: ModelDirectory, communicator: any Communicator) throws {
        let isRankZero = communicator.rank == 0
        func say(_ line: String) { if isRankZero { print(line) } }
        if backboneDropout {
            throw ValidationError("--backbone-dropout: the T5 backbone runs without dropout (methods.md §7.4); "
                                  + "leave it off for \(directory.url.path)")
        }
        let tokenizer = try UnigramTokenizer(contentsOf: directory.tokenizerURL)
        let model = try T5(directory: directory)
        try T5Inputs.check(tokenizer: tokenizer, model: model, directory: directory)
        let task = try TextToTextTask.load(self.task, directory: data.map { URL(fileURLWithPath: $0) }, seed: seed,
                                           rule: SplitRule(rawValue: split) ?? .dept)
        let train = T5Inputs.examples(task.train, tokenizer: tokenizer, maxLength: maxLength)
        let sameSplits = task.data.validation == task.data.test
        let decoding = T5Inputs.decoding(for: task, tokenizer: tokenizer, mode: t5Eval)
        func evaluation(_ name: String, _ examples: [TextToTextExample], _ framed: [TaskExample])
            -> SplitEvaluation<Seq2SeqEvaluationSet>
        {
            let inputs = examples.map { tokenizer.encode($0.input, maxLength: maxLength).ids }
            return SplitEvaluation(name: name, examples: Seq2SeqEvaluationSet(inputs: inputs, decoding: decoding)) { outputs in
                task.metrics(outputs: outputs, examples: framed)
            }
        }
        let validation = evaluation("validation", task.validation, task.data.validation)
        let test = sameSplits ? nil : evaluation("test", task.test, task.data.test)

        let options = trainingOptions(ranks: communicator.size)
        let d = model.config.modelDim
        let method = methodOptions.makeMethod(width: d, maxLength: maxLength, labels: task.verbalizers)
        let trainer = Seq2SeqPromptTrainer(model: model, method: method, communicator: communicator, options: options,
                                           train: train, padId: tokenizer.padId)
        var context = T5Inputs.initializationContext(model: model, tokenizer: tokenizer,
                                                     random: RandomStream(seed: seed).split("init"))
        try trainer.initialize(context: &context)

        let (checkpoints, out) = try openRun(
            directory: directory, methodName: method.name, layout: trainer.layout,
            data: RunFingerprints.data(task: task.data.name, split: task.data.split, seq2seq: train),
            communicator: communicator)
        try out.writeConfig(recordedConfig(directory: directory, backbone: .t5, task: task.data, options: options,
                                           ranks: communicator.size,
                                           counts: (train.count, task.validation.count, task.test.count)))
        out.log(["event": "start", "world_size": communicator.size, "trainable_parameters": trainer.trainableParameters,
                 "blas": BLAS.name,
                 "split": task.data.split])
        let answers = task.needsGeneration ? "greedy decoding read as a number" : t5Eval == "greedy"
            ? "greedy decoding of \(task.verbalizers.joined(separator: "/"))"
            : "rank classification over \(task.verbalizers.joined(separator: "/"))"
        say("\(task.data.name) (T5, text-to-text): \(train.count) train / \(task.validation.count) validation / "
            + "\(task.test.count) test examples (\(task.data.split)); \(method.name) n=\(methodOptions.promptLength), "
            + "\(trainer.trainableParameters) trainable parameters (prompt \(trainer.layout.count(in: .prompt))); "
            + "\(communicator.size) rank(s), global batch \(batchSize); answers by \(answers)")

        var metadata = methodOptions.record.mapValues { "\($0)" }
        metadata["backbone"] = Backbone.t5.rawValue
        metadata["task"] = task.data.name
        metadata["verbalizers"] = T5Inputs.jsonList(task.verbalizers)
        metadata["input_fields"] = T5Inputs.jsonList(task.fields)
        metadata["max_length"] = String(maxLength)
        let session = TrainingSession(
            trainer: trainer, output: out, validation: validation, test: test,
            description: [
                "task": task.data.name, "method": method.name, "model": directory.url.path, "backbone": "t5",
                "prompt_length": methodOptions.promptLength, "t5_eval": task.needsGeneration ? "greedy" : t5Eval,
                "method_label": method.name == "ept" ? "EPT-like (our reconstruction; EPT has no public code)" : method.name,
                "split": task.data.split, "verbalizers": task.verbalizers,
                "majority_baseline": Dictionary(uniqueKeysWithValues: TaskMetrics.majorityBaseline(
                    train: task.data.train, test: task.data.test, kind: task.data.kind, taskName: task.data.name)
                    .map { ($0.name, $0.value) }),
            ],
            peftConfig: T5Inputs.peftConfig(model: model, promptLength: methodOptions.promptLength, directory: directory,
                                            methodOptions: methodOptions),
            methodMetadata: metadata,
            checkpoints: checkpoints, progress: say)
        try finish(session, reported: sameSplits ? "validation" : "test", say: say)
    }
}
