import Foundation

/// A model in the Hugging Face layout: `config.json`, `model.safetensors`, and usually `tokenizer.json`.
public struct ModelDirectory: Sendable {
    public let url: URL
    public var configURL: URL { url.appendingPathComponent("config.json") }
    public var weightsURL: URL { url.appendingPathComponent("model.safetensors") }
    public var tokenizerURL: URL { url.appendingPathComponent("tokenizer.json") }

    /// Checks that the directory holds a config and safetensors weights.
    public init(_ url: URL) throws(ModelDirectoryError) {
        self.url = url
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .notADirectory(url.path)
        }
        for file in [configURL, weightsURL] where !FileManager.default.fileExists(atPath: file.path) {
            throw .missingFile(file.path)
        }
    }

    /// The architecture-independent facts `softprompt inspect` prints.
    public func summary() throws(ModelDirectoryError) -> ModelSummary {
        let path = configURL.path
        let config: ConfigFields
        do { config = try ConfigFile.decode(ConfigFields.self, from: configURL) } catch {
            throw .invalidConfig(path, error.problem)
        }
        func required(_ values: [(String, Int?)]) throws(ModelDirectoryError) -> Int {
            for (_, value) in values { if let value { return value } }
            let names = values.map(\.0).joined(separator: "\" or \"")
            throw .invalidConfig(path, "missing field \"\(names)\"")
        }
        guard let modelType = config.model_type else { throw .invalidConfig(path, "missing field \"model_type\"") }
        let summary: ModelSummary
        if modelType == "t5" || modelType == "mt5" {
            let layers = try required([("num_layers", config.num_layers)])
            summary = ModelSummary(modelType: modelType, layers: layers,
                                   decoderLayers: config.num_decoder_layers ?? layers,
                                   hiddenSize: try required([("d_model", config.d_model)]),
                                   heads: try required([("num_heads", config.num_heads)]),
                                   feedForwardSize: try required([("d_ff", config.d_ff)]),
                                   vocabularySize: try required([("vocab_size", config.vocab_size)]))
        } else {
            summary = ModelSummary(modelType: modelType,
                                   layers: try required([("num_hidden_layers", config.num_hidden_layers)]),
                                   decoderLayers: nil,
                                   hiddenSize: try required([("hidden_size", config.hidden_size)]),
                                   heads: try required([("num_attention_heads", config.num_attention_heads)]),
                                   feedForwardSize: try required([("intermediate_size", config.intermediate_size)]),
                                   vocabularySize: try required([("vocab_size", config.vocab_size)]))
        }
        for (name, value) in [("layers", summary.layers), ("hidden size", summary.hiddenSize),
                              ("heads", summary.heads), ("vocab_size", summary.vocabularySize)] where value <= 0 {
            throw .invalidConfig(path, "\(name) must be positive, found \(value)")
        }
        return summary
    }
}

/// The config.json fields of BERT-family and T5 models that the summary reads (snake_case as in the file).
private struct ConfigFields: Decodable {
    var model_type: String?
    var num_hidden_layers: Int?, hidden_size: Int?, num_attention_heads: Int?, intermediate_size: Int?
    var num_layers: Int?, num_decoder_layers: Int?, d_model: Int?, num_heads: Int?, d_ff: Int?
    var vocab_size: Int?
}

public struct ModelSummary: Sendable, Equatable {
    public var modelType: String
    public var layers: Int
    public var decoderLayers: Int?
    public var hiddenSize: Int
    public var heads: Int
    public var feedForwardSize: Int
    public var vocabularySize: Int

    public init(modelType: String, layers: Int, decoderLayers: Int?, hiddenSize: Int, heads: Int,
                feedForwardSize: Int, vocabularySize: Int) {
        self.modelType = modelType
        self.layers = layers
        self.decoderLayers = decoderLayers
        self.hiddenSize = hiddenSize
        self.heads = heads
        self.feedForwardSize = feedForwardSize
        self.vocabularySize = vocabularySize
    }
}

public enum ModelDirectoryError: Error, CustomStringConvertible {
    case notADirectory(String)
    case missingFile(String)
    case unreadable(String, String)
    case invalidConfig(String, String)

    public var description: String {
        switch self {
        case .notADirectory(let path): return "\(path): not a model directory (expected a folder with config.json and model.safetensors)"
        case .missingFile(let path): return "\(path): missing (a Hugging Face model folder needs config.json and model.safetensors)"
        case let .unreadable(path, why): return "\(path): cannot read: \(why)"
        case let .invalidConfig(path, why): return "\(path): \(why)"
        }
    }
}
