import Foundation
import SoftPromptDistributed
import SoftPromptMethods
import SoftPromptModels
import SoftPromptTensor

/// The training loop of DESIGN.md §1 for a frozen T5 (methods.md §6, §7.3): the method's prompt is prepended to the
/// encoder input embeddings only (mask 1), DePT/ADePT/EPT offsets are added to the encoder's token embeddings
/// before the prompt is prepended (a copy of the rows: the shared table is never touched), and the decoder is
/// teacher-forced on the verbalised target. No task head: θ is the method's alone.
///
/// The loss is the mean token cross-entropy over all target tokens of the global batch — what transformers' T5
/// loss (the Residual-PT and DePT training code) gives for that batch on one device. Every rank knows the global
/// batch and so its token count; a micro-batch's gradient is scaled by its own token count over that global count,
/// so the ranks' gradients add up to one rank's (N ranks == 1 rank, as on the BERT path). Sharding, micro-batches,
/// the data order (`GlobalBatches`) and the AdamW groups are `PromptTrainer`'s.
///
/// Generic over the model's scalar: `Seq2SeqPromptTrainer<Float>` trains; the Float64 one exists for the gradient
/// checks of the whole step. θ and the methods stay Float32 either way.
public final class Seq2SeqPromptTrainer<S: KernelScalar>: SessionTrainer, @unchecked Sendable {
    public typealias Examples = Seq2SeqEvaluationSet

    public let model: T5Model<S>
    public let method: any PromptMethod
    public let communicator: any Communicator
    public let options: TrainingOptions
    public private(set) var layout = ParameterLayout()
    public private(set) var theta: [Float]
    public private(set) var optimizer: AdamW
    public private(set) var step = 0
    public var onEvaluationChunk: (() -> Void)?
    /// T5Model runs without dropout, so there is no stream to checkpoint (`--backbone-dropout` is refused for T5).
    public var dropoutRandom: RandomStream? {
        get { nil }
        set {}
    }
    private let train: [Seq2SeqExample]
    private let padId: Int32
    private var batches: GlobalBatches

    // Buffers, sized once; an evaluation with longer inputs or targets grows them (never a training step).
    private var gradient: [Float]
    private var prompt: [Float], dPrompt: [Float]            // (n,d) for the method, Float32
    private var promptValues: [S], dPromptValues: [S]        // (n,d) for the model
    private var batch: T5PromptedBatch<S>
    private var ids: [Int32] = [], textMask: [Int32] = [], labels: [Int32] = []  // (B,L), (B,L), (B,Td)
    private var predicted: [Int32] = []                      // (B,Td)
    private var logProbabilities: [S] = []                   // (B,Td)
    private var offsetScratch: [Float] = []                  // (B,L,d), Float64 runs only

    public init(model: T5Model<S>, method: any PromptMethod, communicator: any Communicator, options: TrainingOptions,
                train: [Seq2SeqExample], padId: Int32) {
        precondition(method.width == model.config.modelDim, "method width \(method.width) ≠ d_model \(model.config.modelDim)")
        self.model = model
        self.method = method
        self.communicator = communicator
        self.options = options
        self.train = train
        self.padId = padId
        batches = GlobalBatches(seed: options.seed, batchSize: options.batchSize, units: train.count)
        method.declare(in: &layout)
        theta = Array(repeating: 0, count: layout.count)
        gradient = theta
        optimizer = AdamW(layout: layout, groups: [
            .prompt: .init(learningRate: options.promptLearningRate, weightDecay: options.weightDecay),
            .lowRank: .init(learningRate: options.lowRankLearningRate, weightDecay: options.weightDecay),
        ])
        let (n, d) = (method.promptLength, model.config.modelDim)
        prompt = Array(repeating: 0, count: n * d)
        dPrompt = prompt
        promptValues = Array(repeating: 0, count: n * d)
        dPromptValues = promptValues
        let rows = max(options.microBatchSize, options.evalBatchSize, 1)
        let textLength = max(min(options.maxLength, train.map(\.ids.count).max() ?? 1), 1)
        let targetLength = max(train.map(\.target.count).max() ?? 1, 1)
        batch = T5PromptedBatch(batch: rows, promptLength: n, textLength: textLength, targetLength: targetLength, width: d)
        model.reserve(batch: rows, encoderLength: n + textLength, decoderLength: targetLength)
        predicted = Array(repeating: 0, count: rows * targetLength)
        logProbabilities = Array(repeating: 0, count: rows * targetLength)
    }

