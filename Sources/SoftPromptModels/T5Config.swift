import Foundation
import SoftPromptCheckpoint
import SoftPromptTensor

/// A T5 encoder–decoder's `config.json`, as Hugging Face writes it (T5 v1.0, v1.1, Flan-T5, mT5).
/// Absent fields take transformers' `T5Config` defaults, since `save_pretrained` may leave out default values.
public struct T5Config: Sendable, Equatable {
    public var vocabularySize: Int
    /// d_model
    public var modelDim: Int
    /// d_kv: the width of one attention head; heads · d_kv need not equal d_model.
    public var headDim: Int
    /// d_ff
    public var feedForwardDim: Int
    public var encoderLayers: Int
    public var decoderLayers: Int
    public var heads: Int
    public var relativeAttentionBuckets: Int
    public var relativeAttentionMaxDistance: Int
    public var layerNormEpsilon: Double
    public var feedForward: FeedForward
    /// True (v1.0): the LM head is `shared` and the decoder output is scaled by d_model^-0.5 before it.
    /// False (v1.1, Flan-T5, mT5): a separate `lm_head`, no scaling.
    public var tieWordEmbeddings: Bool
    public var padTokenId: Int
    public var eosTokenId: Int
    public var decoderStartTokenId: Int
    /// Read and kept for the record; the frozen backbone runs without dropout (DESIGN.md §3: off by default).
    public var dropoutRate: Double

    /// The feed-forward block: `feed_forward_proj` is "ACT" (wi → act → wo) or "gated-ACT"
    /// (act(wi_0 x) ⊙ wi_1 x → wo). "gated-gelu" means the tanh GELU (transformers' gelu_new), as in v1.1.
    public struct FeedForward: Sendable, Equatable {
        public var activation: Activation
        public var gated: Bool
        public init(activation: Activation, gated: Bool) {
            self.activation = activation
            self.gated = gated
        }
        public static let relu = FeedForward(activation: .relu, gated: false)
        public static let gatedGELU = FeedForward(activation: .geluTanh, gated: true)
    }

    public enum Activation: String, Sendable {
        case relu, gelu, geluTanh = "gelu_new"
    }

    /// heads · d_kv, the width of q, k, v and of the attention output before `o`.
    public var innerDim: Int { heads * headDim }

    public init(vocabularySize: Int, modelDim: Int, headDim: Int, feedForwardDim: Int, encoderLayers: Int,
                decoderLayers: Int? = nil, heads: Int, relativeAttentionBuckets: Int = 32,
                relativeAttentionMaxDistance: Int = 128, layerNormEpsilon: Double = 1e-6,
                feedForward: FeedForward = .relu, tieWordEmbeddings: Bool = true, padTokenId: Int = 0,
                eosTokenId: Int = 1, decoderStartTokenId: Int? = nil, dropoutRate: Double = 0.1) {
        self.vocabularySize = vocabularySize
        self.modelDim = modelDim
        self.headDim = headDim
        self.feedForwardDim = feedForwardDim
        self.encoderLayers = encoderLayers
        self.decoderLayers = decoderLayers ?? encoderLayers
        self.heads = heads
        self.relativeAttentionBuckets = relativeAttentionBuckets
        self.relativeAttentionMaxDistance = relativeAttentionMaxDistance
        self.layerNormEpsilon = layerNormEpsilon
        self.feedForward = feedForward
        self.tieWordEmbeddings = tieWordEmbeddings
        self.padTokenId = padTokenId
        self.eosTokenId = eosTokenId
        self.decoderStartTokenId = decoderStartTokenId ?? padTokenId
        self.dropoutRate = dropoutRate
    }

