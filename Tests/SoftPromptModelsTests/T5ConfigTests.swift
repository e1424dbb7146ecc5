import Foundation
import SoftPromptModels
import Testing

@Suite struct T5ConfigTests {
    func config(_ json: String) throws -> T5Config {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("t5-config-\(UUID().uuidString).json")
        try Data(json.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try T5Config(contentsOf: url)
    }

    /// google-t5/t5-base's config.json, abridged to the fields the model reads.
    let t5Base = """
        {"model_type": "t5", "vocab_size": 32128, "d_model": 768, "d_kv": 64, "d_ff": 3072, "num_layers": 12,
         "num_heads": 12, "relative_attention_num_buckets": 32, "dropout_rate": 0.1, "layer_norm_epsilon": 1e-06,
         "feed_forward_proj": "relu", "pad_token_id": 0, "eos_token_id": 1, "decoder_start_token_id": 0}
        """

    @Test func t5BaseConfigIsReadWithTransformersDefaults() throws {
        let c = try config(t5Base)
        #expect(c.modelDim == 768 && c.headDim == 64 && c.heads == 12 && c.innerDim == 768)
        #expect(c.encoderLayers == 12 && c.decoderLayers == 12)  // num_decoder_layers defaults to num_layers
        #expect(c.feedForward == .relu && c.tieWordEmbeddings)
        #expect(c.relativeAttentionMaxDistance == 128 && c.layerNormEpsilon == 1e-6)
    }

    @Test func fixtureConfigsDescribeV1_0AndV1_1() throws {
        let v10 = try T5Config(contentsOf: fixture("tiny-t5-v1_0/config.json"))
        #expect(v10.feedForward == .relu && v10.tieWordEmbeddings && v10.decoderLayers == 2)
        let v11 = try T5Config(contentsOf: fixture("tiny-t5-v1_1/config.json"))
        #expect(v11.feedForward == T5Config.FeedForward(activation: .geluTanh, gated: true))
        #expect(!v11.tieWordEmbeddings && v11.encoderLayers == 2 && v11.decoderLayers == 3 && v11.innerDim == 24)
        #expect(v11.relativeAttentionBuckets == 8 && v11.relativeAttentionMaxDistance == 16)
    }

    @Test(arguments: [("relu", T5Config.FeedForward.relu), ("gated-gelu", .gatedGELU),
                      ("gelu", .init(activation: .gelu, gated: false)),
                      ("gated-relu", .init(activation: .relu, gated: true)),
                      ("gelu_new", .init(activation: .geluTanh, gated: false)),
                      ("gated-gelu_new", .init(activation: .geluTanh, gated: true))])
    func feedForwardKindsFollowTransformers(name: String, expected: T5Config.FeedForward) throws {
        let c = try config(t5Base.replacingOccurrences(of: "\"relu\"", with: "\"\(name)\""))
        #expect(c.feedForward == expected)
    }

    @Test(arguments: ["gated-silu", "swish", "gated-gelu-new", "relu-gated"])
    func unsupportedFeedForwardIsNamed(name: String) {
        #expect { try config(t5Base.replacingOccurrences(of: "\"relu\"", with: "\"\(name)\"")) }
            throws: { "\($0)".contains("feed_forward_proj") && "\($0)".contains(name) }
    }

    @Test func wronglyTypedFieldIsNamed() {
        #expect { try config(t5Base.replacingOccurrences(of: "\"d_model\": 768", with: "\"d_model\": \"768\"")) }
            throws: { "\($0)".contains("\"d_model\" must be an integer") }
        #expect { try config(t5Base.replacingOccurrences(of: "\"eos_token_id\": 1", with: "\"eos_token_id\": \"1\"")) }
            throws: { "\($0)".contains("\"eos_token_id\"") }
    }

    @Test func nonPositiveSizeIsNamed() {
        #expect { try config(t5Base.replacingOccurrences(of: "\"num_heads\": 12", with: "\"num_heads\": 0")) }
            throws: { "\($0)".contains("\"num_heads\" must be positive") }
        #expect { try config(t5Base.replacingOccurrences(of: "\"d_kv\": 64", with: "\"d_kv\": -1")) }
            throws: { "\($0)".contains("\"d_kv\" must be positive") }
    }

    @Test func otherModelTypeIsNamed() {
        #expect { try config(t5Base.replacingOccurrences(of: "\"t5\"", with: "\"bert\"")) }
            throws: { "\($0)".contains("model_type") && "\($0)".contains("bert") }
    }

    @Test func specialTokenOutsideTheVocabularyIsNamed() {
        #expect { try config(t5Base.replacingOccurrences(of: "\"decoder_start_token_id\": 0", with: "\"decoder_start_token_id\": 40000")) }
            throws: { "\($0)".contains("decoder_start_token_id") && "\($0)".contains("40000") }
    }

    @Test func eosListAndMissingStartTokenFollowTransformers() throws {
        let c = try config(t5Base.replacingOccurrences(of: "\"eos_token_id\": 1", with: "\"eos_token_id\": [1, 2]")
            .replacingOccurrences(of: ", \"decoder_start_token_id\": 0", with: "")
            .replacingOccurrences(of: "\"pad_token_id\": 0", with: "\"pad_token_id\": 3"))
        #expect(c.eosTokenId == 1 && c.padTokenId == 3 && c.decoderStartTokenId == 3)
    }

    @Test func untiedHeadIsReadFromTheConfig() throws {
        let c = try config(t5Base.replacingOccurrences(of: "\"num_layers\": 12", with: "\"num_layers\": 12, \"tie_word_embeddings\": false, \"num_decoder_layers\": 4"))
        #expect(!c.tieWordEmbeddings && c.decoderLayers == 4)
    }
}