    public var trainableParameters: Int { layout.count }

    /// Training examples (one unit each).
    public var trainingUnits: Int { train.count }

    /// Prepares the method's frozen state on every rank, initialises θ on rank 0 and broadcasts it.
    public func initialize(context: inout InitializationContext) throws {
        try method.prepare(context: context)
        if communicator.rank == 0 {
            try theta.withUnsafeMutableBufferPointer { try method.initialize(theta: $0.baseAddress!, context: &context) }
        }
        try theta.withUnsafeMutableBufferPointer { try communicator.broadcast($0, root: 0) }
    }

    /// Training-example positions of global batch `k` (the same on every rank).
    public func globalBatch(_ k: Int) -> [Int] { batches.batch(k) }

    /// The examples of a global batch this rank computes, dealt by encoder plus decoder rows (`RankShares`).
    private func share(of global: [Int]) -> [Int] {
        let n = method.promptLength
        return RankShares.share(of: global, rank: communicator.rank, ranks: communicator.size) {
            n + train[$0].ids.count + train[$0].target.count
        }
    }

    // MARK: - Training

    /// One optimizer step on global batch `step`.
    @_specialize(exported: true, where S == Float)
    @discardableResult
    public func trainStep() throws -> StepReport {
        let global = batches.batch(step)
        let globalTokens = global.reduce(0) { $0 + train[$1].target.count }
        let mine = share(of: global)
        var stats = [Float](repeating: 0, count: 3)  // loss sum over tokens, examples exactly right, tokens
        let loss = try accumulateGradient(units: mine, globalTokens: globalTokens, stats: &stats)
        stats[0] = Float(loss)
        try gradient.withUnsafeMutableBufferPointer { try communicator.allreduceSum($0) }
        try stats.withUnsafeMutableBufferPointer { try communicator.allreduceSum($0) }
        let factor = options.schedule.factor(atStep: step)
        gradient.withUnsafeBufferPointer { g in
            theta.withUnsafeMutableBufferPointer { optimizer.update(theta: $0.baseAddress!, gradient: g.baseAddress!, scale: factor) }
        }
        step += 1
        return StepReport(step: step, loss: Double(stats[0]) / Double(max(globalTokens, 1)),
                          accuracy: Double(stats[1]) / Double(options.batchSize), tokens: Int(stats[2]),
                          learningRateFactor: factor)
    }

    /// The loss of global batch `k` at the current θ and this rank's share of its gradient ∂loss/∂θ (summed over
    /// the ranks it is the whole gradient), without communication or an update: the gradient checks' entry point.
    /// Returns (this rank's share of the loss, the gradient share).
    public func lossAndGradient(globalBatch k: Int) throws -> (loss: Double, gradient: [Float]) {
        let global = batches.batch(k)
        let globalTokens = global.reduce(0) { $0 + train[$1].target.count }
        let mine = share(of: global)
        var stats = [Float](repeating: 0, count: 3)
        let loss = try accumulateGradient(units: mine, globalTokens: globalTokens, stats: &stats)
        return (loss / Double(max(globalTokens, 1)), gradient)
    }

    /// gradient ← this rank's share of ∂(Σ token losses / globalTokens)/∂θ over `units`, micro-batch by micro-batch;
    /// stats[1], stats[2] += examples right, tokens. Returns Σ token losses of the units.
    private func accumulateGradient(units: [Int], globalTokens: Int, stats: inout [Float]) throws -> Double {
        materializePrompt()
        for i in gradient.indices { gradient[i] = 0 }
        for i in dPromptValues.indices { dPromptValues[i] = 0 }
        var lossSum = 0.0
        var start = 0
        while start < units.count {
            let chunk = units[start..<min(start + options.microBatchSize, units.count)]
            let (loss, right, tokens) = try microStep(chunk, globalTokens: globalTokens)
            lossSum += loss
            stats[1] += Float(right)
            stats[2] += Float(tokens)
            start += options.microBatchSize
        }
        for i in dPrompt.indices { dPrompt[i] = Float(dPromptValues[i]) }
        theta.withUnsafeBufferPointer { t in
            gradient.withUnsafeMutableBufferPointer { method.backward(theta: t.baseAddress!, dPrompt: dPrompt, gradient: $0.baseAddress!) }
        }
        return lossSum
    }

