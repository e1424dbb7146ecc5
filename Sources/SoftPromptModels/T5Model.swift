import Foundation
import SoftPromptCheckpoint
import SoftPromptTensor

/// A frozen T5 encoder–decoder (v1.0, v1.1, Flan-T5, mT5): the prompt goes on the encoder input only and the
/// decoder is teacher-forced on the target (methods.md §6.1, §7.3). Forward to the mean token cross-entropy;
/// backward to ∂loss/∂inputs_embeds only (no weight gradients: the model is frozen). llm.c style: flat lists of
/// sublayer calls (T5Layers.swift), reversed for the backward.
///
/// Use: `forward` (= `encode` + `loss`) then `backward`; `encode` alone for embeddings (with `backwardEncoder`);
/// `encode` then `logits` or `tokenLogProbabilities` (once per candidate target) for scoring. Pointers returned
/// are views into the activation arena, valid until the next call that writes them.
///
/// Generic over the scalar so the very same code runs in Float32 for training and in Float64 for the
/// finite-difference check of the whole model; `T5` is the Float32 one. Dropout is left out: the frozen backbone
/// runs without it (`--backbone-dropout` is off by default; see T5Layers.swift for where it would go).
public final class T5Model<S: KernelScalar>: @unchecked Sendable {
    public let config: T5Config
    private let store: WeightStore<S>
    private let weights: T5Weights<S>
    private var encoderArena: T5EncoderActivations<S>?
    private var decoderArena: T5DecoderActivations<S>?
    /// The latest encoding's (batch, length) and where its rows sit (packed when its mask allows; pointers into
    /// the encoder arena); the decoder and `backwardEncoder` work on it.
    private var encoderRows: T5EncoderRows?
    /// The latest decoder run's length, and the number of counted labels when its logits hold the loss's
    /// probabilities (the state `backward` needs).
    private var decoded: (length: Int, counted: Int?)?
    /// Whether the decoder arena's cross-attention keys/values are those of the latest encoding.
    private var crossKeyValuesCurrent = false
    /// Off only in tests, to compare the packed encoder rows with the padded, masked ones on the same batch.
    var packsPrefixMasks = true

    public init(config: T5Config, weights file: SafetensorsFile) throws {
        self.config = config
        let store = WeightStore<S>(file: file, prefixes: [])
        self.store = store
        weights = try store.t5Weights(config)
    }

    /// Loads `config.json` and `model.safetensors` from a Hugging Face model folder.
    public convenience init(directory: ModelDirectory) throws {
        try self.init(config: T5Config(contentsOf: directory.configURL),
                      weights: SafetensorsFile(url: directory.weightsURL))
    }

    /// The frozen shared token-embedding table (V,d) of encoder and decoder: prompt initialisations sample it.
    public var wordEmbeddings: UnsafePointer<S> { weights.shared }

    /// out (count,d) = shared embeddings of ids; ids outside the vocabulary are an error.
    @_specialize(exported: true, where S == Float)
    public func embedTokens(ids: UnsafePointer<Int32>, count: Int, into out: UnsafeMutablePointer<S>) throws {
        try checkTokens(ids, count: count)
        embeddingForward(out: out, ids: ids, table: weights.shared, rows: count, width: config.modelDim)
    }

    /// decoderInputIds (B,T) from labels (B,T) as transformers' `_shift_right`: the decoder start token, then the
    /// labels shifted right by one, ignored labels (−100) replaced by the pad token.
    public func shiftRight(labels: UnsafePointer<Int32>, batch: Int, length: Int,
                           into out: UnsafeMutablePointer<Int32>) {
        guard length > 0 else { return }
        let start = Int32(config.decoderStartTokenId), pad = Int32(config.padTokenId)
        for b in 0..<batch {
            let source = labels + b * length, target = out + b * length
            target[0] = start
            for t in 1..<length {
                let label = source[t - 1]
                target[t] = label == crossEntropyIgnoreIndex ? pad : label
            }
        }
    }

