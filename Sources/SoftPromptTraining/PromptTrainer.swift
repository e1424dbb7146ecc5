import Foundation
import SoftPromptDistributed
import SoftPromptMethods
import SoftPromptModels
import SoftPromptTasks
import SoftPromptTensor

/// What one optimizer step measured, summed over all ranks.
public struct StepReport: Sendable {
    public let step: Int
    public let loss: Double
    public let accuracy: Double
    public let tokens: Int
    public let learningRateFactor: Double
}

/// The training loop of DESIGN.md §1 for a frozen BERT encoder with a prompt method and a classification head.
///
/// Every rank runs the same loop on its shard: of each global batch (a seeded permutation of the training set,
/// the same on every rank), rank r takes items r, r+N, …, so N ranks see exactly the batch one rank sees. The
/// loss is the mean over the global batch, so each rank's gradient is its share of the sum / B; the
/// communicator sums the shares deterministically and every rank applies the same AdamW update.
public final class PromptTrainer {
    public let model: BertModel
    public let method: any PromptMethod
    public let head: ClassificationHead
    public let communicator: any Communicator
    public let options: TrainingOptions
    public private(set) var layout = ParameterLayout()
    public private(set) var theta: [Float]
    public private(set) var optimizer: AdamW
    public private(set) var step = 0
    private let train: [EncodedExample]
    private let dev: [EncodedExample]
    private let padId: Int32

    // Buffers, sized once.
    private var gradient: [Float]
    private var prompt: [Float]
    private var dPrompt: [Float]
    private let batch: PromptedBatch<Float>
    private var ids: [Int32] = [], typeIds: [Int32] = [], mask: [Int32] = [], poolMask: [Int32] = []
    private var targets: [Int32] = []
    private var pooled: [Float], dPooled: [Float], logits: [Float], probs: [Float], dLogits: [Float]
    private var dHidden: [Float]

    public init(model: BertModel, method: any PromptMethod, classes: Int, communicator: any Communicator,
                options: TrainingOptions, train: [EncodedExample], dev: [EncodedExample], padId: Int32) {
        self.model = model
        self.method = method
        self.communicator = communicator
        self.options = options
        self.train = train
        self.dev = dev
        self.padId = padId
        head = ClassificationHead(classes: classes, width: model.config.hiddenSize)
        method.declare(in: &layout)
        head.declare(in: &layout)
        theta = Array(repeating: 0, count: layout.count)
        gradient = Array(repeating: 0, count: layout.count)
        optimizer = AdamW(layout: layout, groups: [
            .prompt: .init(learningRate: options.promptLearningRate, weightDecay: options.weightDecay),
            .lowRank: .init(learningRate: options.lowRankLearningRate, weightDecay: options.weightDecay),
            .head: .init(learningRate: options.headLearningRate, weightDecay: options.weightDecay),
        ])
        let d = model.config.hiddenSize, n = method.promptLength
        prompt = Array(repeating: 0, count: n * d)
        dPrompt = prompt
        let rows = max(options.microBatchSize, options.evalBatchSize)
        let longest = min(options.maxLength, max(train.map(\.ids.count).max() ?? 1, dev.map(\.ids.count).max() ?? 1))
        batch = PromptedBatch(batch: rows, promptLength: n, textLength: longest, width: d)
        pooled = Array(repeating: 0, count: rows * d)
        dPooled = pooled
        logits = Array(repeating: 0, count: rows * classes)
        probs = logits
        dLogits = logits
        dHidden = Array(repeating: 0, count: rows * (n + longest) * d)
        model.reserve(batch: rows, length: n + longest)
    }

    public var trainableParameters: Int { layout.count }

    /// Prepares the method's frozen state on every rank, initialises θ on rank 0 (method, then head) and
    /// broadcasts it, so every rank starts from the same bits.
    public func initialize(context: inout InitializationContext) throws {
        try method.prepare(context: context)
        if communicator.rank == 0 {
            try theta.withUnsafeMutableBufferPointer { t in
                try method.initialize(theta: t.baseAddress!, context: &context)
                var headRandom = context.random.split("head")
                head.initialize(theta: t.baseAddress!, random: &headRandom)
            }
        }
        try theta.withUnsafeMutableBufferPointer { try communicator.broadcast($0, root: 0) }
    }

    /// Training-set positions of global batch `k`: consecutive slices of seeded per-epoch permutations.
    public func globalBatch(_ k: Int) -> [Int] {
        let b = options.batchSize, count = train.count
        return (k * b..<(k + 1) * b).map { position in
            let epoch = position / count
            return epochOrder(epoch)[position % count]
        }
    }