    /// Forward and backward of one micro-batch; adds to `gradient` (offsets) and `dPromptValues`. Returns its token
    /// loss sum, the examples whose every target token is the teacher-forced argmax, and the positions it ran:
    /// each example's n + L_b encoder rows (the encoder packs away padding) and the decoder's Td.
    private func microStep(_ units: ArraySlice<Int>, globalTokens: Int) throws -> (Double, Int, Int) {
        let rows = units.count
        let first = units.startIndex
        var textLength = 1, targetLength = 1, counted = 0, encoderRows = 0
        for u in units {
            textLength = max(textLength, train[u].ids.count)
            targetLength = max(targetLength, train[u].target.count)
            counted += train[u].target.count
            encoderRows += method.promptLength + train[u].ids.count
        }
        try loadEncoder(rows: rows, textLength: textLength, targetLength: targetLength, training: true) { train[units[first + $0]].ids }
        loadTargets(rows: rows) { train[units[first + $0]].target }
        let mean = try batch.forward(model)
        predicted.withUnsafeMutableBufferPointer { model.predictedTokens(into: $0.baseAddress!) }
        var right = 0
        for r in 0..<rows {
            let target = train[units[first + r]].target
            if target.indices.allSatisfy({ predicted[r * targetLength + $0] == target[$0] }) { right += 1 }
        }
        // The model's loss is the mean over this micro-batch's `counted` tokens; the run's is over the global batch's.
        batch.backward(model, dLoss: S(counted) / S(globalTokens))
        dPromptValues.withUnsafeMutableBufferPointer { batch.accumulatePromptGradient(into: $0.baseAddress!) }
        offsetBackward(rows: rows, textLength: textLength)
        return (Double(mean) * Double(counted), right, encoderRows + rows * targetLength)
    }

    // MARK: - Evaluation

    /// Every input's output with the current θ (see `Seq2SeqEvaluationSet.Decoding`), on every rank: each rank
    /// computes inputs r, r+N, … and a sum over ranks of the zero-padded shares gathers them.
    @_specialize(exported: true, where S == Float)
    public func outputs(for examples: Seq2SeqEvaluationSet) throws -> [Double] {
        let count = examples.inputs.count
        let mine = Array(stride(from: communicator.rank, to: count, by: communicator.size))
        let values = try localOutputs(for: examples, indices: mine)
        var gathered = [Float](repeating: 0, count: count)
        for (i, index) in mine.enumerated() { gathered[index] = Float(values[i]) }
        try gathered.withUnsafeMutableBufferPointer { try communicator.allreduceSum($0) }
        return gathered.map(Double.init)
    }

    /// The outputs of inputs `indices` (all when nil) on this rank only, with no communication (`softprompt predict`).
    @_specialize(exported: true, where S == Float)
    public func localOutputs(for examples: Seq2SeqEvaluationSet, indices: [Int]? = nil) throws -> [Double] {
        try inChunks(examples.inputs, indices: indices, targetLength: examples.targetLength) { rows in
            switch examples.decoding {
            case .rank(let candidates): return try rankClassify(rows: rows, candidates: candidates)
            case let .greedy(maxTokens, read): return try greedyDecode(rows: rows, maxTokens: maxTokens).map(read)
            }
        }
    }

    /// Greedy decoding of every input on this rank: its tokens up to (without) `</s>`, at most `maxTokens`.
    public func generate(_ inputs: [[Int32]], maxTokens: Int) throws -> [[Int32]] {
        try inChunks(inputs, indices: nil, targetLength: maxTokens) { try greedyDecode(rows: $0, maxTokens: maxTokens) }
    }

    /// Runs `answer` on the encodings of `inputs[indices]` (all when nil), evaluation batch by batch, in order.
    private func inChunks<T>(_ inputs: [[Int32]], indices: [Int]?, targetLength: Int,
                             answer: (_ rows: Int) throws -> [T]) throws -> [T] {
        let indices = indices ?? Array(inputs.indices)
        materializePrompt()
        var values: [T] = []
        values.reserveCapacity(indices.count)
        var start = 0
        while start < indices.count {
            let chunk = indices[start..<min(start + options.evalBatchSize, indices.count)]
            let first = chunk.startIndex
            let textLength = max(chunk.map { inputs[$0].count }.max() ?? 1, 1)
            try loadEncoder(rows: chunk.count, textLength: textLength, targetLength: targetLength, training: false) {
                inputs[chunk[first + $0]]
            }
            batch.encode(model)
            values += try answer(chunk.count)
            start += options.evalBatchSize
            onEvaluationChunk?()
        }
        return values
    }