    /// Allocates the activations for batches up to (batch, encoderLength, decoderLength) now rather than at
    /// the first forward. Smaller batches reuse them; larger ones grow them (never shrink).
    public func reserve(batch: Int, encoderLength: Int, decoderLength: Int) {
        _ = encoderActivations(batch: batch, length: encoderLength)
        _ = decoderActivations(batch: batch, length: decoderLength, encoderLength: encoderLength)
    }

    // MARK: - Forward

    /// inputsEmbeds (B,Te,d) — prompt rows included — and mask (B,Te) of 0/1 → the encoder's last hidden state
    /// (B,Te,d), which the decoder then attends to. Positions are relative, so the prompt needs no position.
    /// When every mask row is ones then zeros (`T5EncoderRows`), the padding is never computed and its rows of
    /// the hidden state are 0; any other mask runs padded and masked, as transformers does.
    @_specialize(exported: true, where S == Float)
    @discardableResult
    public func encode(inputsEmbeds: UnsafePointer<S>, mask: UnsafePointer<Int32>, batch: Int, length: Int)
        -> UnsafePointer<S>
    {
        runEncoder(inputsEmbeds: inputsEmbeds, mask: mask, batch: batch, length: length)
        return encoderLastHiddenState!
    }

    /// The encoder on the rows `T5EncoderRows` lays out; the last hidden state stays in that layout.
    private func runEncoder(inputsEmbeds: UnsafePointer<S>, mask: UnsafePointer<Int32>, batch: Int, length: Int) {
        let a = encoderActivations(batch: batch, length: length)
        let (c, d) = (config, config.modelDim)
        let layout = T5EncoderRows(mask: mask, batch: batch, length: length, packing: packsPrefixMasks,
                                   lengths: a.sequenceLengths, offsets: a.sequenceOffsets)
        let n = layout.count
        let eps = S(c.layerNormEpsilon)
        for i in 0..<batch * length { a.keyMask.pointer[i] = mask[i] != 0 ? 0 : -S.infinity }
        T5RelativePosition.fillBias(a.positionBias.pointer, table: weights.encoderBias, heads: c.heads,
                                    queryLength: length, keyLength: length, bidirectional: true,
                                    buckets: c.relativeAttentionBuckets, maxDistance: c.relativeAttentionMaxDistance)
        let shape = AttentionShape(batch: batch, heads: c.heads, queryLength: length, keyLength: length,
                                   headDim: c.headDim, scale: 1)
        layout.gather(inputsEmbeds, into: (a.layers.first?.input ?? a.finalInput).pointer, width: d)
        for (i, (w, l)) in zip(weights.encoder, a.layers).enumerated() {
            t5SelfAttentionForward(out: l.middle.pointer, x: l.input.pointer, rstd: l.selfRstd.pointer,
                                   q: l.q.pointer, k: l.k.pointer, v: l.v.pointer, normed: a.normed.pointer,
                                   context: a.context.pointer, norm: w.selfNorm, weights: w.selfAttention, rows: n,
                                   inner: c.innerDim, modelDim: d, eps: eps) { context in
                layout.selfAttentionForward(out: context, statistics: l.statistics.pointer, q: l.q.pointer,
                                            k: l.k.pointer, v: l.v.pointer, keyMask: a.keyMask.pointer,
                                            positionBias: a.positionBias.pointer, scratch: a.scores.pointer, shape: shape)
            }
            t5FeedForwardForward(out: a.stream(after: i).pointer, x: l.middle.pointer, rstd: l.feedForwardRstd.pointer,
                                 gate: l.gate.pointer, linear: l.linear?.pointer, normed: a.normed.pointer,
                                 hidden: a.hidden.pointer, norm: w.feedForwardNorm, weights: w.feedForward,
                                 activation: c.feedForward.activation, rows: n, modelDim: d,
                                 feedForwardDim: c.feedForwardDim, eps: eps)
        }
        rmsNormForward(out: a.output.pointer, rstd: a.finalRstd.pointer, inp: a.finalInput.pointer,
                       weight: weights.encoderFinalNorm, rows: n, cols: d, eps: eps)
        encoderRows = layout
        decoded = nil
        crossKeyValuesCurrent = false
    }

