import SoftPromptTensor

/// What a prompt method may read to initialise itself: the frozen vocabulary embeddings, the tokenizer (for
/// text and class-label initialisation) and a random stream of its own.
public struct InitializationContext {
    /// The frozen word-embedding table (V,d), Float32, row-major.
    public let embeddings: UnsafePointer<Float>
    public let vocabularySize: Int
    public let width: Int
    /// Ids never used to initialise a prompt ([CLS], [SEP], [PAD], [MASK], [UNK], …).
    public let specialIds: Set<Int32>
    /// Word-piece ids of a text, without special tokens.
    public let tokenize: (String) -> [Int32]
    public var random: RandomStream

    public init(embeddings: UnsafePointer<Float>, vocabularySize: Int, width: Int, specialIds: Set<Int32>,
                tokenize: @escaping (String) -> [Int32], random: RandomStream) {
        self.embeddings = embeddings
        self.vocabularySize = vocabularySize
        self.width = width
        self.specialIds = specialIds
        self.tokenize = tokenize
        self.random = random
    }

    /// The embedding row of a token id.
    public func row(_ id: Int32) -> UnsafePointer<Float> { embeddings + Int(id) * width }
}

/// A way of producing the soft prompt from trainable parameters (DESIGN.md §4, methods.md).
///
/// A method owns named views into the flat θ buffer; it turns θ into the prompt P (n,d) prepended to the
/// encoder input and, for DePT-like methods, an offset added to the input token embeddings; its backward maps
/// dL/dP (and dL/d offset) to dL/dθ. A method knows nothing of models, ranks or tasks.
public protocol PromptMethod: AnyObject, Sendable {
    /// Short name as on the command line (`pt`, `residual`, …).
    var name: String { get }
    /// Rows prepended to the encoder input.
    var promptLength: Int { get }
    var width: Int { get }
    /// Declares the method's tensors in `layout` (called once, before anything else).
    func declare(in layout: inout ParameterLayout)
    /// Sets up frozen state every rank must hold identically (e.g. SuperPos's sampled embeddings); called on
    /// every rank with the same context, before `initialize`.
    func prepare(context: InitializationContext) throws
    /// Writes initial values into the method's part of θ (on rank 0; θ is then broadcast).
    func initialize(theta: UnsafeMutablePointer<Float>, context: inout InitializationContext) throws
    /// prompt (n,d) ← P(θ).
    func materialize(theta: UnsafePointer<Float>, prompt: UnsafeMutablePointer<Float>)
    /// gradient += dL/dθ given dPrompt (n,d) = dL/dP. `gradient` is the whole flat gradient buffer.
    func backward(theta: UnsafePointer<Float>, dPrompt: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>)

    /// Whether the method adds an offset to the input token embeddings before the prompt is prepended (DePT,
    /// ADePT, EPT). The model only sees the sum; its input gradient there is the offset's gradient.
    var offsetsInputEmbeddings: Bool { get }
    /// embeddings[b][j] += offset for the text rows of a batch: row j of example b is at
    /// `embeddings + b·rowStride + j·d`, j < length. `training` turns on a method's own dropout (ADePT).
    func applyInputOffset(theta: UnsafePointer<Float>, embeddings: UnsafeMutablePointer<Float>, batch: Int, length: Int,
                          rowStride: Int, training: Bool)
    /// gradient += dL/dθ through the offset, given dL/d(embeddings) laid out as in `applyInputOffset`, for the
    /// batch of the latest `applyInputOffset`.
    func inputOffsetBackward(theta: UnsafePointer<Float>, dEmbeddings: UnsafePointer<Float>, batch: Int, length: Int,
                             rowStride: Int, gradient: UnsafeMutablePointer<Float>)
}

extension PromptMethod {
    public func prepare(context: InitializationContext) throws {}

    /// materialize for methods whose prompt is a plain (n,d) block of θ at `offset` (PT, DePT, ADePT).
    func copyPlainPrompt(theta: UnsafePointer<Float>, offset: Int, into prompt: UnsafeMutablePointer<Float>) {
        prompt.update(from: theta + offset, count: promptLength * width)
    }

    /// backward for the same: the prompt's gradient is dP itself.
    func addPlainPromptGradient(_ dPrompt: UnsafePointer<Float>, offset: Int, to gradient: UnsafeMutablePointer<Float>) {
        let g = gradient + offset
        for i in 0..<promptLength * width { g[i] += dPrompt[i] }
    }

    public var offsetsInputEmbeddings: Bool { false }
    public func applyInputOffset(theta: UnsafePointer<Float>, embeddings: UnsafeMutablePointer<Float>, batch: Int,
                                 length: Int, rowStride: Int, training: Bool) {}
    public func inputOffsetBackward(theta: UnsafePointer<Float>, dEmbeddings: UnsafePointer<Float>, batch: Int,
                                    length: Int, rowStride: Int, gradient: UnsafeMutablePointer<Float>) {}

    /// The prompt to store for inference (the PEFT adapter): P(θ).
    public func exportPrompt(theta: UnsafePointer<Float>) -> Tensor {
        let prompt = Tensor(zeros: [promptLength, width])
        materialize(theta: theta, prompt: prompt.pointer)
        return prompt
    }
}

public enum PromptMethodError: Error, CustomStringConvertible, Equatable {
    case notEnoughVocabulary(needed: Int, available: Int)
    case emptyInitializationText(String)

    public var description: String {
        switch self {
        case let .notEnoughVocabulary(needed, available):
            return "prompt initialisation needs \(needed) distinct vocabulary rows, only \(available) are eligible"
        case .emptyInitializationText(let text):
            return "initialisation text \"\(text)\" has no tokens"
        }
    }
}
