/// The knobs of a run that the training loop itself reads.
public struct TrainingOptions: Sendable, Equatable, Codable {
    /// Examples per optimizer step, over all ranks together.
    public var batchSize: Int = 32
    /// Examples per forward/backward on one rank (gradient accumulation below the global batch).
    public var microBatchSize: Int = 32
    public var steps: Int = 600
    public var promptLearningRate: Double = 0.3
    public var headLearningRate: Double = 5e-3
    /// DePT's second group: A and B (and ADePT's/EPT's low-rank parts).
    public var lowRankLearningRate: Double = 5e-4
    public var weightDecay: Double = 1e-5
    public var schedule: LearningRateSchedule = .constant
    /// Evaluate on the dev set every this many steps (0: only at the end).
    public var evalEvery: Int = 100
    public var evalBatchSize: Int = 64
    /// Text tokens per example ([CLS]/[SEP] included); the prompt comes on top.
    public var maxLength: Int = 128
    public var seed: UInt64 = 42
    public var logEvery: Int = 10

    public init() {}
}