    /// The latest encoding (B,Te,d), if any; rows of padding that were packed away are 0.
    public var encoderLastHiddenState: UnsafePointer<S>? {
        guard let layout = encoderRows, let a = encoderArena else { return nil }
        guard layout.isPacked else { return UnsafePointer(a.output.pointer) }
        layout.scatter(a.output.pointer, into: a.paddedOutput.pointer, width: config.modelDim, accumulate: false)
        return UnsafePointer(a.paddedOutput.pointer)
    }

    /// The training step's forward: encode, then teacher-force the decoder. decoderInputIds and labels (B,Td)
    /// (usually decoderInputIds = shiftRight(labels)); labels of −100 are ignored. Returns the mean token
    /// cross-entropy over the counted labels (0 when none counts), as transformers' T5ForConditionalGeneration.
    @_specialize(exported: true, where S == Float)
    public func forward(inputsEmbeds: UnsafePointer<S>, encoderMask: UnsafePointer<Int32>,
                        decoderInputIds: UnsafePointer<Int32>, labels: UnsafePointer<Int32>, batch: Int,
                        encoderLength: Int, decoderLength: Int) throws -> S {
        try checkTokens(decoderInputIds, count: batch * decoderLength)
        try checkLabels(labels, count: batch * decoderLength)
        runEncoder(inputsEmbeds: inputsEmbeds, mask: encoderMask, batch: batch, length: encoderLength)
        return try loss(decoderInputIds: decoderInputIds, labels: labels, length: decoderLength)
    }

    /// The decoder on the latest encoding, to the loss; `backward` may follow. The logits buffer then holds the
    /// softmax probabilities (the cross-entropy works in place on the one vocabulary-sized buffer).
    @_specialize(exported: true, where S == Float)
    public func loss(decoderInputIds: UnsafePointer<Int32>, labels: UnsafePointer<Int32>, length: Int) throws -> S {
        let rows = encodedBatch * length, v = config.vocabularySize
        try checkLabels(labels, count: rows)
        let a = try decode(decoderInputIds, length: length)
        a.labels.update(from: labels, count: rows)
        var total: Double = 0
        var counted = 0
        for r in 0..<rows where labels[r] != crossEntropyIgnoreIndex {
            let row = a.logits.pointer + r * v
            let target = row[Int(labels[r])]
            // loss = logsumexp(x) − x[t], from the logits: tiny probabilities keep their precision.
            total += Double(softmaxRow(row, row, v) - target)
            counted += 1
        }
        decoded = (length, counted)
        return counted == 0 ? 0 : S(total / Double(counted))
    }

    /// The decoder on the latest encoding → logits (B,Td,V).
    @_specialize(exported: true, where S == Float)
    public func logits(decoderInputIds: UnsafePointer<Int32>, length: Int) throws -> UnsafePointer<S> {
        UnsafePointer(try decode(decoderInputIds, length: length).logits.pointer)
    }

    /// The decoder on the latest encoding → out (B,Td) = log p(label | prefix, input) per target token, 0 where
    /// the label is ignored (−100): summed per row, the score of that target for rank classification.
    @_specialize(exported: true, where S == Float)
    public func tokenLogProbabilities(decoderInputIds: UnsafePointer<Int32>, labels: UnsafePointer<Int32>,
                                      length: Int, into out: UnsafeMutablePointer<S>) throws {
        let rows = encodedBatch * length, v = config.vocabularySize
        try checkLabels(labels, count: rows)
        let a = try decode(decoderInputIds, length: length)
        for r in 0..<rows {
            guard labels[r] != crossEntropyIgnoreIndex else {
                out[r] = 0
                continue
            }
            let row = a.logits.pointer + r * v
            let target = row[Int(labels[r])]
            out[r] = target - softmaxRow(row, row, v)
        }
    }

