import ArgumentParser
import Foundation
import SoftPromptCheckpoint
import SoftPromptDistributed
import SoftPromptModels

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarise a Hugging Face model folder: architecture, tensors, parameters, dtypes.",
        discussion: "Under mpirun every rank maps the weights and rank 0 prints, with the ranks' agreement checked.")

    @Option(help: "Model folder (config.json, model.safetensors). Default: the installed MiniLM.")
    var model: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let directory = try ModelDirectory(try ModelLocator.resolve(model))
        let summary = try directory.summary()
        let weights = try SafetensorsFile(url: directory.weightsURL)
        let parameters = weights.parameterCount

        var ranks = 1
        if LaunchEnvironment.isUnderMPI {
            let mpi = try MPIRuntime.shared()
            ranks = mpi.size
            // Every rank mapped the same file: check they all count the same parameters.
            var counts = [Int64](repeating: 0, count: mpi.size)
            try [Int64(parameters)].withUnsafeBufferPointer { mine in
                try counts.withUnsafeMutableBufferPointer { try mpi.allgather(mine, into: $0) }
            }
            guard counts.allSatisfy({ $0 == Int64(parameters) }) else {
                throw InspectError.ranksDisagree(counts)
            }
            try mpi.finalize()
            if mpi.rank != 0 { return }
        }

        // T5 facts the summary does not hold: how the head and the feed-forward are built.
        let t5 = try Backbone.of(directory) == .t5 ? T5Config(contentsOf: directory.configURL) : nil
        let architecture = Self.architecture(directory) ?? summary.modelType
        let feedForward = t5.map { ($0.feedForward.gated ? "gated-" : "") + $0.feedForward.activation.rawValue }

        if json {
            var object: [String: Any] = [
                "architecture": architecture,
                "path": directory.url.path, "model_type": summary.modelType, "layers": summary.layers,
                "hidden_size": summary.hiddenSize, "heads": summary.heads, "ffn_size": summary.feedForwardSize,
                "vocab_size": summary.vocabularySize, "parameters": parameters, "tensors": weights.entries.count,
                "dtypes": weights.dtypeCounts, "ranks": ranks,
            ]
            if let decoderLayers = summary.decoderLayers { object["decoder_layers"] = decoderLayers }
            if let t5, let feedForward {
                object["tied_word_embeddings"] = t5.tieWordEmbeddings
                object["feed_forward"] = feedForward
                object["head_dim"] = t5.headDim
            }
            try printJSON(object)
            return
        }
        let dtypes = weights.dtypeCounts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        var lines = [
            ("model", directory.url.path),
            ("type", summary.modelType),
            ("architecture", architecture),
            ("layers", summary.decoderLayers.map { "\(summary.layers) encoder + \($0) decoder" } ?? "\(summary.layers)"),
            ("hidden", "d=\(summary.hiddenSize), \(summary.heads) heads, feed-forward \(summary.feedForwardSize)"),
            ("vocabulary", "\(summary.vocabularySize)"),
            ("tensors", "\(weights.entries.count) (\(dtypes.joined(separator: ", ")))"),
            ("parameters", "\(groupedThousands(parameters)) (\(String(format: "%.1f", Double(parameters) / 1e6))M)"),
        ]
        if let t5, let feedForward {
            lines.insert(("lm head", t5.tieWordEmbeddings ? "tied to the shared embeddings (scaled by d^-0.5, T5 v1.0)"
                                                        : "untied lm_head (T5 v1.1 / Flan-T5 / mT5)"), at: 5)
            lines.insert(("attention", "\(t5.heads) heads × d_kv \(t5.headDim), \(t5.relativeAttentionBuckets) relative-position buckets"), at: 6)
            lines.insert(("ffn", "\(feedForward), d_ff \(t5.feedForwardDim)"), at: 7)
        }
        if ranks > 1 { lines.append(("ranks", "\(ranks), each mapped the weights and counted the same parameters")) }
        for (key, value) in lines { print(key.padding(toLength: 14, withPad: " ", startingAt: 0) + value) }
    }
}

extension Inspect {
    /// The first entry of config.json's `architectures`, if any.
    static func architecture(_ directory: ModelDirectory) -> String? {
        guard let data = try? Data(contentsOf: directory.configURL),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return (object["architectures"] as? [String])?.first
    }
}

enum InspectError: Error, CustomStringConvertible {
    case ranksDisagree([Int64])

    var description: String {
        switch self {
        case .ranksDisagree(let counts):
            return "ranks counted different parameters (\(counts.map(String.init).joined(separator: ", "))): "
                + "they do not see the same model file"
        }
    }
}

/// 22713216 → "22,713,216".
func groupedThousands(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return value < 0 ? "-" + out : out
}
