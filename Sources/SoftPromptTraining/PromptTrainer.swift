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
    /// Positions the model computed: prompt and text rows (padding is skipped), and for T5 also the decoder's
    /// positions, padded to the longest target of each micro-batch.
    public let tokens: Int
    public let learningRateFactor: Double
}

/// The training loop of DESIGN.md §1 for a frozen BERT encoder with a prompt method and a task head.
///
/// Every rank runs the same loop on its shard: of each global batch (a seeded permutation of the training
/// units, the same on every rank), each rank takes the units `RankShares` deals it by their rows, so N ranks see
/// exactly the batch one rank sees. A unit is one example, or the candidates of one question for multiple choice (`TaskObjective`). The
/// loss is the mean over the global batch, so each rank's gradient is its share of the sum / B; the
/// communicator sums the shares deterministically and every rank applies the same AdamW update.
public final class PromptTrainer {
    public let model: BertModel
    public let method: any PromptMethod
    public let head: ClassificationHead
    public let objective: TaskObjective
    public let communicator: any Communicator
    public let options: TrainingOptions
    public private(set) var layout = ParameterLayout()
    public private(set) var theta: [Float]
    public private(set) var optimizer: AdamW
    public private(set) var step = 0
    /// Called after every evaluation chunk: long evaluations still show progress (the launcher's heartbeat).
    public var onEvaluationChunk: (() -> Void)?
    private let train: [EncodedExample]
    private let dev: [EncodedExample]
    private let padId: Int32
    private var batches: GlobalBatches

    // Buffers, sized once.
    private var gradient: [Float]
    private var prompt: [Float]
    private var dPrompt: [Float]
    private let batch: PromptedBatch<Float>
    private var ids: [Int32] = [], typeIds: [Int32] = [], mask: [Int32] = [], poolMask: [Int32] = []
    private var targets: [Int32] = [], scores: [Float] = []
    private var pooled: [Float], dPooled: [Float], logits: [Float], dLogits: [Float]
    private var dHidden: [Float]

    /// Encoder rows per unit: the unit's examples, each two rows when pairs are encoded apart.
    public let rowsPerUnit: Int