    /// Reads and checks `config.json`; every error names the file and the field.
    public init(contentsOf url: URL) throws(ConfigFileError) {
        let f = try ConfigFile.decode(Fields.self, from: url)
        func fail(_ problem: String) -> ConfigFileError { ConfigFileError(path: url.path, problem: problem) }
        if let type = f.model_type, type != "t5", type != "mt5" {
            throw fail("field \"model_type\" is \"\(type)\"; this is a T5 loader (expected \"t5\" or \"mt5\")")
        }
        let feedForward = try Self.feedForward(f.feed_forward_proj ?? "relu", fail)
        let pad = f.pad_token_id ?? 0
        self.init(vocabularySize: f.vocab_size ?? 32128, modelDim: f.d_model ?? 512, headDim: f.d_kv ?? 64,
                  feedForwardDim: f.d_ff ?? 2048, encoderLayers: f.num_layers ?? 6, decoderLayers: f.num_decoder_layers,
                  heads: f.num_heads ?? 8, relativeAttentionBuckets: f.relative_attention_num_buckets ?? 32,
                  relativeAttentionMaxDistance: f.relative_attention_max_distance ?? 128,
                  layerNormEpsilon: f.layer_norm_epsilon ?? 1e-6, feedForward: feedForward,
                  tieWordEmbeddings: f.tie_word_embeddings ?? true, padTokenId: pad,
                  eosTokenId: f.eos_token_id?.first ?? 1,
                  // T5 starts decoding with the pad token; transformers' configs say so explicitly.
                  decoderStartTokenId: f.decoder_start_token_id ?? pad, dropoutRate: f.dropout_rate ?? 0.1)
        for (name, value) in [("vocab_size", vocabularySize), ("d_model", modelDim), ("d_kv", headDim),
                              ("d_ff", feedForwardDim), ("num_layers", encoderLayers),
                              ("num_decoder_layers", decoderLayers), ("num_heads", heads),
                              ("relative_attention_num_buckets", relativeAttentionBuckets),
                              ("relative_attention_max_distance", relativeAttentionMaxDistance)] where value <= 0 {
            throw fail("field \"\(name)\" must be positive, found \(value)")
        }
        // The bucket formula halves the buckets per direction and again for the exact range.
        guard relativeAttentionBuckets >= 4 else {
            throw fail("field \"relative_attention_num_buckets\" must be at least 4, found \(relativeAttentionBuckets)")
        }
        for (name, id) in [("pad_token_id", padTokenId), ("eos_token_id", eosTokenId),
                           ("decoder_start_token_id", decoderStartTokenId)] where id < 0 || id >= vocabularySize {
            throw fail("field \"\(name)\" is \(id), outside the vocabulary 0..<\(vocabularySize)")
        }
        guard layerNormEpsilon > 0 else { throw fail("field \"layer_norm_epsilon\" must be positive") }
        guard (0..<1).contains(dropoutRate) else { throw fail("field \"dropout_rate\" must be in [0, 1)") }
    }

    /// "relu", "gelu", "gelu_new" (and its aliases), each optionally "gated-"; "gated-gelu" is the tanh GELU.
    private static func feedForward(_ name: String, _ fail: (String) -> ConfigFileError) throws(ConfigFileError)
        -> FeedForward
    {
        if name == "gated-gelu" { return .gatedGELU }  // transformers' special case for v1.1
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        let gated = parts.count == 2 && parts[0] == "gated"
        let activation: Activation?
        switch parts.count == 1 || gated ? String(parts[parts.count - 1]) : "" {
        case "relu": activation = .relu
        case "gelu": activation = .gelu
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": activation = .geluTanh
        default: activation = nil
        }
        guard let activation else {
            throw fail("field \"feed_forward_proj\" is \"\(name)\"; supported: relu, gelu, gelu_new, "
                       + "gelu_pytorch_tanh, each optionally as gated-…, and gated-gelu")
        }
        return FeedForward(activation: activation, gated: gated)
    }

    private struct Fields: Decodable {
        var model_type: String?
        var vocab_size: Int?
        var d_model: Int?
        var d_kv: Int?
        var d_ff: Int?
        var num_layers: Int?
        var num_decoder_layers: Int?
        var num_heads: Int?
        var relative_attention_num_buckets: Int?
        var relative_attention_max_distance: Int?
        var layer_norm_epsilon: Double?
        var feed_forward_proj: String?
        var tie_word_embeddings: Bool?
        var pad_token_id: Int?
        var eos_token_id: TokenIds?
        var decoder_start_token_id: Int?
        var dropout_rate: Double?
    }

    /// `eos_token_id` is an integer or, in newer configs, a list of them.
    private struct TokenIds: Decodable {
        var first: Int?
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let one = try? container.decode(Int.self) {
                first = one
            } else {
                first = try container.decode([Int].self).first
            }
        }
    }
}
