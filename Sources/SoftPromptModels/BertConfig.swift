import Foundation
import SoftPromptCheckpoint
import SoftPromptTensor

/// A BERT-family encoder's `config.json`, as Hugging Face writes it.
public struct BertConfig: Sendable, Equatable {
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var intermediateSize: Int
    public var activation: Activation
    public var maxPositions: Int
    public var typeVocabularySize: Int
    public var layerNormEps: Double
    public var hiddenDropout: Double
    public var attentionDropout: Double
    public var padTokenId: Int

    public enum Activation: String, Sendable {
        case gelu, geluTanh = "gelu_new", relu
    }

    public var headDim: Int { hiddenSize / heads }

    public init(vocabularySize: Int, hiddenSize: Int, layers: Int, heads: Int, intermediateSize: Int,
                activation: Activation = .gelu, maxPositions: Int = 512, typeVocabularySize: Int = 2,
                layerNormEps: Double = 1e-12, hiddenDropout: Double = 0.1, attentionDropout: Double = 0.1,
                padTokenId: Int = 0) {
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.heads = heads
        self.intermediateSize = intermediateSize
        self.activation = activation
        self.maxPositions = maxPositions
        self.typeVocabularySize = typeVocabularySize
        self.layerNormEps = layerNormEps
        self.hiddenDropout = hiddenDropout
        self.attentionDropout = attentionDropout
        self.padTokenId = padTokenId
    }

    /// Reads and checks `config.json`; every error names the file and the field.
    public init(contentsOf url: URL) throws(ConfigFileError) {
        let fields = try ConfigFile.decode(Fields.self, from: url)
        func fail(_ problem: String) -> ConfigFileError { ConfigFileError(path: url.path, problem: problem) }
        if let type = fields.model_type, type != "bert" {
            throw fail("field \"model_type\" is \"\(type)\"; this is a BERT encoder loader (expected \"bert\")")
        }
        let activation: Activation
        switch fields.hidden_act ?? "gelu" {
        case "gelu": activation = .gelu
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": activation = .geluTanh
        case "relu": activation = .relu
        case let other: throw fail("field \"hidden_act\" is \"\(other)\"; supported: gelu, gelu_new, gelu_pytorch_tanh, relu")
        }
        if let kind = fields.position_embedding_type, kind != "absolute" {
            throw fail("field \"position_embedding_type\" is \"\(kind)\"; only \"absolute\" is supported")
        }
        self.init(vocabularySize: fields.vocab_size, hiddenSize: fields.hidden_size, layers: fields.num_hidden_layers,
                  heads: fields.num_attention_heads, intermediateSize: fields.intermediate_size,
                  activation: activation, maxPositions: fields.max_position_embeddings ?? 512,
                  typeVocabularySize: fields.type_vocab_size ?? 2, layerNormEps: fields.layer_norm_eps ?? 1e-12,
                  hiddenDropout: fields.hidden_dropout_prob ?? 0.1,
                  attentionDropout: fields.attention_probs_dropout_prob ?? 0.1, padTokenId: fields.pad_token_id ?? 0)
        for (name, value) in [("vocab_size", vocabularySize), ("hidden_size", hiddenSize),
                              ("num_hidden_layers", layers), ("num_attention_heads", heads),
                              ("intermediate_size", intermediateSize), ("max_position_embeddings", maxPositions),
                              ("type_vocab_size", typeVocabularySize)] where value <= 0 {
            throw fail("field \"\(name)\" must be positive, found \(value)")
        }
        guard hiddenSize % heads == 0 else {
            throw fail("field \"hidden_size\" (\(hiddenSize)) must be a multiple of \"num_attention_heads\" (\(heads))")
        }
        guard layerNormEps > 0 else { throw fail("field \"layer_norm_eps\" must be positive") }
    }

    private struct Fields: Decodable {
        var model_type: String?
        var vocab_size: Int
        var hidden_size: Int
        var num_hidden_layers: Int
        var num_attention_heads: Int
        var intermediate_size: Int
        var hidden_act: String?
        var max_position_embeddings: Int?
        var type_vocab_size: Int?
        var layer_norm_eps: Double?
        var hidden_dropout_prob: Double?
        var attention_probs_dropout_prob: Double?
        var pad_token_id: Int?
        var position_embedding_type: String?
    }
}
