import SoftPromptDistributed
import SoftPromptMethods
import SoftPromptTasks
import SoftPromptTensor

/// What `TrainingSession` needs of a trainer, so one session runs the BERT trainer (`PromptTrainer`) and the T5
/// trainer (`Seq2SeqPromptTrainer`) alike: steps, θ and the optimizer state for checkpoints, evaluation outputs,
/// and the tensors the adapter export writes.
public protocol SessionTrainer: AnyObject {
    /// What an evaluation split hands the trainer to get one output per example (`outputs(for:)`).
    associatedtype Examples

    var options: TrainingOptions { get }
    var communicator: any Communicator { get }
    /// Optimizer steps taken; also the data cursor (global batch `step` is next).
    var step: Int { get }
    var theta: [Float] { get }
    var layout: ParameterLayout { get }
    var optimizer: AdamW { get }
    var trainableParameters: Int { get }
    /// Called after every evaluation chunk, so long evaluations still beat the launcher's heartbeat.
    var onEvaluationChunk: (() -> Void)? { get set }
    /// This rank's dropout stream in the frozen backbone, checkpointed per rank; nil when it runs without dropout.
    var dropoutRandom: RandomStream? { get set }

    /// One optimizer step on global batch `step`.
    func trainStep() throws -> StepReport
    /// One output per example with the current θ, the same on every rank (what the split's metrics read).
    func outputs(for examples: Examples) throws -> [Double]
    /// Continues from a checkpoint: θ, the optimizer state and the step.
    func restore(_ state: TrainingState) throws
    /// Replaces θ (e.g. to evaluate the best one seen).
    func load(theta values: [Float])
    /// The prompt P(θ) (n,d) for the PEFT adapter.
    func exportPrompt() -> Tensor
    /// The method's tensors of θ by their layout names (method.safetensors).
    func methodTensors(theta values: [Float]) -> [(name: String, tensor: Tensor)]
    /// The task head's tensors of θ (head.safetensors); empty when the backbone writes the answer itself (T5).
    func headTensors(theta values: [Float]) -> [(name: String, tensor: Tensor)]
}

extension PromptTrainer: SessionTrainer {
    public typealias Examples = [EncodedExample]

    public var dropoutRandom: RandomStream? {
        get { model.dropout?.random }
        set { if let newValue { model.dropout?.random = newValue } }
    }

    public func headTensors(theta values: [Float]) -> [(name: String, tensor: Tensor)] {
        values.withUnsafeBufferPointer { head.tensors(theta: $0.baseAddress!) }
    }
}
