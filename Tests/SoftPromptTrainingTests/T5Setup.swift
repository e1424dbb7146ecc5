import Foundation
import SoftPromptCheckpoint
import SoftPromptDistributed
import SoftPromptMethods
import SoftPromptModels
import SoftPromptTasks
import SoftPromptTensor
import SoftPromptTokenizers
import SoftPromptTraining

/// The tiny T5 of the Models fixtures that matches the Unigram fixture tokenizer (Tests/Fixtures/
/// make_tiny_t5_unigram.py: trained with task prefixes, so that a prompt can steer it), and the demo task in the
/// text-to-text framing: "sentence: <review>" → negative / positive.
enum T5Setup {
    static let modelDirectory: URL = MPIRun.packageRoot.appendingPathComponent("Tests/SoftPromptModelsTests/Fixtures/tiny-t5-unigram")
    static let verbalizers = DemoTask.labels

    static func tokenizer() throws -> UnigramTokenizer {
        try UnigramTokenizer(contentsOf: modelDirectory.appendingPathComponent("tokenizer.json"))
    }

    /// `count` demo reviews from `seed`, tokenized (inputs truncated to 48 tokens).
    static func examples(_ count: Int, seed: UInt64, tokenizer: UnigramTokenizer) -> [Seq2SeqExample] {
        DemoTask.examples(count: count, seed: seed).map { e in
            Seq2SeqExample(ids: tokenizer.encode("sentence: \(e.text)", maxLength: 48).ids,
                           target: tokenizer.encode(verbalizers[e.label]).ids)
        }
    }

    /// Rank classification of the examples' inputs over the verbalisers.
    static func rankSet(_ examples: [Seq2SeqExample], tokenizer: UnigramTokenizer) -> Seq2SeqEvaluationSet {
        Seq2SeqEvaluationSet(inputs: examples.map(\.ids), decoding: .rank(candidates: verbalizers.map { tokenizer.encode($0).ids }))
    }

    static var options: TrainingOptions {
        var o = TrainingOptions()
        o.batchSize = 6
        o.microBatchSize = 2
        o.evalBatchSize = 8
        o.steps = 8
        o.promptLearningRate = 0.3
        o.lowRankLearningRate = 0.01
        o.maxLength = 48
        o.seed = 3
        return o
    }

    /// pt: 8 sampled-vocabulary rows; dept: 6 text-initialised rows and a rank-4 pair over s = 48 positions.
    static func method(_ name: String, width: Int) -> any PromptMethod {
        name == "dept"
            ? DecomposedPrompt(promptLength: 6, width: width, maxLength: 48, rank: 4, initialization: .text("Classify this text:"))
            : PromptTuning(promptLength: 8, width: width, initialization: .sampledVocabulary(population: 3000))
    }

    /// A trainer of `method` on `train` with θ initialised (seeded: the same on every rank and every run).
    static func trainer(_ method: String, communicator: any Communicator, options: TrainingOptions,
                        train: [Seq2SeqExample], tokenizer: UnigramTokenizer) throws -> Seq2SeqPromptTrainer<Float> {
        let model = try T5(directory: ModelDirectory(modelDirectory))
        let trainer = Seq2SeqPromptTrainer(model: model, method: Self.method(method, width: model.config.modelDim),
                                           communicator: communicator, options: options, train: train, padId: tokenizer.padId)
        var context = InitializationContext(
            embeddings: model.wordEmbeddings, vocabularySize: tokenizer.vocabularySize, width: model.config.modelDim,
            specialIds: Set([tokenizer.padId, tokenizer.eosId, tokenizer.unkId] + tokenizer.addedTokens.filter(\.special).map(\.id)),
            tokenize: { tokenizer.encodeSequence($0) }, random: RandomStream(seed: 5))
        try trainer.initialize(context: &context)
        return trainer
    }
}