    /// out (B,Td) = the most likely token at every position of the latest decoder run (`logits`, `loss` or
    /// `tokenLogProbabilities`: the argmax of logits and of probabilities is the same; the first on a tie): greedy
    /// decoding's next token, and teacher-forced accuracy. Not after `backward`, which turns them into gradients.
    @_specialize(exported: true, where S == Float)
    public func predictedTokens(into out: UnsafeMutablePointer<Int32>) {
        guard let batch = encoderRows?.batch, let (length, _) = decoded, let a = decoderArena else {
            preconditionFailure("T5Model.predictedTokens needs a decoder run since the last encoding")
        }
        let v = config.vocabularySize
        for r in 0..<batch * length {
            let row = a.logits.pointer + r * v
            var best = 0
            for j in 1..<v where row[j] > row[best] { best = j }
            out[r] = Int32(best)
        }
    }

    // MARK: - Backward

    /// dInputsEmbeds (B,Te,d) += ∂(dLoss · loss)/∂inputs_embeds (`accumulate: false`: =) for the latest
    /// `forward`/`loss`: through the LM head, the decoder (self-attention, cross-attention into the encoding,
    /// feed-forward) and the encoder down to its input rows, prompt rows included. Once per forward: it turns the
    /// cached probabilities into gradients in place.
    @_specialize(exported: true, where S == Float)
    public func backward(dLoss: S = 1, dInputsEmbeds: UnsafeMutablePointer<S>, accumulate: Bool = true) {
        guard let layout = encoderRows, let (length, counted) = decoded, let counted, let e = encoderArena,
              let a = decoderArena else {
            preconditionFailure("T5Model.backward needs a forward (or loss) since the last backward")
        }
        decoded = (length, nil)
        let (c, d, v) = (config, config.modelDim, config.vocabularySize)
        let (batch, encoderLength) = (layout.batch, layout.length)
        let rows = batch * length
        guard counted > 0 else {  // no label counts: the loss is the constant 0
            if !accumulate { dInputsEmbeds.update(repeating: 0, count: batch * encoderLength * d) }
            return
        }
        // dlogits = dLoss/counted · (p − onehot(label)), zero on ignored rows, in place. The tied head's
        // d^-0.5 scale is folded in here, so the GEMM below yields ∂L/∂(normed decoder output) directly.
        let scale = dLoss / S(counted) * headScale
        for r in 0..<rows {
            let row = a.logits.pointer + r * v, label = a.labels[r]
            if label == crossEntropyIgnoreIndex {
                row.update(repeating: 0, count: v)
                continue
            }
            for j in 0..<v { row[j] *= scale }
            row[Int(label)] -= scale
        }
        linearBackward(dinp: a.dNormed.pointer, dout: a.logits.pointer, weight: weights.lmHead, rows: rows,
                       inFeatures: d, outFeatures: v, accumulate: false)
        let dy = a.dStream.pointer  // ∂L/∂(decoder stream), from the top down
        dy.update(repeating: 0, count: rows * d)
        rmsNormBackward(dinp: dy, dout: a.dNormed.pointer, inp: a.finalInput.pointer, rstd: a.finalRstd.pointer,
                        weight: weights.decoderFinalNorm, rows: rows, cols: d)

        let selfShape = AttentionShape(batch: batch, heads: c.heads, queryLength: length, keyLength: length,
                                       headDim: c.headDim, scale: 1, causal: true)
        let crossShape = AttentionShape(batch: batch, heads: c.heads, queryLength: length,
                                        keyLength: encoderLength, headDim: c.headDim, scale: 1)
        let last = a.layers.count - 1
        for i in a.layers.indices.reversed() {
            let (w, l) = (weights.decoder[i], a.layers[i])
            t5FeedForwardBackward(dStream: dy, x: l.middle.pointer, rstd: l.feedForwardRstd.pointer,
                                  gate: l.gate.pointer, linear: l.linear?.pointer, norm: w.feedForwardNorm,
                                  weights: w.feedForward, activation: c.feedForward.activation,
                                  dNormed: a.dNormed.pointer, dHidden: a.dHidden.pointer, dGate: a.dGate.pointer,
                                  rows: rows, modelDim: d, feedForwardDim: c.feedForwardDim)
            // The encoder arena's dk/dv are free until the encoder backward: the cross keys/values' gradients.
            t5CrossAttentionBackward(dStream: dy, dEncoderOutput: e.dOutput.pointer, accumulateEncoder: i != last,
                                     x: l.crossInput.pointer, rstd: l.crossRstd.pointer, q: l.crossQ.pointer,
                                     k: l.crossK.pointer, v: l.crossV.pointer, probs: l.crossProbs.pointer,
                                     norm: w.crossNorm, weights: w.crossAttention, dNormed: a.dNormed.pointer,
                                     dContext: a.dContext.pointer, dq: a.dq.pointer, dk: e.dk.pointer,
                                     dv: e.dv.pointer, dScores: a.dScores.pointer, keys: layout, shape: crossShape,
                                     modelDim: d)
            t5SelfAttentionBackward(dStream: dy, x: l.input.pointer, rstd: l.selfRstd.pointer, norm: w.selfNorm,
                                    weights: w.selfAttention, dNormed: a.dNormed.pointer,
                                    dContext: a.dContext.pointer, dq: a.dq.pointer, dk: a.dk.pointer,
                                    dv: a.dv.pointer, rows: rows, inner: c.innerDim, modelDim: d) { dContext in
                attentionBackward(dq: a.dq.pointer, dk: a.dk.pointer, dv: a.dv.pointer, dout: dContext,
                                  probs: l.selfProbs.pointer, q: l.q.pointer, qStride: c.innerDim, k: l.k.pointer,
                                  kStride: c.innerDim, v: l.v.pointer, vStride: c.innerDim, dscores: a.dScores.pointer,
                                  shape: selfShape, accumulate: false)
            }
        }
        // dy now holds ∂L/∂(decoder input embeddings): token embeddings of a frozen table, so it ends here.
        if a.layers.isEmpty { e.dOutput.pointer.update(repeating: 0, count: layout.count * d) }
        backwardEncoderRows(layout, dInputsEmbeds: dInputsEmbeds, accumulate: accumulate)
    }