    /// Per row of the latest encoding, the index of the candidate with the highest summed log-probability.
    private func rankClassify(rows: Int, candidates: [[Int32]]) throws -> [Double] {
        var best = [Double](repeating: 0, count: rows), bestScore = [S](repeating: -S.infinity, count: rows)
        for (k, candidate) in candidates.enumerated() {
            let length = candidate.count
            batch.resize(batch: rows, textLength: batch.textLength, targetLength: length)
            loadTargets(rows: rows) { _ in candidate }
            try logProbabilities.withUnsafeMutableBufferPointer { out in
                try model.tokenLogProbabilities(decoderInputIds: batch.decoderInputIds, labels: batch.labels,
                                                length: length, into: out.baseAddress!)
            }
            for r in 0..<rows {
                var score: S = 0
                for t in 0..<length { score += logProbabilities[r * length + t] }
                if score > bestScore[r] {
                    bestScore[r] = score
                    best[r] = Double(k)
                }
            }
        }
        return best
    }

    /// Greedy decoding against the latest encoding: each row's tokens up to (without) `</s>`, at most `maxTokens`.
    /// The decoder runs again over the whole prefix for every new token (no key/value cache: targets are a few
    /// tokens; the cross-attention keys/values of the encoding are projected once).
    private func greedyDecode(rows: Int, maxTokens: Int) throws -> [[Int32]] {
        let start = Int32(model.config.decoderStartTokenId), eos = Int32(model.config.eosTokenId)
        var generated = [[Int32]](repeating: [], count: rows)
        var finished = [Bool](repeating: false, count: rows)
        for t in 0..<maxTokens {
            let length = t + 1
            batch.resize(batch: rows, textLength: batch.textLength, targetLength: length)
            let input = batch.decoderInputIds
            for r in 0..<rows {
                input[r * length] = start
                for j in 0..<t { input[r * length + j + 1] = j < generated[r].count ? generated[r][j] : Int32(model.config.padTokenId) }
            }
            _ = try model.logits(decoderInputIds: input, length: length)
            predicted.withUnsafeMutableBufferPointer { model.predictedTokens(into: $0.baseAddress!) }
            for r in 0..<rows where !finished[r] {
                let next = predicted[r * length + t]
                if next == eos { finished[r] = true } else { generated[r].append(next) }
            }
            if !finished.contains(false) { break }
        }
        return generated
    }

    // MARK: - Batches

    /// Fills the encoder side: the inputs of rows 0..<rows (`input(r)`), padded to `textLength`, behind the prompt;
    /// then the method's input offset. Grows the buffers if this batch does not fit.
    private func loadEncoder(rows: Int, textLength: Int, targetLength: Int, training: Bool,
                             input: (Int) -> [Int32]) throws {
        reserve(rows: rows, textLength: textLength, targetLength: targetLength)
        refill(&ids, with: padId, count: rows * textLength)
        refill(&textMask, with: 0, count: rows * textLength)
        for r in 0..<rows {
            for (j, id) in input(r).enumerated() {
                ids[r * textLength + j] = id
                textMask[r * textLength + j] = 1
            }
        }
        batch.resize(batch: rows, textLength: textLength, targetLength: targetLength)
        try promptValues.withUnsafeBufferPointer { p in
            try batch.fill(prompt: p.baseAddress!, ids: ids, textMask: textMask, embedding: model)
        }
        applyInputOffset(rows: rows, textLength: textLength, training: training)
    }

    /// Sets the decoder side to the targets of rows 0..<rows (`target(r)`), −100 past each, at the batch's Td.
    private func loadTargets(rows: Int, target: (Int) -> [Int32]) {
        let length = batch.targetLength
        refill(&labels, with: crossEntropyIgnoreIndex, count: rows * length)
        for r in 0..<rows {
            for (t, id) in target(r).enumerated() { labels[r * length + t] = id }
        }
        labels.withUnsafeBufferPointer { batch.setTargets($0.baseAddress!, model: model) }
    }

    /// Grows the batch storage (and the model's arena) to hold (rows, textLength, targetLength).
    private func reserve(rows: Int, textLength: Int, targetLength: Int) {
        guard rows > batch.batchCapacity || textLength > batch.textLengthCapacity
            || targetLength > batch.targetLengthCapacity else { return }
        let (b, l, t) = (max(rows, batch.batchCapacity), max(textLength, batch.textLengthCapacity),
                         max(targetLength, batch.targetLengthCapacity))
        batch = T5PromptedBatch(batch: b, promptLength: method.promptLength, textLength: l, targetLength: t,
                                width: model.config.modelDim)
        model.reserve(batch: b, encoderLength: method.promptLength + l, decoderLength: t)
        predicted = Array(repeating: 0, count: b * t)
        logProbabilities = Array(repeating: 0, count: b * t)
    }

