import Foundation
import SoftPromptCheckpoint
import SoftPromptDistributed
import SoftPromptTensor

/// The checkpoints of a run, `<output>/checkpoints/step-00000120/`, written as llm.c does: rank 0 writes
/// state.safetensors (θ, AdamW moments, best θ), every rank writes rank-00001.json (data cursor, random state),
/// a barrier, then rank 0 writes COMPLETE.json with every file's SHA-256. Every file is written atomically
/// (temporary file, fsync, rename), so a crash leaves either a complete checkpoint or a folder without a
/// valid marker, which resuming skips. The output folder must be on a filesystem all ranks share.
public struct CheckpointStore: Sendable {
    public let directory: URL
    /// Complete checkpoints kept; older ones are deleted after each new one.
    public let keep: Int

    static let stateFile = "state.safetensors"
    static let markerFile = "COMPLETE.json"

    public init(directory: URL, keep: Int = 2) {
        self.directory = directory
        self.keep = max(1, keep)
    }

    /// The store of a run's output folder.
    public init(output: URL, keep: Int = 2) {
        self.init(directory: output.appendingPathComponent("checkpoints"), keep: keep)
    }

    public func folder(step: Int) -> URL {
        directory.appendingPathComponent(String(format: "step-%08d", step))
    }

    static func rankFile(_ rank: Int) -> String { String(format: "rank-%05d.json", rank) }

