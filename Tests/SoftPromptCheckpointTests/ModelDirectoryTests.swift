import Foundation
import SoftPromptCheckpoint
import Testing

@Suite struct ModelDirectoryTests {
    /// The summary of a model folder holding `config` and an empty weights file.
    func summary(config: String) throws -> ModelSummary {
        let dir = try TemporaryDirectory()
        try dir.file("config.json", bytes: Array(config.utf8))
        try SafetensorsWriter.write([], to: dir.path("model.safetensors"))
        return try withExtendedLifetime(dir) { try ModelDirectory(dir.url).summary() }
    }

    @Test func bertConfigIsSummarised() throws {
        let summary = try summary(config: """
            {"model_type": "bert", "num_hidden_layers": 6, "hidden_size": 384, "num_attention_heads": 12,
             "intermediate_size": 1536, "vocab_size": 30522, "hidden_act": "gelu"}
            """)
        #expect(summary == ModelSummary(modelType: "bert", layers: 6, decoderLayers: nil, hiddenSize: 384,
                                        heads: 12, feedForwardSize: 1536, vocabularySize: 30522))
    }

    @Test func t5ConfigIsSummarisedWithItsDecoder() throws {
        let summary = try summary(config: """
            {"model_type": "t5", "num_layers": 12, "num_decoder_layers": 12, "d_model": 768, "num_heads": 12,
             "d_ff": 2048, "vocab_size": 32128}
            """)
        #expect(summary.layers == 12 && summary.decoderLayers == 12 && summary.hiddenSize == 768)
    }

    @Test func wronglyTypedFieldIsNamed() {
        #expect {
            try summary(config: """
                {"model_type": "bert", "num_hidden_layers": "six", "hidden_size": 384, "num_attention_heads": 12,
                 "intermediate_size": 1536, "vocab_size": 30522}
                """)
        } throws: { "\($0)".contains("\"num_hidden_layers\" must be an integer") }
    }

    @Test func missingFieldIsNamed() {
        #expect { try summary(config: #"{"model_type": "bert", "num_hidden_layers": 6}"#) }
            throws: { "\($0)".contains("missing field \"hidden_size\"") && "\($0)".contains("config.json") }
    }

    @Test func folderWithoutWeightsIsRejected() throws {
        let dir = try TemporaryDirectory()
        try dir.file("config.json", bytes: Array("{}".utf8))
        #expect { try ModelDirectory(dir.url) } throws: { "\($0)".contains("model.safetensors") }
    }
}
