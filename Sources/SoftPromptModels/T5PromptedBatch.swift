import SoftPromptTensor

/// A prompted T5 batch as methods.md §6.1 lays it out: the encoder reads inputs_embeds = [P; E(ids)] with the
/// mask [1; m] (no positions: T5's are relative, and no token types); the decoder is teacher-forced on `labels`
/// (−100 past each target) through decoder_input_ids = shiftRight(labels). The prompt never reaches the decoder.
/// Storage is allocated once for a capacity and reused by every batch that fits (`resize`): a step allocates nothing.
public final class T5PromptedBatch<S: KernelScalar>: @unchecked Sendable {
    public private(set) var batch: Int, textLength: Int, targetLength: Int
    public let promptLength: Int, width: Int
    public let batchCapacity: Int, textLengthCapacity: Int, targetLengthCapacity: Int
    /// Encoder positions per row: n + L.
    public var length: Int { promptLength + textLength }
    public let inputsEmbeds: UnsafeMutablePointer<S>     // (B, n+L, d)
    public let dInputsEmbeds: UnsafeMutablePointer<S>    // (B, n+L, d), filled by `backward`
    public let mask: UnsafeMutablePointer<Int32>         // (B, n+L)
    public let labels: UnsafeMutablePointer<Int32>       // (B, Td)
    public let decoderInputIds: UnsafeMutablePointer<Int32>  // (B, Td)

    public init(batch: Int, promptLength: Int, textLength: Int, targetLength: Int, width: Int) {
        self.batch = batch
        self.promptLength = promptLength
        self.textLength = textLength
        self.targetLength = targetLength
        self.width = width
        batchCapacity = batch
        textLengthCapacity = textLength
        targetLengthCapacity = targetLength
        let rows = max(batch * (promptLength + textLength), 1), targets = max(batch * targetLength, 1)
        inputsEmbeds = .allocate(capacity: rows * width)
        inputsEmbeds.initialize(repeating: 0, count: rows * width)
        dInputsEmbeds = .allocate(capacity: rows * width)
        dInputsEmbeds.initialize(repeating: 0, count: rows * width)
        mask = .allocate(capacity: rows)
        mask.initialize(repeating: 0, count: rows)
        labels = .allocate(capacity: targets)
        labels.initialize(repeating: crossEntropyIgnoreIndex, count: targets)
        decoderInputIds = .allocate(capacity: targets)
        decoderInputIds.initialize(repeating: 0, count: targets)
    }

    deinit {
        inputsEmbeds.deallocate()
        dInputsEmbeds.deallocate()
        mask.deallocate()
        labels.deallocate()
        decoderInputIds.deallocate()
    }

    /// Uses the storage for a smaller batch (each size ≤ its capacity); the layout is compact for the new sizes.
    public func resize(batch: Int, textLength: Int, targetLength: Int) {
        precondition(batch <= batchCapacity && textLength <= textLengthCapacity && targetLength <= targetLengthCapacity,
                     "T5 batch (\(batch), \(textLength), \(targetLength)) exceeds capacity "
                        + "(\(batchCapacity), \(textLengthCapacity), \(targetLengthCapacity))")
        self.batch = batch
        self.textLength = textLength
        self.targetLength = targetLength
    }

    /// Fills the encoder input from the prompt (n,d) and the padded ids and mask (B,L) of the text.
    @_specialize(exported: true, where S == Float)
    public func fill(prompt: UnsafePointer<S>, ids: UnsafePointer<Int32>, textMask: UnsafePointer<Int32>,
                     embedding model: T5Model<S>) throws {
        let (n, l, d, t) = (promptLength, textLength, width, length)
        for b in 0..<batch {
            let row = inputsEmbeds + b * t * d
            row.update(from: prompt, count: n * d)
            try model.embedTokens(ids: ids + b * l, count: l, into: row + n * d)
            for j in 0..<t { mask[b * t + j] = j < n ? 1 : textMask[b * l + j - n] }
        }
    }

    /// Sets the decoder side from `labels` (B,Td) (−100 where ignored): the labels and shiftRight(labels).
    public func setTargets(_ values: UnsafePointer<Int32>, model: T5Model<S>) {
        labels.update(from: values, count: batch * targetLength)
        model.shiftRight(labels: labels, batch: batch, length: targetLength, into: decoderInputIds)
    }

    /// The training forward: encoder, then the decoder teacher-forced on the targets → the mean token
    /// cross-entropy over the batch's counted labels.
    @_specialize(exported: true, where S == Float)
    public func forward(_ model: T5Model<S>) throws -> S {
        try model.forward(inputsEmbeds: inputsEmbeds, encoderMask: mask, decoderInputIds: decoderInputIds,
                          labels: labels, batch: batch, encoderLength: length, decoderLength: targetLength)
    }

    /// The encoder alone (for scoring or decoding against the encoding afterwards).
    @_specialize(exported: true, where S == Float)
    @discardableResult
    public func encode(_ model: T5Model<S>) -> UnsafePointer<S> {
        model.encode(inputsEmbeds: inputsEmbeds, mask: mask, batch: batch, length: length)
    }

    /// Backward of the latest `forward`: dInputsEmbeds = ∂(dLoss · loss)/∂inputs_embeds.
    @_specialize(exported: true, where S == Float)
    public func backward(_ model: T5Model<S>, dLoss: S) {
        model.backward(dLoss: dLoss, dInputsEmbeds: dInputsEmbeds, accumulate: false)
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
}
