import Foundation
import SoftPromptCheckpoint
import SoftPromptMethods
import SoftPromptTensor

/// The files of a run under `--output DIR`: config.json (the resolved run configuration), metrics.jsonl (one
/// JSON object per line, flushed as written), summary.json at the end, and the exported adapters. Only the
/// writer (rank 0) touches the disk; whole files are written atomically.
public final class RunOutput {
    public let directory: URL
    public let isWriter: Bool
    private var metrics: FileHandle?

    /// `resuming`: keep the metrics.jsonl of the run being continued (see `rewindMetrics`) instead of starting
    /// a new one.
    public init(directory: URL, isWriter: Bool, resuming: Bool = false) throws {
        self.directory = directory
        self.isWriter = isWriter
        guard isWriter else { return }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let url = directory.appendingPathComponent("metrics.jsonl")
            if !resuming || !FileManager.default.fileExists(atPath: url.path) {
                _ = FileManager.default.createFile(atPath: url.path, contents: nil)  // a failure surfaces just below
            }
            metrics = try FileHandle(forWritingTo: url)
            try metrics?.seekToEnd()
        } catch {
            throw RunOutputError.cannotWrite(directory.path, error.localizedDescription)
        }
    }

    deinit { try? metrics?.close() }

    public func writeConfig(_ config: [String: Any]) throws {
        try writeJSON(config, to: "config.json")
    }

    public func writeSummary(_ summary: [String: Any]) throws {
        try writeJSON(summary, to: "summary.json")
    }

    /// Drops the metrics.jsonl records of steps after `step` (a resumed run repeats them), keeping the earlier
    /// ones; the file is rewritten atomically and appended to from then on.
    public func rewindMetrics(toStep step: Int) throws {
        guard isWriter else { return }
        let url = directory.appendingPathComponent("metrics.jsonl")
        do {
            try metrics?.close()
            let lines = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            let kept = lines.split(separator: "\n").filter { line in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return false }
                return (object["step"] as? Int ?? 0) <= step
            }
            try AtomicFile.write(Data(kept.map { $0 + "\n" }.joined().utf8), to: url)
            metrics = try FileHandle(forWritingTo: url)
            try metrics?.seekToEnd()
        } catch {
            throw RunOutputError.cannotWrite(url.path, "\(error)")
        }
    }

    /// Appends one record to metrics.jsonl.
    public func log(_ record: [String: Any]) {
        guard isWriter, let metrics, let data = try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        else { return }
        metrics.write(data + Data("\n".utf8))
    }

    /// A PEFT prompt-tuning adapter (adapter_config.json + adapter_model.safetensors with `prompt_embeddings`,
    /// the materialised prompt P(θ)) plus our head (head.safetensors; none for T5) and the method's own parameters
    /// (method.safetensors: every θ tensor by its layout name, e.g. `dept.A`, `dept.B`; metadata `method` and
    /// the options), which methods with an input offset (DePT, ADePT, EPT-like) need at inference. Returns the folder.
    @discardableResult
    public func writeAdapter(named name: String, prompt: Tensor, head: [(name: String, tensor: Tensor)],
                             method: [(name: String, tensor: Tensor)] = [], methodMetadata: [String: String] = [:],
                             peftConfig: [String: Any]) throws -> URL {
        let folder = directory.appendingPathComponent(name)
        guard isWriter else { return folder }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try SafetensorsWriter.write([("prompt_embeddings", prompt)], metadata: ["format": "pt"],
                                        to: folder.appendingPathComponent("adapter_model.safetensors"))
            if !head.isEmpty {  // T5 has no head: its decoder writes the answer
                try SafetensorsWriter.write(head, metadata: ["format": "pt"], to: folder.appendingPathComponent("head.safetensors"))
            }
            if !method.isEmpty {
                try SafetensorsWriter.write(method, metadata: methodMetadata, to: folder.appendingPathComponent("method.safetensors"))
            }
            try AtomicFile.write(try json(peftConfig), to: folder.appendingPathComponent("adapter_config.json"))
        } catch let error as RunOutputError {
            throw error
        } catch {
            throw RunOutputError.cannotWrite(folder.path, "\(error)")
        }
        return folder
    }

    /// The flat θ buffer (theta.safetensors, tensor `theta`), its layout in the metadata: the exact final state,
    /// for comparisons between runs and for resuming.
    public func writeTheta(_ theta: [Float], layout: ParameterLayout) throws {
        guard isWriter else { return }
        let url = directory.appendingPathComponent("theta.safetensors")
        let description = layout.specs.map { "\($0.name):\($0.group.rawValue):\($0.offset):\($0.shape.map(String.init).joined(separator: "x"))" }
        do {
            try SafetensorsWriter.write([("theta", Tensor(shape: [theta.count], values: theta))],
                                        metadata: ["layout": description.joined(separator: ",")], to: url)
        } catch { throw RunOutputError.cannotWrite(url.path, "\(error)") }
    }

    private func writeJSON(_ object: [String: Any], to name: String) throws {
        guard isWriter else { return }
        let url = directory.appendingPathComponent(name)
        do { try AtomicFile.write(try json(object), to: url) } catch { throw RunOutputError.cannotWrite(url.path, "\(error)") }
    }

    private func json(_ object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
    }
}

public enum RunOutputError: Error, CustomStringConvertible {
    case cannotWrite(String, String)
    public var description: String {
        switch self { case let .cannotWrite(path, why): return "\(path): cannot write (\(why))" }
    }
}
