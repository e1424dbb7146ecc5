import ArgumentParser
import Foundation
import SoftPromptCheckpoint
import SoftPromptDistributed

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

        if json {
            var object: [String: Any] = [
                "path": directory.url.path, "model_type": summary.modelType, "layers": summary.layers,
                "hidden_size": summary.hiddenSize, "heads": summary.heads, "ffn_size": summary.feedForwardSize,
                "vocab_size": summary.vocabularySize, "parameters": parameters, "tensors": weights.entries.count,
                "dtypes": weights.dtypeCounts, "ranks": ranks,
            ]
            if let decoderLayers = summary.decoderLayers { object["decoder_layers"] = decoderLayers }
            try printJSON(object)
            return
        }
        let dtypes = weights.dtypeCounts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        var lines = [
            ("model", directory.url.path),
            ("type", summary.modelType),
            ("layers", summary.decoderLayers.map { "\(summary.layers) encoder + \($0) decoder" } ?? "\(summary.layers)"),
            ("hidden", "d=\(summary.hiddenSize), \(summary.heads) heads, feed-forward \(summary.feedForwardSize)"),
            ("vocabulary", "\(summary.vocabularySize)"),
            ("tensors", "\(weights.entries.count) (\(dtypes.joined(separator: ", ")))"),
            ("parameters", "\(groupedThousands(parameters)) (\(String(format: "%.1f", Double(parameters) / 1e6))M)"),
        ]
        if ranks > 1 { lines.append(("ranks", "\(ranks), each mapped the weights and counted the same parameters")) }
        for (key, value) in lines { print(key.padding(toLength: 12, withPad: " ", startingAt: 0) + value) }
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