    private func materializePrompt() {
        theta.withUnsafeBufferPointer { method.materialize(theta: $0.baseAddress!, prompt: &prompt) }
        for i in prompt.indices { promptValues[i] = S(prompt[i]) }
    }

    /// Adds the method's offset to the text rows of the batch (after the prompt rows), before the encoder runs.
    private func applyInputOffset(rows: Int, textLength: Int, training: Bool) {
        guard method.offsetsInputEmbeddings else { return }
        let (n, d, t) = (method.promptLength, model.config.modelDim, batch.length)
        theta.withUnsafeBufferPointer { th in
            if S.self == Float.self {
                let embeddings = UnsafeMutableRawPointer(batch.inputsEmbeds).assumingMemoryBound(to: Float.self)
                method.applyInputOffset(theta: th.baseAddress!, embeddings: embeddings + n * d, batch: rows,
                                        length: textLength, rowStride: t * d, training: training)
                return
            }
            // Float64 (the gradient checks): the method adds its offset to zeros, which are then added to the rows in
            // Float64. Exact for offsets that do not read the embeddings (DePT, EPT-like), the ones the checks use.
            refill(&offsetScratch, with: 0, count: rows * textLength * d)
            offsetScratch.withUnsafeMutableBufferPointer { o in
                method.applyInputOffset(theta: th.baseAddress!, embeddings: o.baseAddress!, batch: rows,
                                        length: textLength, rowStride: textLength * d, training: training)
            }
            for b in 0..<rows {
                let row = batch.inputsEmbeds + b * t * d + n * d
                for i in 0..<textLength * d { row[i] += S(offsetScratch[b * textLength * d + i]) }
            }
        }
    }

    /// gradient += ∂L/∂θ through the offset, from the input gradient at the text rows of the latest backward.
    private func offsetBackward(rows: Int, textLength: Int) {
        guard method.offsetsInputEmbeddings else { return }
        let (n, d, t) = (method.promptLength, model.config.modelDim, batch.length)
        theta.withUnsafeBufferPointer { th in
            gradient.withUnsafeMutableBufferPointer { g in
                if S.self == Float.self {
                    let dEmbeddings = UnsafeRawPointer(batch.dInputsEmbeds).assumingMemoryBound(to: Float.self)
                    method.inputOffsetBackward(theta: th.baseAddress!, dEmbeddings: dEmbeddings + n * d, batch: rows,
                                               length: textLength, rowStride: t * d, gradient: g.baseAddress!)
                    return
                }
                refill(&offsetScratch, with: 0, count: rows * textLength * d)
                for b in 0..<rows {
                    let row = batch.dInputsEmbeds + b * t * d + n * d
                    for i in 0..<textLength * d { offsetScratch[b * textLength * d + i] = Float(row[i]) }
                }
                method.inputOffsetBackward(theta: th.baseAddress!, dEmbeddings: offsetScratch, batch: rows,
                                           length: textLength, rowStride: textLength * d, gradient: g.baseAddress!)
            }
        }
    }

    // MARK: - State

    public func exportPrompt() -> Tensor {
        theta.withUnsafeBufferPointer { method.exportPrompt(theta: $0.baseAddress!) }
    }

    /// Every θ tensor by its layout name (there is no head).
    public func methodTensors(theta values: [Float]) -> [(name: String, tensor: Tensor)] {
        layout.specs.map { spec in (spec.name, Tensor(shape: spec.shape, values: Array(values[spec.range]))) }
    }

    public func headTensors(theta values: [Float]) -> [(name: String, tensor: Tensor)] { [] }

    public func restore(_ state: TrainingState) throws {
        try state.apply(theta: &theta, optimizer: &optimizer, step: &step)
    }

    public func load(theta values: [Float]) {
        precondition(values.count == theta.count)
        theta = values
    }

    /// Sets the θ entries of tensor `name` (e.g. from an exported adapter); false when the layout has no such tensor
    /// or its size differs.
    @discardableResult
    public func setTensor(_ name: String, values: [Float]) -> Bool {
        layout.set(name, values: values, in: &theta)
    }
}

private func refill<T>(_ array: inout [T], with value: T, count: Int) {
    array.removeAll(keepingCapacity: true)
    array.append(contentsOf: repeatElement(value, count: count))
}