    /// `train` and `dev` hold whole units: for multiple choice, the candidates of a question are consecutive;
    /// with `comparesPairs` (classification and regression only), each example is two consecutive rows, its two
    /// texts encoded apart (`PairEncoding.separate`), which the head compares.
    public init(model: BertModel, method: any PromptMethod, classes: Int, kind: TaskKind = .classification,
                comparesPairs: Bool = false,
                communicator: any Communicator, options: TrainingOptions, train: [EncodedExample], dev: [EncodedExample],
                padId: Int32) {
        self.model = model
        self.method = method
        self.communicator = communicator
        self.options = options
        self.train = train
        self.dev = dev
        self.padId = padId
        objective = TaskObjective(kind: kind, classes: classes)
        precondition(!comparesPairs || objective.unitSize == 1, "pairs encoded apart need one example per unit")
        rowsPerUnit = objective.unitSize * (comparesPairs ? 2 : 1)
        batches = GlobalBatches(seed: options.seed, batchSize: options.batchSize, units: train.count / rowsPerUnit)
        precondition(train.count % rowsPerUnit == 0 && dev.count % rowsPerUnit == 0,
                     "multiple-choice examples must come in whole questions, pairs encoded apart in whole pairs")
        head = ClassificationHead(classes: objective.outputs, width: model.config.hiddenSize, comparesPairs: comparesPairs)
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
        // Training chunks and evaluation chunks share the inputs; evaluation runs an inference forward, in the
        // training arena or, for larger chunks, in an arena of one layer.
        let trainingRows = options.microBatchSize * rowsPerUnit, evaluationRows = options.evalBatchSize * rowsPerUnit
        let rows = max(trainingRows, evaluationRows)
        let longest = min(options.maxLength, max(train.map(\.ids.count).max() ?? 1, dev.map(\.ids.count).max() ?? 1))
        batch = PromptedBatch(batch: rows, promptLength: n, textLength: longest, width: d)
        pooled = Array(repeating: 0, count: rows * d)
        dPooled = pooled
        logits = Array(repeating: 0, count: rows * objective.outputs)
        dLogits = logits
        dHidden = Array(repeating: 0, count: trainingRows * (n + longest) * d)
        model.reserve(batch: trainingRows, length: n + longest)
        if !dev.isEmpty { model.reserveInference(batch: evaluationRows, length: n + longest) }
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

    /// Training units (see `TaskObjective.unitSize`) in the training set.
    public var trainingUnits: Int { train.count / rowsPerUnit }

    /// Training-unit positions of global batch `k`: consecutive slices of seeded per-epoch permutations.
    public func globalBatch(_ k: Int) -> [Int] { batches.batch(k) }

    /// The units of global batch `step` this rank computes: dealt by rows (`RankShares`), so the ranks finish
    /// their shares together.
    private func share(ofStep step: Int) -> [Int] {
        let k = rowsPerUnit
        return RankShares.share(of: globalBatch(step), rank: communicator.rank, ranks: communicator.size) { unit in
            (unit * k..<(unit + 1) * k).reduce(0) { $0 + computedRows(train[$1]) }
        }
    }

    /// One optimizer step on global batch `step`.
    @discardableResult
    public func trainStep() throws -> StepReport {
        let items = share(ofStep: step)
        theta.withUnsafeBufferPointer { method.materialize(theta: $0.baseAddress!, prompt: &prompt) }
        for i in gradient.indices { gradient[i] = 0 }
        for i in dPrompt.indices { dPrompt[i] = 0 }
        var stats = [Float](repeating: 0, count: 3)  // loss sum, correct, tokens
        var start = 0
        while start < items.count {
            let chunk = Array(items[start..<min(start + options.microBatchSize, items.count)])
            let (loss, correct, tokens) = try microStep(rows(of: chunk, in: train))
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

    /// The rows of units `units` of `examples`, in order.
    private func rows(of units: [Int], in examples: [EncodedExample]) -> [EncodedExample] {
        let k = rowsPerUnit
        return units.flatMap { examples[$0 * k..<($0 + 1) * k] }
    }

    /// Forward and backward of one micro-batch (whole units); adds to `gradient` (head) and `dPrompt`.
    /// Returns its loss sum, units predicted right and tokens (prompt included, padding not).
    private func microStep(_ examples: [EncodedExample]) throws -> (Float, Float, Float) {
        let length = try load(examples, training: true)
        let rows = examples.count, logitsRows = head.logitsRows(sequences: rows)
        let hidden = try batch.forward(model, readsPromptOutputs: false)  // the head pools the text rows
        let t = batch.length
        let (loss, correct) = theta.withUnsafeBufferPointer { th in
            head.forward(theta: th.baseAddress!, hidden: hidden, poolMask: poolMask, batch: rows, length: t,
                         pooled: &pooled, logits: &logits)
            return objective.lossAndGradient(logits: logits, labels: targets, scores: scores, rows: logitsRows,
                                             globalUnits: options.batchSize, dLogits: &dLogits)
        }
        theta.withUnsafeBufferPointer { th in
            gradient.withUnsafeMutableBufferPointer { g in
                head.backward(theta: th.baseAddress!, dLogits: dLogits, pooled: pooled, poolMask: poolMask, batch: rows,
                              length: t, gradient: g.baseAddress!, dPooled: &dPooled, dHidden: &dHidden)
                // A softmax over candidates ignores a shift shared by all scores: the bias's gradient is exactly 0,
                // and AdamW would turn its rounding noise into full-size steps. Keep it at 0.
                if case .multipleChoice = objective.kind, let bias = layout["head.bias"] {
                    for i in bias.range { g[i] = 0 }
                }
            }
        }
        guard method.offsetsInputEmbeddings else {
            // Only the prompt rows' input gradient feeds θ.
            dPrompt.withUnsafeMutableBufferPointer {
                batch.backwardToPrompt(model, dLastHidden: dHidden, accumulatingInto: $0.baseAddress!)
            }
            return (Float(loss), Float(correct), Float(tokens(examples)))
        }
        // The input offset (DePT, ADePT) needs the text rows' input gradient too.
        batch.backward(model, dLastHidden: dHidden)
        batch.accumulatePromptGradient(into: &dPrompt)
        let (n, d) = (method.promptLength, model.config.hiddenSize)
        theta.withUnsafeBufferPointer { th in
            gradient.withUnsafeMutableBufferPointer { g in
                method.inputOffsetBackward(theta: th.baseAddress!, dEmbeddings: batch.dInputsEmbeds + n * d, batch: rows,
                                           length: length, rowStride: t * d, gradient: g.baseAddress!)
            }
        }
        return (Float(loss), Float(correct), Float(tokens(examples)))
    }

    /// The rows the encoder computes for an example: prompt and text, not padding.
    private func computedRows(_ example: EncodedExample) -> Int { method.promptLength + example.ids.count }

    private func tokens(_ examples: [EncodedExample]) -> Int { examples.reduce(0) { $0 + computedRows($1) } }

    /// Pads the examples to their longest and fills the prompted batch; returns the text length L.
    private func load(_ examples: [EncodedExample], training: Bool) throws -> Int {
        let length = examples.map(\.ids.count).max() ?? 1
        let n = method.promptLength, rows = examples.count
        // Refilled in place: the arrays keep their capacity, so a step allocates nothing here after the first.
        refill(&ids, with: padId, count: rows * length)
        refill(&typeIds, with: 0, count: rows * length)
        refill(&mask, with: 0, count: rows * length)
        refill(&poolMask, with: 0, count: rows * (n + length))
        // Targets per logits row: one per example row, or per pair (both rows carry it).
        let logitsRows = head.logitsRows(sequences: rows), step = head.comparesPairs ? 2 : 1
        refill(&targets, with: 0, count: logitsRows)
        scores.removeAll(keepingCapacity: true)
        scores.append(contentsOf: repeatElement(0, count: logitsRows))
        for r in 0..<logitsRows {
            targets[r] = Int32(examples[r * step].label)
            scores[r] = Float(examples[r * step].score)
        }
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

    /// Dev-set accuracy with the current θ (classification and multiple choice; see `outputs(for:)` for the
    /// outputs every metric reads).
    public func evaluate() throws -> Double {
        let values = try outputs(for: dev)
        let k = objective.unitSize, units = dev.count / rowsPerUnit
        var right = 0
        for unit in 0..<units {
            switch objective.kind {
            case .multipleChoice:
                let scores = values[unit * k..<(unit + 1) * k]
                let chosen = scores.indices.max { scores[$0] < scores[$1] }! - unit * k
                if dev[unit * k + chosen].label == 1 { right += 1 }
            default:
                if Int(values[unit]) == dev[unit * rowsPerUnit].label { right += 1 }
            }
        }
        return dev.isEmpty ? 0 : Double(right) / Double(units)
    }

    /// Every example's output with the current θ (`TaskObjective.output`; one per pair encoded apart), on every
    /// rank: each rank computes its share of the units (r, r+N, …) and a sum over ranks of the zero-padded shares
    /// gathers them.
    public func outputs(for examples: [EncodedExample]) throws -> [Double] {
        let k = objective.unitSize, units = examples.count / rowsPerUnit
        let mine = Array(stride(from: communicator.rank, to: units, by: communicator.size))
        let values = try localOutputs(for: rows(of: mine, in: examples))
        var gathered = [Float](repeating: 0, count: units * k)
        for (i, unit) in mine.enumerated() {
            for j in 0..<k { gathered[unit * k + j] = Float(values[i * k + j]) }
        }
        try gathered.withUnsafeMutableBufferPointer { try communicator.allreduceSum($0) }
        return gathered.map(Double.init)
    }

    /// The predicted class of each example (classification) with the current θ, on this rank only.
    public func predictions(for examples: [EncodedExample]) throws -> [Int] {
        try localOutputs(for: examples).map { Int($0) }
    }

    /// Each example's output with the current θ (this rank only; no communication); one per pair encoded
    /// apart. Whole units per chunk.
    public func localOutputs(for examples: [EncodedExample]) throws -> [Double] {
        theta.withUnsafeBufferPointer { method.materialize(theta: $0.baseAddress!, prompt: &prompt) }
        var values: [Double] = []
        values.reserveCapacity(examples.count)
        let chunkRows = options.evalBatchSize * rowsPerUnit
        var start = 0
        while start < examples.count {
            let chunk = Array(examples[start..<min(start + chunkRows, examples.count)])
            _ = try load(chunk, training: false)
            let hidden = try batch.forward(model, readsPromptOutputs: false, inference: true)  // the head pools the text rows
            theta.withUnsafeBufferPointer { th in
                head.forward(theta: th.baseAddress!, hidden: hidden, poolMask: poolMask, batch: chunk.count,
                             length: batch.length, pooled: &pooled, logits: &logits)
            }
            logits.withUnsafeBufferPointer { l in
                for r in 0..<head.logitsRows(sequences: chunk.count) {
                    values.append(objective.output(logits: l.baseAddress!, row: r))
                }
            }
            start += chunkRows
            onEvaluationChunk?()
        }
        return values
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

    /// Continues from a checkpoint: θ, AdamW's moments and step count, and the step (the data cursor).
    public func restore(_ state: TrainingState) throws {
        try state.apply(theta: &theta, optimizer: &optimizer, step: &step)
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
        layout.set(name, values: values, in: &theta)
    }
}

private func refill(_ array: inout [Int32], with value: Int32, count: Int) {
    array.removeAll(keepingCapacity: true)
    array.append(contentsOf: repeatElement(value, count: count))
}
