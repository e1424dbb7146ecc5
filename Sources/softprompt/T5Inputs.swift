import Foundation
import SoftPromptCheckpoint
import SoftPromptMethods
import SoftPromptModels
import SoftPromptTasks
import SoftPromptTensor
import SoftPromptTokenizers
import SoftPromptTraining

/// What the T5 commands share: tokenizing text-to-text examples, the evaluation decoding, the prompt-initialisation
/// context and the PEFT adapter config.
enum T5Inputs {
    /// The tokenizer must not produce ids the model has no embedding for (t5-small: 32,100 ids, 32,128 rows).
    static func check(tokenizer: UnigramTokenizer, model: T5, directory: ModelDirectory) throws {
        guard tokenizer.vocabularySize <= model.config.vocabularySize else {
            throw ValidationErrorText("\(directory.tokenizerURL.path): \(tokenizer.vocabularySize) token ids, more than the "
                                      + "\(model.config.vocabularySize) rows of vocab_size in \(directory.configURL.path)")
        }
    }

    /// Inputs truncated to `maxLength` tokens (`</s>` included; the prompt comes on top), targets whole with `</s>`.
    static func examples(_ items: [TextToTextExample], tokenizer: UnigramTokenizer, maxLength: Int) -> [Seq2SeqExample] {
        items.map { Seq2SeqExample(ids: tokenizer.encode($0.input, maxLength: maxLength).ids, target: tokenizer.encode($0.target).ids) }
    }

    /// Rank classification over the verbalisers, or greedy decoding (`mode` "greedy", and always for STS-B) of at
    /// most as many tokens as the longest verbaliser or training target with its `</s>`: a longer generation is no
    /// answer either way.
    static func decoding(for task: TextToTextTask, tokenizer: UnigramTokenizer, mode: String) -> Seq2SeqEvaluationSet.Decoding {
        let candidates = task.verbalizers.map { tokenizer.encode($0).ids }
        if mode == "rank" && !task.needsGeneration { return .rank(candidates: candidates) }
        let targets = Set(task.train.map(\.target)).map { tokenizer.encode($0).ids.count }
        let longest = max(candidates.map(\.count).max() ?? 1, targets.max() ?? 1)
        return .greedy(maxTokens: longest) { task.read(generated: tokenizer.decode($0)) }
    }

    /// The frozen table and tokenizer for prompt initialisation. Special and added tokens (`<pad>`, `</s>`, `<unk>`,
    /// the `<extra_id_N>` sentinels) are never sampled, nor the rows past the tokenizer's ids (a model's table may be
    /// padded: t5-base has 32,128 rows for 32,100 ids).
    static func initializationContext(model: T5, tokenizer: UnigramTokenizer, random: RandomStream) -> InitializationContext {
        let specials = Set([tokenizer.padId, tokenizer.eosId, tokenizer.unkId] + tokenizer.addedTokens.filter(\.special).map(\.id))
        return InitializationContext(embeddings: model.wordEmbeddings,
                                     vocabularySize: min(model.config.vocabularySize, tokenizer.vocabularySize),
                                     width: model.config.modelDim, specialIds: specials,
                                     tokenize: { tokenizer.encodeSequence($0) }, random: random)
    }

    /// adapter_config.json of a T5 prompt. PEFT's default for SEQ_2_SEQ_LM is num_transformer_submodules 2: a table of
    /// 2n rows of which prompt tuning only ever prepends the first n, to the encoder (PeftModelForSeq2SeqLM.forward and
    /// generate). We write 1 and the (n,d) prompt: PEFT then loads exactly our table and uses it the same way, on the
    /// encoder only. Offset methods (dept, adept, ept) also need method.safetensors, which PEFT does not read.
    static func peftConfig(model: T5, promptLength: Int, directory: ModelDirectory, methodOptions: MethodOptions) -> [String: Any] {
        [
            "peft_type": "PROMPT_TUNING", "task_type": "SEQ_2_SEQ_LM", "num_virtual_tokens": promptLength,
            "token_dim": model.config.modelDim, "num_transformer_submodules": 1,
            "num_attention_heads": model.config.heads, "num_layers": model.config.encoderLayers,
            "base_model_name_or_path": directory.url.path,
            "prompt_tuning_init": methodOptions.promptInit == "text" ? "TEXT" : "RANDOM",
            "prompt_tuning_init_text": methodOptions.promptInit == "text" ? methodOptions.promptInitText : NSNull(),
            "inference_mode": true, "revision": NSNull(), "tokenizer_name_or_path": NSNull(),
        ]
    }

    /// A list of strings as a JSON array (for safetensors metadata, whose values are strings).
    static func jsonList(_ values: [String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: values, options: [.withoutEscapingSlashes])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The inverse of `jsonList`; nil when `text` is not a JSON array of strings.
    static func list(fromJSON text: String?) -> [String]? {
        guard let text, let value = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else { return nil }
        return value as? [String]
    }
}

extension RunFingerprints {
    /// The task, its split and every tokenized text-to-text training example (input and target ids).
    static func data(task: String, split: String, seq2seq train: [Seq2SeqExample]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(train.reduce(0) { $0 + 4 * ($1.ids.count + $1.target.count) + 8 })
        func append<T>(_ value: T) { withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) } }
        for e in train {
            append(Int32(e.ids.count))
            for id in e.ids { append(id) }
            append(Int32(e.target.count))
            for id in e.target { append(id) }
        }
        var hash = SHA256()
        hash.update("\(task)\nt5\n\(split)\n")
        hash.update(bytes)
        return hash.finalize()
    }
}
