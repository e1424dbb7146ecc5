import SoftPromptTensor

/// The encoder input of a prompted batch, laid out as PEFT lays it out (methods.md §7.1):
/// inputs_embeds = [P; E(ids)], token types [0; t], attention mask [1; m], positions 0…n+L−1.
/// Storage is allocated once for a capacity and reused by every batch that fits (`resize`).
public final class PromptedBatch<S: KernelScalar>: @unchecked Sendable {
    public private(set) var batch: Int, textLength: Int
    public let promptLength: Int, width: Int
    public let batchCapacity: Int, textLengthCapacity: Int
    public var length: Int { promptLength + textLength }
    public let inputsEmbeds: UnsafeMutablePointer<S>   // (B, n+L, d)
    public let dInputsEmbeds: UnsafeMutablePointer<S>  // (B, n+L, d), filled by the encoder's backward
    public private(set) var typeIds: [Int32]           // (B, n+L)
    public private(set) var attentionMask: [Int32]     // (B, n+L)

    public init(batch: Int, promptLength: Int, textLength: Int, width: Int) {
        self.batch = batch
        self.promptLength = promptLength
        self.textLength = textLength
        self.width = width
        batchCapacity = batch
        textLengthCapacity = textLength
        let count = batch * (promptLength + textLength) * width
        inputsEmbeds = .allocate(capacity: max(count, 1))
        inputsEmbeds.initialize(repeating: 0, count: max(count, 1))
        dInputsEmbeds = .allocate(capacity: max(count, 1))
        dInputsEmbeds.initialize(repeating: 0, count: max(count, 1))
        typeIds = Array(repeating: 0, count: batch * (promptLength + textLength))
        attentionMask = Array(repeating: 1, count: batch * (promptLength + textLength))
    }

    /// Uses the storage for a smaller batch: (batch ≤ capacity, textLength ≤ capacity).
    public func resize(batch: Int, textLength: Int) {
        precondition(batch <= batchCapacity && textLength <= textLengthCapacity,
                     "batch (\(batch), \(textLength)) exceeds capacity (\(batchCapacity), \(textLengthCapacity))")
        self.batch = batch
        self.textLength = textLength
    }

    deinit {
        inputsEmbeds.deallocate()
        dInputsEmbeds.deallocate()
    }

    /// Fills the batch from the prompt (n,d) and the tokenized text: ids, typeIds, mask (B,L).
    @_specialize(exported: true, where S == Float)
    public func fill(prompt: UnsafePointer<S>, ids: UnsafePointer<Int32>, typeIds textTypes: UnsafePointer<Int32>,
                     attentionMask textMask: UnsafePointer<Int32>, embedding model: BertEncoder<S>) throws {
        let (n, l, d, t) = (promptLength, textLength, width, length)
        for b in 0..<batch {
            let row = inputsEmbeds + b * t * d
            row.update(from: prompt, count: n * d)
            try model.embedTokens(ids: ids + b * l, count: l, into: row + n * d)
            for j in 0..<t {
                typeIds[b * t + j] = j < n ? 0 : textTypes[b * l + j - n]
                attentionMask[b * t + j] = j < n ? 1 : textMask[b * l + j - n]
            }
        }
    }

    /// dPrompt (n,d) += Σ over the batch of the gradient at the prompt rows.
    @_specialize(exported: true, where S == Float)
    public func accumulatePromptGradient(into dPrompt: UnsafeMutablePointer<S>) {
        let (n, d, t) = (promptLength, width, length)
        for b in 0..<batch {
            let rows = dInputsEmbeds + b * t * d
            for i in 0..<n * d { dPrompt[i] += rows[i] }
        }
    }

    /// Runs the encoder on this batch and returns its last hidden state (B, n+L, d). A caller that reads only
    /// the text rows (`readsPromptOutputs: false`: a head pooling the text) lets the encoder skip the last layer's
    /// work for the prompt rows (`BertEncoder.forward(unreadPrefix:)`); their hidden state is then unspecified
    /// and the backward ignores their gradient. `inference`: evaluation or prediction, no backward to follow
    /// (`BertEncoder.forward(inference:)`: no dropout, no training caches).
    @_specialize(exported: true, where S == Float)
    public func forward(_ model: BertEncoder<S>, readsPromptOutputs: Bool = true, inference: Bool = false) throws -> UnsafePointer<S> {
        try typeIds.withUnsafeBufferPointer { types in
            try attentionMask.withUnsafeBufferPointer { mask in
                try model.forward(inputsEmbeds: inputsEmbeds, typeIds: types.baseAddress!,
                                  attentionMask: mask.baseAddress!, batch: batch, length: length,
                                  unreadPrefix: readsPromptOutputs ? 0 : promptLength, inference: inference)
            }
        }
    }

    /// Backward of the latest `forward` when only the prompt's gradient is wanted: dPrompt (n,d) += Σ over the
    /// batch of ∂L/∂(prompt rows), from dLastHidden (B, n+L, d). Every sequence starts with the same prompt, so the
    /// encoder sums over the batch inside its first layer and computes no text row's input gradient
    /// (`BertEncoder.backwardToSharedPrefix`); `dInputsEmbeds` is its scratch.
    @_specialize(exported: true, where S == Float)
    public func backwardToPrompt(_ model: BertEncoder<S>, dLastHidden: UnsafePointer<S>,
                                 accumulatingInto dPrompt: UnsafeMutablePointer<S>) {
        model.backwardToSharedPrefix(promptLength, dLastHidden: dLastHidden, dInputsEmbeds: dInputsEmbeds)
        for i in 0..<promptLength * width { dPrompt[i] += dInputsEmbeds[i] }
    }

    /// Backward of the latest `forward`: fills `dInputsEmbeds` from dLastHidden (B, n+L, d).
    @_specialize(exported: true, where S == Float)
    public func backward(_ model: BertEncoder<S>, dLastHidden: UnsafePointer<S>) {
        model.backward(dLastHidden: dLastHidden, dInputsEmbeds: dInputsEmbeds, accumulate: false)
    }
}