    /// dInputsEmbeds (B,Te,d) += ∂L/∂inputs_embeds (`accumulate: false`: =) given dLastHidden (B,Te,d) =
    /// ∂L/∂(the latest encoding): the encoder alone, for losses on the encoder's output.
    @_specialize(exported: true, where S == Float)
    public func backwardEncoder(dLastHidden: UnsafePointer<S>, dInputsEmbeds: UnsafeMutablePointer<S>,
                                accumulate: Bool = true) {
        guard let layout = encoderRows, let a = encoderArena else {
            preconditionFailure("T5Model.backwardEncoder called before encode")
        }
        layout.gather(dLastHidden, into: a.dOutput.pointer, width: config.modelDim)
        backwardEncoderRows(layout, dInputsEmbeds: dInputsEmbeds, accumulate: accumulate)
    }

    /// The encoder's backward from ∂L/∂(last hidden state) in the arena's dOutput, in the rows' layout, to
    /// dInputsEmbeds (B,Te,d): = (0 on packed-away padding) or +=.
    private func backwardEncoderRows(_ layout: T5EncoderRows, dInputsEmbeds: UnsafeMutablePointer<S>,
                                     accumulate: Bool) {
        guard let a = encoderArena else { preconditionFailure("T5Model's encoder backward before encode") }
        let (c, d, n) = (config, config.modelDim, layout.count)
        let shape = AttentionShape(batch: layout.batch, heads: c.heads, queryLength: layout.length,
                                   keyLength: layout.length, headDim: c.headDim, scale: 1)
        let dy = a.dStream.pointer
        dy.update(repeating: 0, count: n * d)
        rmsNormBackward(dinp: dy, dout: a.dOutput.pointer, inp: a.finalInput.pointer, rstd: a.finalRstd.pointer,
                        weight: weights.encoderFinalNorm, rows: n, cols: d)
        for i in a.layers.indices.reversed() {
            let (w, l) = (weights.encoder[i], a.layers[i])
            t5FeedForwardBackward(dStream: dy, x: l.middle.pointer, rstd: l.feedForwardRstd.pointer,
                                  gate: l.gate.pointer, linear: l.linear?.pointer, norm: w.feedForwardNorm,
                                  weights: w.feedForward, activation: c.feedForward.activation,
                                  dNormed: a.dNormed.pointer, dHidden: a.dHidden.pointer, dGate: a.dGate.pointer,
                                  rows: n, modelDim: d, feedForwardDim: c.feedForwardDim)
            t5SelfAttentionBackward(dStream: dy, x: l.input.pointer, rstd: l.selfRstd.pointer, norm: w.selfNorm,
                                    weights: w.selfAttention, dNormed: a.dNormed.pointer,
                                    dContext: a.dContext.pointer, dq: a.dq.pointer, dk: a.dk.pointer,
                                    dv: a.dv.pointer, rows: n, inner: c.innerDim, modelDim: d) { dContext in
                layout.selfAttentionBackward(dq: a.dq.pointer, dk: a.dk.pointer, dv: a.dv.pointer, dout: dContext,
                                             statistics: l.statistics.pointer, q: l.q.pointer, k: l.k.pointer,
                                             v: l.v.pointer, keyMask: a.keyMask.pointer,
                                             positionBias: a.positionBias.pointer, scratch: a.scores.pointer,
                                             dScores: a.dScores.pointer, shape: shape)
            }
        }
        layout.scatter(dy, into: dInputsEmbeds, width: d, accumulate: accumulate)
    }