    /// Collective: every rank calls it at the same step. `state` is rank 0's (ignored elsewhere).
    @discardableResult
    public func write(state: TrainingState, rankState: RankState, fingerprint: RunFingerprint,
                      communicator: any Communicator) throws -> URL {
        let folder = folder(step: state.step)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            if communicator.rank == 0 { try Self.writeState(state, to: folder.appendingPathComponent(Self.stateFile)) }
            try AtomicFile.write(try JSONEncoder.sorted.encode(rankState),
                                 to: folder.appendingPathComponent(Self.rankFile(communicator.rank)))
        } catch {
            throw CheckpointError.cannotWrite(folder.path, "\(error)")
        }
        try communicator.barrier()
        if communicator.rank == 0 {
            let names = [Self.stateFile] + (0..<communicator.size).map(Self.rankFile)
            var files: [String: String] = [:]
            for name in names { files[name] = try Self.checksum(folder.appendingPathComponent(name)) }
            let marker = CheckpointMarker(step: state.step, fingerprint: fingerprint, files: files)
            do {
                try AtomicFile.write(try JSONEncoder.sorted.encode(marker), to: folder.appendingPathComponent(Self.markerFile))
            } catch {
                throw CheckpointError.cannotWrite(folder.path, "\(error)")
            }
            prune()
        }
        return folder
    }

    /// The newest checkpoint whose marker and checksums hold; torn or corrupt ones are reported through `warn`
    /// and skipped. Nil when there is none.
    public func newestComplete(warn: (String) -> Void) -> URL? {
        for folder in stepFolders().reversed() {
            switch validate(folder) {
            case .success: return folder
            case .failure(let error): warn("skipping \(error)")
            }
        }
        return nil
    }

    /// Reads a checkpoint for `rank`, after checking it is complete and was written by a run like this one.
    public func load(_ folder: URL, rank: Int, fingerprint: RunFingerprint) throws -> (TrainingState, RankState) {
        let marker = try validate(folder).get()
        if let why = fingerprint.mismatch(with: marker.fingerprint) { throw CheckpointError.mismatch(folder.path, why) }
        let state = try Self.readState(folder.appendingPathComponent(Self.stateFile))
        guard state.step == marker.step else { throw CheckpointError.unusable(folder.path, "state step \(state.step) ≠ marker step \(marker.step)") }
        let rankURL = folder.appendingPathComponent(Self.rankFile(rank))
        let rankState: RankState
        do { rankState = try JSONDecoder().decode(RankState.self, from: Data(contentsOf: rankURL)) } catch {
            throw CheckpointError.unusable(rankURL.path, "\(error)")
        }
        guard rankState.rank == rank else { throw CheckpointError.unusable(rankURL.path, "it belongs to rank \(rankState.rank)") }
        return (state, rankState)
    }

    /// The marker of a complete checkpoint, or why it is not one.
    func validate(_ folder: URL) -> Result<CheckpointMarker, CheckpointError> {
        let markerURL = folder.appendingPathComponent(Self.markerFile)
        guard let data = try? Data(contentsOf: markerURL) else {
            return .failure(.unusable(folder.path, "no \(Self.markerFile): the write did not finish"))
        }
        guard let marker = try? JSONDecoder().decode(CheckpointMarker.self, from: data) else {
            return .failure(.unusable(folder.path, "\(Self.markerFile) is not a checkpoint marker"))
        }
        for (name, expected) in marker.files.sorted(by: { $0.key < $1.key }) {
            let url = folder.appendingPathComponent(name)
            guard let actual = try? Self.checksum(url) else { return .failure(.unusable(folder.path, "\(name) is missing")) }
            guard actual == expected else {
                return .failure(.unusable(folder.path, "\(name) does not match its checksum (truncated or modified)"))
            }
        }
        guard marker.files[Self.stateFile] != nil else { return .failure(.unusable(folder.path, "the marker lists no \(Self.stateFile)")) }
        return .success(marker)
    }

    /// step-* folders, oldest first.
    func stepFolders() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix("step-"), let step = Int(name.dropFirst(5)) else { return nil }
            return (step, directory.appendingPathComponent(name))
        }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// Keeps the newest `keep` complete checkpoints; deletes older ones and torn folders older than the newest
    /// complete one (a torn folder newer than it may be another rank's write in progress: left alone).
    private func prune() {
        let folders = stepFolders()
        let complete = folders.filter { (try? validate($0).get()) != nil }
        guard let newest = complete.last else { return }
        let kept = Set(complete.suffix(keep).map(\.path))
        let newestIndex = folders.firstIndex(of: newest)!
        for (index, folder) in folders.enumerated() where index < newestIndex && !kept.contains(folder.path) {
            try? FileManager.default.removeItem(at: folder)
        }
    }

    // MARK: - Files

    static func checksum(_ url: URL) throws -> String {
        let data = try Data(contentsOf: url)
        var hash = SHA256()
        hash.update(data)
        return hash.finalize()
    }

    static func writeState(_ state: TrainingState, to url: URL) throws {
        var tensors: [(name: String, tensor: Tensor)] = [
            ("theta", Tensor(shape: [state.theta.count], values: state.theta)),
            ("adam.first_moment", Tensor(shape: [state.firstMoment.count], values: state.firstMoment)),
            ("adam.second_moment", Tensor(shape: [state.secondMoment.count], values: state.secondMoment)),
        ]
        var metadata = ["step": String(state.step), "optimizer_step": String(state.optimizerStep)]
        if let best = state.best {
            tensors.append(("best.theta", Tensor(shape: [best.theta.count], values: best.theta)))
            metadata["best.score"] = "\(best.score)"  // Swift prints the shortest string that reads back exactly
            metadata["best.step"] = String(best.step)
        }
        try SafetensorsWriter.write(tensors, metadata: metadata, to: url)
    }

    static func readState(_ url: URL) throws -> TrainingState {
        do {
            let file = try SafetensorsFile(url: url)
            func integer(_ key: String) throws -> Int {
                guard let value = file.metadata[key].flatMap(Int.init) else {
                    throw CheckpointError.unusable(url.path, "metadata \(key) is missing or not an integer")
                }
                return value
            }
            var best: TrainingState.BestTheta?
            if file.entries["best.theta"] != nil {
                guard let score = file.metadata["best.score"].flatMap(Double.init) else {
                    throw CheckpointError.unusable(url.path, "metadata best.score is missing or not a number")
                }
                best = .init(score: score, step: try integer("best.step"), theta: try file.tensor("best.theta").toArray())
            }
            let state = TrainingState(step: try integer("step"), theta: try file.tensor("theta").toArray(),
                                      optimizerStep: try integer("optimizer_step"),
                                      firstMoment: try file.tensor("adam.first_moment").toArray(),
                                      secondMoment: try file.tensor("adam.second_moment").toArray(), best: best)
            guard state.firstMoment.count == state.theta.count, state.secondMoment.count == state.theta.count else {
                throw CheckpointError.unusable(url.path, "θ and the AdamW moments differ in size")
            }
            return state
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw CheckpointError.unusable(url.path, "\(error)")
        }
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return encoder
    }
}
