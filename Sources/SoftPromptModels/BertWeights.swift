import SoftPromptTensor

/// One encoder layer's frozen weights, in PyTorch's (out, in) layout.
struct BertLayerWeights<S: KernelScalar> {
    /// No key bias: it adds q·b_k to every score of a query row, which the softmax ignores.
    let query, queryBias, key, value, valueBias: UnsafePointer<S>  // (d,d), (d)
    let attentionOutput, attentionOutputBias: UnsafePointer<S>              // (d,d), (d)
    /// bo + Wo·bv (d): the attention output's bias with the value bias carried through it. Each row of the
    /// attention probabilities sums to 1, so P·(V + bv) = P·V + bv and (P·V + bv)·Woᵀ + bo = P·V·Woᵀ + this:
    /// the encoder adds no value bias when no dropout perturbs those sums.
    let attentionOutputBiasWithValueBias: UnsafePointer<S>
    let attentionNorm, attentionNormBias: UnsafePointer<S>                  // (d)
    let intermediate, intermediateBias: UnsafePointer<S>                    // (F,d), (F)
    let output, outputBias: UnsafePointer<S>                                // (d,F), (d)
    let outputNorm, outputNormBias: UnsafePointer<S>                        // (d)
}

struct BertEmbeddingWeights<S: KernelScalar> {
    let word: UnsafePointer<S>       // (V,d)
    let position: UnsafePointer<S>   // (P,d)
    let tokenType: UnsafePointer<S>  // (types,d)
    let norm, normBias: UnsafePointer<S>
}

extension WeightStore {
    func bertEmbeddings(_ c: BertConfig) throws -> BertEmbeddingWeights<S> {
        let d = c.hiddenSize
        return BertEmbeddingWeights(
            word: try load("embeddings.word_embeddings.weight", shape: [c.vocabularySize, d]),
            position: try load("embeddings.position_embeddings.weight", shape: [c.maxPositions, d]),
            tokenType: try load("embeddings.token_type_embeddings.weight", shape: [c.typeVocabularySize, d]),
            norm: try load("embeddings.LayerNorm.weight", shape: [d], alternatives: ["embeddings.LayerNorm.gamma"]),
            normBias: try load("embeddings.LayerNorm.bias", shape: [d], alternatives: ["embeddings.LayerNorm.beta"]))
    }

    func bertLayer(_ i: Int, _ c: BertConfig) throws -> BertLayerWeights<S> {
        let d = c.hiddenSize, f = c.intermediateSize, p = "encoder.layer.\(i)."
        func norm(_ name: String, _ suffix: String, _ old: String) throws -> UnsafePointer<S> {
            try load(p + name + "." + suffix, shape: [d], alternatives: [p + name + "." + old])
        }
        _ = try load(p + "attention.self.key.bias", shape: [d])  // checked, never read (see `key`)
        let valueBias = try load(p + "attention.self.value.bias", shape: [d])
        let attentionOutput = try load(p + "attention.output.dense.weight", shape: [d, d])
        let attentionOutputBias = try load(p + "attention.output.dense.bias", shape: [d])
        let throughOutput = derived(count: d) { folded in
            for o in 0..<d {
                var sum = Double(attentionOutputBias[o])
                for i in 0..<d { sum += Double(attentionOutput[o * d + i]) * Double(valueBias[i]) }
                folded[o] = S(sum)
            }
        }
        return BertLayerWeights(
            query: try load(p + "attention.self.query.weight", shape: [d, d]),
            queryBias: try load(p + "attention.self.query.bias", shape: [d]),
            key: try load(p + "attention.self.key.weight", shape: [d, d]),
            value: try load(p + "attention.self.value.weight", shape: [d, d]),
            valueBias: valueBias,
            attentionOutput: attentionOutput,
            attentionOutputBias: attentionOutputBias,
            attentionOutputBiasWithValueBias: throughOutput,
            attentionNorm: try norm("attention.output.LayerNorm", "weight", "gamma"),
            attentionNormBias: try norm("attention.output.LayerNorm", "bias", "beta"),
            intermediate: try load(p + "intermediate.dense.weight", shape: [f, d]),
            intermediateBias: try load(p + "intermediate.dense.bias", shape: [f]),
            output: try load(p + "output.dense.weight", shape: [d, f]),
            outputBias: try load(p + "output.dense.bias", shape: [d]),
            outputNorm: try norm("output.LayerNorm", "weight", "gamma"),
            outputNormBias: try norm("output.LayerNorm", "bias", "beta"))
    }
}