    // MARK: - Pieces

    /// v1.0 ties the head to `shared` and scales the decoder output by d^-0.5 before it; v1.1 does neither.
    private var headScale: S { config.tieWordEmbeddings ? 1 / S(config.modelDim).squareRoot() : 1 }

    private var encodedBatch: Int { encoderRows?.batch ?? 0 }

    /// The decoder stack and LM head on the latest encoding: ids (B,Td) → logits (B,Td,V) in the arena.
    private func decode(_ ids: UnsafePointer<Int32>, length: Int) throws -> T5DecoderActivations<S> {
        guard let layout = encoderRows, let e = encoderArena else { throw T5InputError.notEncoded }
        let (batch, encoderLength) = (layout.batch, layout.length)
        let (c, d, rows) = (config, config.modelDim, batch * length)
        try checkTokens(ids, count: rows)
        let a = decoderActivations(batch: batch, length: length, encoderLength: encoderLength)
        let eps = S(c.layerNormEpsilon)
        embeddingForward(out: a.layers.first?.input.pointer ?? a.finalInput.pointer, ids: ids, table: weights.shared,
                         rows: rows, width: d)
        T5RelativePosition.fillBias(a.positionBias.pointer, table: weights.decoderBias, heads: c.heads,
                                    queryLength: length, keyLength: length, bidirectional: false,
                                    buckets: c.relativeAttentionBuckets, maxDistance: c.relativeAttentionMaxDistance)
        let selfShape = AttentionShape(batch: batch, heads: c.heads, queryLength: length, keyLength: length,
                                       headDim: c.headDim, scale: 1, causal: true)
        let crossShape = AttentionShape(batch: batch, heads: c.heads, queryLength: length,
                                        keyLength: encoderLength, headDim: c.headDim, scale: 1)
        for (i, (w, l)) in zip(weights.decoder, a.layers).enumerated() {
            t5SelfAttentionForward(out: l.crossInput.pointer, x: l.input.pointer, rstd: l.selfRstd.pointer,
                                   q: l.q.pointer, k: l.k.pointer, v: l.v.pointer, normed: a.normed.pointer,
                                   context: a.context.pointer, norm: w.selfNorm, weights: w.selfAttention, rows: rows,
                                   inner: c.innerDim, modelDim: d, eps: eps) { context in
                attentionForward(out: context, probs: l.selfProbs.pointer, q: l.q.pointer, qStride: c.innerDim,
                                 k: l.k.pointer, kStride: c.innerDim, v: l.v.pointer, vStride: c.innerDim, keyMask: nil,
                                 positionBias: a.positionBias.pointer, shape: selfShape)
            }
            t5CrossAttentionForward(out: l.middle.pointer, x: l.crossInput.pointer, rstd: l.crossRstd.pointer,
                                    q: l.crossQ.pointer, k: l.crossK.pointer, v: l.crossV.pointer,
                                    probs: l.crossProbs.pointer, normed: a.normed.pointer, context: a.context.pointer,
                                    encoderOutput: e.output.pointer, projectKeyValues: !crossKeyValuesCurrent,
                                    keys: layout, keyMask: e.keyMask.pointer, norm: w.crossNorm, weights: w.crossAttention,
                                    shape: crossShape, modelDim: d, eps: eps)
            t5FeedForwardForward(out: a.stream(after: i).pointer, x: l.middle.pointer, rstd: l.feedForwardRstd.pointer,
                                 gate: l.gate.pointer, linear: l.linear?.pointer, normed: a.normed.pointer,
                                 hidden: a.hidden.pointer, norm: w.feedForwardNorm, weights: w.feedForward,
                                 activation: c.feedForward.activation, rows: rows, modelDim: d,
                                 feedForwardDim: c.feedForwardDim, eps: eps)
        }
        crossKeyValuesCurrent = true
        rmsNormForward(out: a.normed.pointer, rstd: a.finalRstd.pointer, inp: a.finalInput.pointer,
                       weight: weights.decoderFinalNorm, rows: rows, cols: d, eps: eps)
        // logits (M,V) = scale · normed · Wᵀ
        gemm(transposeB: true, m: rows, n: c.vocabularySize, k: d, alpha: headScale, a: a.normed.pointer, lda: d,
             b: weights.lmHead, ldb: d, c: a.logits.pointer, ldc: c.vocabularySize)
        decoded = (length, nil)
        return a
    }

