import Foundation
import SoftPromptCheckpoint
import SoftPromptMethods
import SoftPromptTasks
import SoftPromptTraining

/// The fingerprints a checkpoint records, so that `--resume` refuses a checkpoint of a different run.
enum RunFingerprints {
    /// config.json, the safetensors size and its first MiB (the header: every tensor's name, shape and offset,
    /// and the first weights), hashed: reading the whole file would cost a second per start.
    static func model(_ directory: ModelDirectory) -> String {
        var hash = SHA256()
        hash.update((try? Data(contentsOf: directory.configURL)) ?? Data())
        if let handle = try? FileHandle(forReadingFrom: directory.weightsURL) {
            hash.update(String((try? handle.seekToEnd()) ?? 0))
            try? handle.seek(toOffset: 0)
            hash.update((try? handle.read(upToCount: 1 << 20)) ?? Data())
            try? handle.close()
        }
        return hash.finalize()
    }

    /// The task, its split and every encoded training example (ids, token types, label, score).
    static func data(task: String, split: String, train: [EncodedExample]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(train.reduce(0) { $0 + 8 * $1.ids.count + 16 })
        func append<T>(_ value: T) { withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) } }
        for e in train {
            append(Int32(e.ids.count))
            for id in e.ids { append(id) }
            for type in e.typeIds { append(type) }
            append(Int64(e.label))
            append(e.score.bitPattern)
        }
        var hash = SHA256()
        hash.update("\(task)\n\(split)\n")
        hash.update(bytes)
        return hash.finalize()
    }

    /// The method's name, options and the layout of θ.
    static func method(name: String, options: [String: Any], layout: ParameterLayout) -> String {
        let settings = options.keys.sorted().map { "\($0)=\(options[$0]!)" }.joined(separator: ",")
        let tensors = layout.specs.map { "\($0.name):\($0.shape.map(String.init).joined(separator: "x"))" }.joined(separator: ",")
        return "\(name) [\(settings)] θ{\(tensors)}"
    }
}
