import Foundation
import SoftPromptModels
import Testing

@Suite struct BertConfigTests {
    func config(_ json: String) throws -> BertConfig {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bert-config-\(UUID().uuidString).json")
        try Data(json.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try BertConfig(contentsOf: url)
    }

    let valid = """
        {"model_type": "bert", "vocab_size": 30522, "hidden_size": 384, "num_hidden_layers": 6,
         "num_attention_heads": 12, "intermediate_size": 1536, "hidden_act": "gelu", "layer_norm_eps": 1e-12,
         "max_position_embeddings": 512, "type_vocab_size": 2}
        """

    @Test func miniLMConfigIsRead() throws {
        let c = try config(valid)
        #expect(c.hiddenSize == 384 && c.layers == 6 && c.heads == 12 && c.headDim == 32 && c.activation == .gelu)
    }

    @Test func missingFieldIsNamed() {
        #expect { try config(valid.replacingOccurrences(of: "\"num_hidden_layers\": 6,", with: "")) }
            throws: { "\($0)".contains("missing field \"num_hidden_layers\"") }
    }

    @Test func wronglyTypedFieldIsNamed() {
        #expect { try config(valid.replacingOccurrences(of: "\"hidden_size\": 384", with: "\"hidden_size\": \"384\"")) }
            throws: { "\($0)".contains("\"hidden_size\" must be an integer") }
    }

    @Test func unsupportedActivationIsNamed() {
        #expect { try config(valid.replacingOccurrences(of: "\"gelu\"", with: "\"swish\"")) }
            throws: { "\($0)".contains("hidden_act") && "\($0)".contains("swish") }
    }

    @Test func headsMustDivideTheWidth() {
        #expect { try config(valid.replacingOccurrences(of: "\"num_attention_heads\": 12", with: "\"num_attention_heads\": 7")) }
            throws: { "\($0)".contains("multiple") }
    }
}
