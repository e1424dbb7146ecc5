import SoftPromptTensor

/// One attention block's frozen projections, in PyTorch's (out, in) layout, no biases (T5 has none).
struct T5AttentionWeights<S: KernelScalar> {
    let q, k, v: UnsafePointer<S>  // (inner,d)
    let o: UnsafePointer<S>        // (d,inner)
}

/// The feed-forward block: wi (F,d) then wo (d,F); gated blocks have wi_0 as `wi` and wi_1 as `wiLinear`.
struct T5FeedForwardWeights<S: KernelScalar> {
    let wi: UnsafePointer<S>         // (F,d)
    let wiLinear: UnsafePointer<S>?  // (F,d), gated only
    let wo: UnsafePointer<S>         // (d,F)
}

struct T5EncoderLayerWeights<S: KernelScalar> {
    let selfNorm: UnsafePointer<S>  // (d) RMSNorm weight
    let selfAttention: T5AttentionWeights<S>
    let feedForwardNorm: UnsafePointer<S>
    let feedForward: T5FeedForwardWeights<S>
}

struct T5DecoderLayerWeights<S: KernelScalar> {
    let selfNorm: UnsafePointer<S>
    let selfAttention: T5AttentionWeights<S>
    let crossNorm: UnsafePointer<S>
    let crossAttention: T5AttentionWeights<S>
    let feedForwardNorm: UnsafePointer<S>
    let feedForward: T5FeedForwardWeights<S>
}

/// Every frozen tensor of a T5ForConditionalGeneration checkpoint, under transformers' names.
struct T5Weights<S: KernelScalar> {
    let shared: UnsafePointer<S>        // (V,d) token embeddings of encoder and decoder
    let encoderBias: UnsafePointer<S>   // (buckets,H) relative position bias, from encoder block 0
    let decoderBias: UnsafePointer<S>   // (buckets,H) from decoder block 0
    let encoder: [T5EncoderLayerWeights<S>]
    let decoder: [T5DecoderLayerWeights<S>]
    let encoderFinalNorm, decoderFinalNorm: UnsafePointer<S>  // (d)
    let lmHead: UnsafePointer<S>        // (V,d): `shared` when tied, `lm_head.weight` otherwise
}

extension WeightStore {
    func t5Weights(_ c: T5Config) throws -> T5Weights<S> {
        let (d, v, h) = (c.modelDim, c.vocabularySize, c.heads)
        // Checkpoints store the table once as `shared`; older ones may keep only a stack's tied copy.
        let shared = try load("shared.weight", shape: [v, d],
                              alternatives: ["encoder.embed_tokens.weight", "decoder.embed_tokens.weight"])
        func bias(_ stack: String) throws -> UnsafePointer<S> {
            try load("\(stack).block.0.layer.0.SelfAttention.relative_attention_bias.weight",
                     shape: [c.relativeAttentionBuckets, h])
        }
        return T5Weights(
            shared: shared, encoderBias: try bias("encoder"), decoderBias: try bias("decoder"),
            encoder: try (0..<c.encoderLayers).map { i in
                let p = "encoder.block.\(i).layer."
                return T5EncoderLayerWeights(
                    selfNorm: try load(p + "0.layer_norm.weight", shape: [d]),
                    selfAttention: try t5Attention(p + "0.SelfAttention.", c),
                    feedForwardNorm: try load(p + "1.layer_norm.weight", shape: [d]),
                    feedForward: try t5FeedForward(p + "1.DenseReluDense.", c))
            },
            decoder: try (0..<c.decoderLayers).map { i in
                let p = "decoder.block.\(i).layer."
                return T5DecoderLayerWeights(
                    selfNorm: try load(p + "0.layer_norm.weight", shape: [d]),
                    selfAttention: try t5Attention(p + "0.SelfAttention.", c),
                    crossNorm: try load(p + "1.layer_norm.weight", shape: [d]),
                    crossAttention: try t5Attention(p + "1.EncDecAttention.", c),
                    feedForwardNorm: try load(p + "2.layer_norm.weight", shape: [d]),
                    feedForward: try t5FeedForward(p + "2.DenseReluDense.", c))
            },
            encoderFinalNorm: try load("encoder.final_layer_norm.weight", shape: [d]),
            decoderFinalNorm: try load("decoder.final_layer_norm.weight", shape: [d]),
            lmHead: c.tieWordEmbeddings ? shared : try load("lm_head.weight", shape: [v, d]))
    }

    private func t5Attention(_ p: String, _ c: T5Config) throws -> T5AttentionWeights<S> {
        let (d, inner) = (c.modelDim, c.innerDim)
        return T5AttentionWeights(q: try load(p + "q.weight", shape: [inner, d]),
                                  k: try load(p + "k.weight", shape: [inner, d]),
                                  v: try load(p + "v.weight", shape: [inner, d]),
                                  o: try load(p + "o.weight", shape: [d, inner]))
    }

    private func t5FeedForward(_ p: String, _ c: T5Config) throws -> T5FeedForwardWeights<S> {
        let (d, f) = (c.modelDim, c.feedForwardDim)
        if c.feedForward.gated {
            return T5FeedForwardWeights(wi: try load(p + "wi_0.weight", shape: [f, d]),
                                        wiLinear: try load(p + "wi_1.weight", shape: [f, d]),
                                        wo: try load(p + "wo.weight", shape: [d, f]))
        }
        return T5FeedForwardWeights(wi: try load(p + "wi.weight", shape: [f, d]), wiLinear: nil,
                                    wo: try load(p + "wo.weight", shape: [d, f]))
    }
}