    private func checkTokens(_ ids: UnsafePointer<Int32>, count: Int) throws {
        for i in 0..<count where ids[i] < 0 || Int(ids[i]) >= config.vocabularySize {
            throw T5InputError.tokenOutOfVocabulary(id: Int(ids[i]), vocabularySize: config.vocabularySize)
        }
    }

    private func checkLabels(_ labels: UnsafePointer<Int32>, count: Int) throws {
        for i in 0..<count where labels[i] != crossEntropyIgnoreIndex
            && (labels[i] < 0 || Int(labels[i]) >= config.vocabularySize) {
            throw T5InputError.labelOutOfVocabulary(id: Int(labels[i]), vocabularySize: config.vocabularySize)
        }
    }

    /// The encoder arena, grown (never shrunk) to hold a (batch, length) batch.
    private func encoderActivations(batch: Int, length: Int) -> T5EncoderActivations<S> {
        if let a = encoderArena, a.batch >= batch, a.length >= length { return a }
        let old = encoderArena
        encoderArena = nil  // free the old arena before the new one is allocated
        encoderRows = nil
        let a = T5EncoderActivations<S>(config: config, batch: max(batch, old?.batch ?? 0),
                                        length: max(length, old?.length ?? 0))
        encoderArena = a
        return a
    }

    /// The decoder arena, grown to hold a (batch, length) target against an encoding of encoderLength.
    private func decoderActivations(batch: Int, length: Int, encoderLength: Int) -> T5DecoderActivations<S> {
        if let a = decoderArena, a.batch >= batch, a.length >= length, a.encoderLength >= encoderLength { return a }
        let old = decoderArena
        decoderArena = nil
        crossKeyValuesCurrent = false
        let a = T5DecoderActivations<S>(config: config, batch: max(batch, old?.batch ?? 0),
                                        length: max(length, old?.length ?? 0),
                                        encoderLength: max(encoderLength, old?.encoderLength ?? 0))
        decoderArena = a
        return a
    }
}

/// The Float32 T5 used for training.
public typealias T5 = T5Model<Float>

public enum T5InputError: Error, CustomStringConvertible, Equatable {
    case tokenOutOfVocabulary(id: Int, vocabularySize: Int)
    case labelOutOfVocabulary(id: Int, vocabularySize: Int)
    case notEncoded

    public var description: String {
        switch self {
        case let .tokenOutOfVocabulary(id, size):
            return "token id \(id) is outside the model's vocabulary of \(size) (tokenizer and model do not match?)"
        case let .labelOutOfVocabulary(id, size):
            return "label \(id) is outside the model's vocabulary of \(size) and is not the ignore index -100"
        case .notEncoded:
            return "the T5 decoder was run before any encoding (call encode or forward first)"
        }
    }
}
