import Foundation
import SoftPromptCheckpoint
import SoftPromptTensor

/// What identifies a run for resuming: a checkpoint is only resumed by a run with the same world size (the
/// data shards and the summation order depend on it), method (the layout of θ), model and data.
public struct RunFingerprint: Sendable, Equatable, Codable {
    public var worldSize: Int
    public var method: String
    public var model: String
    public var data: String

    public init(worldSize: Int, method: String, model: String, data: String) {
        self.worldSize = worldSize
        self.method = method
        self.model = model
        self.data = data
    }

    /// Why `other` (a checkpoint's fingerprint) cannot be resumed by this run; nil when it can.
    public func mismatch(with other: RunFingerprint) -> String? {
        if other.worldSize != worldSize {
            return "it was written by \(other.worldSize) rank(s) and this run has \(worldSize); resume with --np \(other.worldSize)"
        }
        if other.method != method { return "its method is \(other.method), this run's is \(method)" }
        if other.model != model { return "it was trained on another model (fingerprint \(other.model.prefix(12)), this run's \(model.prefix(12)))" }
        if other.data != data { return "it was trained on other data (fingerprint \(other.data.prefix(12)), this run's \(data.prefix(12)))" }
        return nil
    }
}

/// Rank 0's part of a checkpoint: θ, AdamW's state, the step (the data cursor: global batch k is a pure function
/// of the seed and k, and the schedule of the step), and the session's best θ so far.
public struct TrainingState: Sendable, Equatable {
    public var step: Int
    public var theta: [Float]
    public var optimizerStep: Int
    public var firstMoment: [Float]
    public var secondMoment: [Float]
    public var best: BestTheta?

    public struct BestTheta: Sendable, Equatable {
        public var score: Double
        public var step: Int
        public var theta: [Float]
        public init(score: Double, step: Int, theta: [Float]) {
            self.score = score
            self.step = step
            self.theta = theta
        }
    }

    public init(step: Int, theta: [Float], optimizerStep: Int, firstMoment: [Float], secondMoment: [Float], best: BestTheta?) {
        self.step = step
        self.theta = theta
        self.optimizerStep = optimizerStep
        self.firstMoment = firstMoment
        self.secondMoment = secondMoment
        self.best = best
    }
}

extension TrainingState {
    /// Puts this state into a trainer's θ, optimizer and step, after checking it fits θ's layout.
    func apply(theta: inout [Float], optimizer: inout AdamW, step: inout Int) throws {
        guard self.theta.count == theta.count else {
            throw CheckpointError.unusable("θ", "it has \(self.theta.count) values, this run's layout \(theta.count)")
        }
        theta = self.theta
        optimizer.restore(step: optimizerStep, firstMoment: firstMoment, secondMoment: secondMoment)
        step = self.step
    }
}

/// Each rank's own part: where its data stream stands and its random state (backbone dropout).
public struct RankState: Sendable, Equatable, Codable {
    public var rank: Int
    /// The next global batch this rank reads.
    public var dataCursor: Int
    /// xoshiro state words of the rank's dropout stream, as decimal strings (JSON numbers lose 64-bit words).
    public var dropoutState: [String]?

    public init(rank: Int, dataCursor: Int, dropoutState: [UInt64]?) {
        self.rank = rank
        self.dataCursor = dataCursor
        self.dropoutState = dropoutState?.map { String($0) }
    }

    public var dropoutWords: [UInt64]? { dropoutState?.compactMap { UInt64($0) } }
}

/// The completion marker: written by rank 0 last, after every rank's files are on disk, with their checksums.
/// A checkpoint folder without it, or whose files do not match it, is torn and never resumed.
struct CheckpointMarker: Codable, Equatable {
    var step: Int
    var fingerprint: RunFingerprint
    /// File name → SHA-256 (hex) of its bytes.
    var files: [String: String]
}

public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case noCheckpoint(String)
    case unusable(String, String)
    case mismatch(String, String)
    case cannotWrite(String, String)

    public var description: String {
        switch self {
        case .noCheckpoint(let path): return "\(path): no complete checkpoint to resume from"
        case let .unusable(path, why): return "\(path): not a usable checkpoint (\(why))"
        case let .mismatch(path, why): return "\(path): cannot resume this run from it: \(why)"
        case let .cannotWrite(path, why): return "\(path): cannot write the checkpoint (\(why))"
        }
    }
}