    private var cachedOrder: (epoch: Int, order: [Int])?
    private func epochOrder(_ epoch: Int) -> [Int] {
        if let cachedOrder, cachedOrder.epoch == epoch { return cachedOrder.order }
        var random = RandomStream(seed: options.seed).split("shuffle", epoch)
        var order = Array(0..<train.count)
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(random.next() % UInt64(i + 1)))
        }
        cachedOrder = (epoch, order)
        return order
    }

    /// One optimizer step on global batch `step`.
    @discardableResult
    public func trainStep() throws -> StepReport {
        let items = globalBatch(step).enumerated().filter { $0.offset % communicator.size == communicator.rank }.map(\.element)
        theta.withUnsafeBufferPointer { method.materialize(theta: $0.baseAddress!, prompt: &prompt) }
        for i in gradient.indices { gradient[i] = 0 }
        for i in dPrompt.indices { dPrompt[i] = 0 }
        var stats = [Float](repeating: 0, count: 3)  // loss sum, correct, tokens
        var start = 0
        while start < items.count {
            let chunk = Array(items[start..<min(start + options.microBatchSize, items.count)])
            let (loss, correct, tokens) = try microStep(chunk.map { train[$0] })
            stats[0] += loss
            stats[1] += correct
            stats[2] += tokens
            start += options.microBatchSize
        }
        theta.withUnsafeBufferPointer { t in
            gradient.withUnsafeMutableBufferPointer { method.backward(theta: t.baseAddress!, dPrompt: dPrompt, gradient: $0.baseAddress!) }
        }
        try gradient.withUnsafeMutableBufferPointer { try communicator.allreduceSum($0) }
        try stats.withUnsafeMutableBufferPointer { try communicator.allreduceSum($0) }
        let factor = options.schedule.factor(atStep: step)
        gradient.withUnsafeBufferPointer { g in
            theta.withUnsafeMutableBufferPointer { optimizer.update(theta: $0.baseAddress!, gradient: g.baseAddress!, scale: factor) }
        }
        step += 1
        let b = Double(options.batchSize)
        return StepReport(step: step, loss: Double(stats[0]) / b, accuracy: Double(stats[1]) / b,
                          tokens: Int(stats[2]), learningRateFactor: factor)
    }

    /// Forward and backward of one micro-batch; adds to `gradient` (head) and `dPrompt`.
    /// Returns its loss sum, correct predictions and tokens (prompt included).
    private func microStep(_ examples: [EncodedExample]) throws -> (Float, Float, Float) {
        let rows = examples.count, classes = head.classes
        let length = try load(examples, training: true)
        let hidden = try batch.forward(model)
        let t = batch.length
        let (lossMean, counted) = theta.withUnsafeBufferPointer { th in
            head.forward(theta: th.baseAddress!, hidden: hidden, poolMask: poolMask, batch: rows, length: t,
                         pooled: &pooled, logits: &logits)
            return crossEntropyForward(probs: &probs, logits: logits, targets: targets, rows: rows, classes: classes)
        }
        let correct = (0..<rows).filter { argmax(logits, row: $0, classes: classes) == Int(targets[$0]) }.count
        // d(mean over the global batch) = (p − onehot) / B on every rank's rows.
        for i in 0..<rows * classes { dLogits[i] = 0 }
        crossEntropyBackward(dlogits: &dLogits, probs: probs, targets: targets, rows: rows, classes: classes,
                             counted: counted, dloss: Float(counted) / Float(options.batchSize))
        theta.withUnsafeBufferPointer { th in
            gradient.withUnsafeMutableBufferPointer { g in
                head.backward(theta: th.baseAddress!, dLogits: dLogits, pooled: pooled, poolMask: poolMask, batch: rows,
                              length: t, gradient: g.baseAddress!, dPooled: &dPooled, dHidden: &dHidden)
            }
        }
        batch.backward(model, dLastHidden: dHidden)
        batch.accumulatePromptGradient(into: &dPrompt)
        if method.offsetsInputEmbeddings {
            let (n, d) = (method.promptLength, model.config.hiddenSize)
            theta.withUnsafeBufferPointer { th in
                gradient.withUnsafeMutableBufferPointer { g in
                    method.inputOffsetBackward(theta: th.baseAddress!, dEmbeddings: batch.dInputsEmbeds + n * d, batch: rows,
                                               length: length, rowStride: t * d, gradient: g.baseAddress!)
                }
            }
        }
        return (lossMean * Float(counted), Float(correct), Float(rows * (method.promptLength + length)))
    }

    /// Pads the examples to their longest and fills the prompted batch; returns the text length L.
    private func load(_ examples: [EncodedExample], training: Bool) throws -> Int {
        let length = examples.map(\.ids.count).max() ?? 1
        let n = method.promptLength, rows = examples.count
        // Refilled in place: the arrays keep their capacity, so a step allocates nothing here after the first.
        refill(&ids, with: padId, count: rows * length)
        refill(&typeIds, with: 0, count: rows * length)
        refill(&mask, with: 0, count: rows * length)
        refill(&poolMask, with: 0, count: rows * (n + length))
        refill(&targets, with: 0, count: rows)
        for (r, e) in examples.enumerated() { targets[r] = Int32(e.label) }
        for (r, e) in examples.enumerated() {
            for (j, id) in e.ids.enumerated() {
                ids[r * length + j] = id
                typeIds[r * length + j] = e.typeIds[j]
                mask[r * length + j] = 1
                poolMask[r * (n + length) + n + j] = 1
            }
        }
        batch.resize(batch: rows, textLength: length)
        try batch.fill(prompt: prompt, ids: ids, typeIds: typeIds, attentionMask: mask, embedding: model)
        if method.offsetsInputEmbeddings {
            let d = model.config.hiddenSize
            theta.withUnsafeBufferPointer {
                method.applyInputOffset(theta: $0.baseAddress!, embeddings: batch.inputsEmbeds + n * d, batch: rows,
                                        length: length, rowStride: (n + length) * d, training: training)
            }
        }
        return length
    }

    /// Dev-set accuracy with the current θ, each rank scoring its share (items r, r+N, …).
    public func evaluate() throws -> Double {
        let mine = Array(stride(from: communicator.rank, to: dev.count, by: communicator.size))
        let predicted = try predictions(for: mine.map { dev[$0] })
        var counts: [Float] = [Float(zip(mine, predicted).filter { dev[$0.0].label == $0.1 }.count), Float(mine.count)]
        try counts.withUnsafeMutableBufferPointer { try communicator.allreduceSum($0) }
        return counts[1] > 0 ? Double(counts[0]) / Double(counts[1]) : 0
    }

    /// The predicted class of each example with the current θ (this rank only; no communication).
    public func predictions(for examples: [EncodedExample]) throws -> [Int] {
        theta.withUnsafeBufferPointer { method.materialize(theta: $0.baseAddress!, prompt: &prompt) }
        var predicted: [Int] = []
        predicted.reserveCapacity(examples.count)
        var start = 0
        while start < examples.count {
            let chunk = Array(examples[start..<min(start + options.evalBatchSize, examples.count)])
            _ = try load(chunk, training: false)
            let hidden = try batch.forward(model)
            theta.withUnsafeBufferPointer { th in
                head.forward(theta: th.baseAddress!, hidden: hidden, poolMask: poolMask, batch: chunk.count,
                             length: batch.length, pooled: &pooled, logits: &logits)
            }
            predicted += (0..<chunk.count).map { argmax(logits, row: $0, classes: head.classes) }
            start += options.evalBatchSize
        }
        return predicted
    }

    /// The trained prompt P(θ) (n,d).
    public func exportPrompt() -> Tensor {
        theta.withUnsafeBufferPointer { method.exportPrompt(theta: $0.baseAddress!) }
    }

    /// The method's tensors of θ (everything but the head), by their layout names.
    public func methodTensors(theta values: [Float]) -> [(name: String, tensor: Tensor)] {
        layout.specs.filter { $0.group != .head }.map { spec in
            (spec.name, Tensor(shape: spec.shape, values: Array(values[spec.range])))
        }
    }

    /// Replaces θ (e.g. to restore the best one seen).
    public func load(theta values: [Float]) {
        precondition(values.count == theta.count)
        theta = values
    }

    /// Sets the θ entries of tensor `name` (e.g. from an exported adapter); false when the layout has no such
    /// tensor or its size differs.
    @discardableResult
    public func setTensor(_ name: String, values: [Float]) -> Bool {
        guard let spec = layout[name], spec.count == values.count else { return false }
        theta.replaceSubrange(spec.range, with: values)
        return true
    }
}

private func refill(_ array: inout [Int32], with value: Int32, count: Int) {
    array.removeAll(keepingCapacity: true)
    array.append(contentsOf: repeatElement(value, count: count))
}

private func argmax(_ values: [Float], row: Int, classes: Int) -> Int {
    var best = 0
    for c in 1..<max(classes, 1) where values[row * classes + c] > values[row * classes + best] { best = c }
    return best
}
