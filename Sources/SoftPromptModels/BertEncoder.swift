import Foundation
import SoftPromptCheckpoint
import SoftPromptTensor

/// Dropout inside the frozen network: off unless asked for (`--backbone-dropout`). Seeded, so a step can be
/// replayed; the stream advances with every forward. As in BERT: `hidden` after the embeddings and on both
/// residual branches, `attention` on the attention probabilities.
public struct BackboneDropout: Sendable {
    public var hidden: Double
    public var attention: Double
    public var random: RandomStream
    public init(hidden: Double, attention: Double, random: RandomStream) {
        self.hidden = hidden
        self.attention = attention
        self.random = random
    }

    /// The rates of the model's config.json (hidden_dropout_prob, attention_probs_dropout_prob).
    public init(config: BertConfig, random: RandomStream) {
        self.init(hidden: config.hiddenDropout, attention: config.attentionDropout, random: random)
    }

    var isActive: Bool { hidden > 0 || attention > 0 }
}

/// A frozen BERT encoder: forward from input embeddings to the last hidden state, and a backward that returns
/// the gradient with respect to the input embeddings only (llm.c style: a flat list of layer calls, reversed).
///
/// Generic over the scalar so the very same code runs in Float32 for training and in Float64 for the
/// finite-difference check of the whole encoder; `BertModel` is the Float32 one.
public final class BertEncoder<S: KernelScalar>: @unchecked Sendable {
    public let config: BertConfig
    public var dropout: BackboneDropout?
    private let store: WeightStore<S>
    private let embeddings: BertEmbeddingWeights<S>
    private let layerWeights: [BertLayerWeights<S>]
    private var activations: BertActivations<S>?
    private var inferenceActivations: BertActivations<S>?
    private var current: BertRowLayout?
    /// The leading rows per sequence whose last-layer outputs the latest forward skipped (0: none).
    private var currentUnreadPrefix = 0
    /// Off only in tests, to compare the packed path with the masked one on the same batch.
    var packsPrefixMasks = true
    /// Whether the forward caches the attention probabilities (B·H·T² scalars per layer) for the backward
    /// instead of two softmax statistics per row from which the backward recomputes them. Recomputing saves
    /// 32 MB per layer at 32 × 148 (one more q·kᵀ product and exp per score, within noise of the caching step
    /// time on the reference machine); dropout always caches them.
    public var keepsAttentionProbabilities = false
    /// Activation arenas allocated so far: tests check that a step allocates none.
    private(set) var arenaAllocations = 0

    public init(config: BertConfig, weights: SafetensorsFile) throws {
        self.config = config
        let store = WeightStore<S>(file: weights, prefixes: ["bert.", "model."])
        self.store = store
        embeddings = try store.bertEmbeddings(config)
        layerWeights = try (0..<config.layers).map { try store.bertLayer($0, config) }
    }

    /// Loads `config.json` and `model.safetensors` from a Hugging Face model folder.
    public convenience init(directory: ModelDirectory) throws {
        try self.init(config: BertConfig(contentsOf: directory.configURL),
                      weights: SafetensorsFile(url: directory.weightsURL))
    }

    /// The frozen word-embedding table (V,d): prompt initialisations sample and average its rows.
    public var wordEmbeddings: UnsafePointer<S> { embeddings.word }

    /// out (count,d) = word embeddings of ids; ids outside the vocabulary are an error.
    @_specialize(exported: true, where S == Float)
    public func embedTokens(ids: UnsafePointer<Int32>, count: Int, into out: UnsafeMutablePointer<S>) throws {
        for i in 0..<count where ids[i] < 0 || Int(ids[i]) >= config.vocabularySize {
            throw BertInputError.tokenOutOfVocabulary(id: Int(ids[i]), vocabularySize: config.vocabularySize)
        }
        embeddingForward(out: out, ids: ids, table: embeddings.word, rows: count, width: config.hiddenSize)
    }

    /// inputsEmbeds (B,T,d), typeIds (B,T), attentionMask (B,T) of 0/1 → last hidden state (B,T,d), valid until
    /// the next forward. Positions are 0…T−1 in every row (PEFT's placement puts the prompt at 0…n−1).
    /// When every mask row is a prefix of ones (prompt, text, padding: what `PromptedBatch` builds), padding
    /// rows are dropped before the first layer (`BertRowLayout`) and their hidden states are 0; any other mask
    /// runs all B·T rows with masked attention, and padding rows then hold what BERT computes for them.
    ///
    /// `unreadPrefix` P promises that the caller reads neither the last hidden state of the first P positions of
    /// each sequence nor feeds a gradient into them (a head that pools the text, not the prompt). A packed batch
    /// without dropout then computes the last layer's query, attention output and feed-forward for the other rows
    /// only, forward and backward: keys and values still come from every row, so those outputs are unchanged.
    /// The skipped rows' last hidden state is unspecified (0 when skipped); `backward` ignores dLastHidden there.
    ///
    /// `inference`: the forward of evaluation and prediction (PyTorch's `model.eval()`): no dropout, whatever
    /// `dropout` says, and nothing kept for a backward, which must then follow another forward. It runs in the
    /// training arena when that holds the batch; a larger batch gets an arena of one layer's buffers, which every
    /// layer overwrites in turn (about a quarter of what a training arena of its size costs for MiniLM), and the
    /// training arena keeps its size.
    @_specialize(exported: true, where S == Float)
    public func forward(inputsEmbeds: UnsafePointer<S>, typeIds: UnsafePointer<Int32>,
                        attentionMask: UnsafePointer<Int32>, batch: Int, length: Int,
                        unreadPrefix: Int = 0, inference: Bool = false) throws -> UnsafePointer<S> {
        guard length <= config.maxPositions else {
            throw BertInputError.sequenceTooLong(length: length, maxPositions: config.maxPositions)
        }
        for i in 0..<batch * length where typeIds[i] < 0 || Int(typeIds[i]) >= config.typeVocabularySize {
            throw BertInputError.tokenTypeOutOfRange(typeIds[i], types: config.typeVocabularySize)
        }
        let a = inference ? inferenceArena(batch: batch, length: length) : arena(batch: batch, length: length)
        let layout = BertRowLayout(mask: attentionMask, batch: batch, length: length, allowPacking: packsPrefixMasks,
                                   lengths: a.sequenceLengths)
        let d = config.hiddenSize, f = config.intermediateSize, n = layout.rows
        let eps = S(config.layerNormEps)
        let drop = !inference && (dropout?.isActive ?? false)
        // A packed batch draws dropout masks for its rows only; the padded one fills whole buffers, as it always did.
        let probsMaskCount = layout.packed ? layout.probabilityCount(heads: config.heads) : nil
        let hiddenMaskCount = layout.packed ? n * d : nil
        let skipped = layout.packed && !drop ? max(unreadPrefix, 0) : 0

        if !layout.packed {
            for i in 0..<batch * length { a.keyMask.pointer[i] = attentionMask[i] != 0 ? 0 : -S.infinity }
        }

        // Embeddings: LN(inputs_embeds + position + token type), then dropout. Gathers the computed rows.
        let sum = a.embeddingSum.pointer
        var row = 0
        for b in 0..<batch {
            let count = layout.rowCount(b)
            for t in 0..<count {
                let source = b * length + t
                let x = inputsEmbeds + source * d, out = sum + (row + t) * d
                let pos = embeddings.position + t * d, type = embeddings.tokenType + Int(typeIds[source]) * d
                for c in 0..<d { out[c] = x[c] + pos[c] + type[c] }
            }
            row += count
        }
        layerNormForward(out: a.stream.pointer, mean: a.embeddingMean.pointer, rstd: a.embeddingRstd.pointer,
                         inp: sum, weight: embeddings.norm, bias: embeddings.normBias, rows: n, cols: d, eps: eps)
        if drop, let mask = a.embeddingDropMask {
            applyDropout(a.stream.pointer, mask: mask, count: n * d, draw: hiddenMaskCount)
        }

        for (index, w) in layerWeights.enumerated() {
            let l = a.layers[a.forBackward ? index : 0]  // inference: every layer overwrites the one set of buffers
            // Rows past the first `skip` of each sequence compute outputs: all N, or the last layer's N_q.
            let skip = index == layerWeights.count - 1 ? skipped : 0
            let nq = layout.queryRows(skipping: skip)
            let x = a.stream.pointer
            // xq (N_q,d): the layer input at those rows. Gathered into `normed`, which is free until the attention
            // LayerNorm writes it.
            var xq = x
            if skip > 0 {
                layout.gatherQueryRows(a.normed.pointer, from: x, width: d, skipping: skip)
                xq = a.normed.pointer
            }
            // The key bias adds q·b_k to all scores of a query row, which the softmax ignores: it is left out.
            // Without dropout the value bias rides in the attention output's bias (`attentionOutputBiasWithValueBias`).
            linearForward(out: l.q.pointer, inp: xq, weight: w.query, bias: w.queryBias, rows: nq, inFeatures: d, outFeatures: d)
            linearForward(out: l.k.pointer, inp: x, weight: w.key, bias: nil, rows: n, inFeatures: d, outFeatures: d)
            linearForward(out: l.v.pointer, inp: x, weight: w.value, bias: drop ? w.valueBias : nil,
                          rows: n, inFeatures: d, outFeatures: d)
            if drop, let mask = l.probsDropMask { fillDropoutMask(mask, probability: \.attention, count: probsMaskCount) }
            // The first layer's attention output stays for a backward that sums a shared prompt.
            let context = index == 0 ? a.firstLayerContext?.pointer ?? a.context.pointer : a.context.pointer
            layout.selfAttentionForward(out: context, cache: l.attention, q: l.q.pointer, k: l.k.pointer,
                                        v: l.v.pointer, keyMask: a.keyMask.pointer,
                                        dropoutMask: drop ? l.probsDropMask.map { UnsafePointer($0.pointer) } : nil,
                                        scratch: a.scoresScratch.pointer, heads: config.heads, headDim: config.headDim,
                                        skipping: skip)
            // attentionSum = dropout(context · Woᵀ + bo) + xq; without dropout the bias joins the residual's pass.
            linearForward(out: l.attentionSum.pointer, inp: context, weight: w.attentionOutput,
                          bias: drop ? w.attentionOutputBias : nil, rows: nq, inFeatures: d, outFeatures: d)
            if drop, let mask = l.attentionDropMask {
                applyDropout(l.attentionSum.pointer, mask: mask, count: nq * d, draw: hiddenMaskCount)
                add(l.attentionSum.pointer, xq, count: nq * d)
            } else {
                addBiasAndResidual(l.attentionSum.pointer, bias: w.attentionOutputBiasWithValueBias, residual: xq,
                                   rows: nq, width: d)
            }
            layerNormForward(out: a.normed.pointer, mean: l.attentionMean.pointer, rstd: l.attentionRstd.pointer,
                             inp: l.attentionSum.pointer, weight: w.attentionNorm, bias: w.attentionNormBias,
                             rows: nq, cols: d, eps: eps)
            // outputSum = dropout(act(normed · W1ᵀ + b1) · W2ᵀ + b2) + normed; b1 is added row by row as the
            // activation reads it, and b2 as the residual (no extra pass over the rows for either).
            linearForward(out: l.activationSlope.pointer, inp: a.normed.pointer, weight: w.intermediate,
                          bias: nil, rows: nq, inFeatures: d, outFeatures: f)
            activationForwardKeepingSlope(out: a.activated, slopeInPlace: l.activationSlope.pointer,
                                          addingBias: w.intermediateBias, rows: nq)
            linearForward(out: l.outputSum.pointer, inp: a.activated, weight: w.output, bias: drop ? w.outputBias : nil,
                          rows: nq, inFeatures: f, outFeatures: d)
            if drop, let mask = l.outputDropMask {
                applyDropout(l.outputSum.pointer, mask: mask, count: nq * d, draw: hiddenMaskCount)
                add(l.outputSum.pointer, a.normed.pointer, count: nq * d)
            } else {
                addBiasAndResidual(l.outputSum.pointer, bias: w.outputBias, residual: a.normed.pointer, rows: nq, width: d)
            }
            layerNormForward(out: x, mean: l.outputMean.pointer, rstd: l.outputRstd.pointer, inp: l.outputSum.pointer,
                             weight: w.outputNorm, bias: w.outputNormBias, rows: nq, cols: d, eps: eps)
        }
        // The backward never reads the stream, so the last hidden state can be spread to (B,T,d) in place.
        layout.spreadToPadded(a.stream.pointer, width: d, skipping: skipped)
        current = inference ? nil : layout  // an inference forward leaves nothing for a backward
        currentUnreadPrefix = skipped
        return UnsafePointer(a.stream.pointer)
    }

    /// dInputsEmbeds (B,T,d) += ∂L/∂inputs_embeds (`accumulate: false`: =), given dLastHidden (B,T,d) =
    /// ∂L/∂(last hidden state) for the batch of the latest forward (read past its `unreadPrefix` only). No weight
    /// gradients: the model is frozen. Each gradient buffer's first writer overwrites it, so no pass is spent
    /// zeroing. For a packed batch dLastHidden is read at real positions only, and padding rows of dInputsEmbeds
    /// get 0 (nothing added).
    @_specialize(exported: true, where S == Float)
    public func backward(dLastHidden: UnsafePointer<S>, dInputsEmbeds: UnsafeMutablePointer<S>,
                         accumulate: Bool = true) {
        backward(dLastHidden: dLastHidden, dInputsEmbeds: dInputsEmbeds, accumulate: accumulate, summingPrefix: 0)
    }

    /// dPrefix (P,d) = Σ_b ∂L/∂inputs_embeds[b, 0..<P]: the gradient of a prompt that every sequence of the latest
    /// forward starts with, given dLastHidden (B,T,d) as for `backward`. The rest of dInputsEmbeds (B,T,d), the
    /// caller's buffer, is scratch. When each sequence's first P embedding rows are equal (same prompt, positions
    /// and types) and the batch was packed without dropout, the first layer sums the prefix rows' query, key and
    /// value gradients over the batch before its three input-gradient products, which then cost P rows instead
    /// of N, and no text row's input gradient is computed. Otherwise the full backward runs and its prefix rows
    /// are summed. dPrefix is the first P·d entries of dInputsEmbeds.
    @_specialize(exported: true, where S == Float)
    public func backwardToSharedPrefix(_ prefix: Int, dLastHidden: UnsafePointer<S>,
                                       dInputsEmbeds: UnsafeMutablePointer<S>) {
        guard let layout = current else { preconditionFailure("BertEncoder.backward called before forward") }
        let d = config.hiddenSize
        if sharesPrefix(prefix, layout: layout) {
            backward(dLastHidden: dLastHidden, dInputsEmbeds: dInputsEmbeds, accumulate: false, summingPrefix: prefix)
            summedPrefixes += 1
            return
        }
        backward(dLastHidden: dLastHidden, dInputsEmbeds: dInputsEmbeds, accumulate: false, summingPrefix: 0)
        for b in 1..<max(layout.batch, 1) {
            let rows = dInputsEmbeds + b * layout.length * d
            for i in 0..<prefix * d { dInputsEmbeds[i] += rows[i] }
        }
    }

    /// Backwards that summed a shared prefix in the first layer (tests check the fast path is taken).
    private(set) var summedPrefixes = 0

    /// Whether the latest forward's batch lets the first layer sum the prefix: packed, no dropout, the first layer
    /// computing every row's output (not a one-layer model that skipped them), every sequence at least P rows
    /// long, and its first P rows of LayerNorm input (embedding + position + type) equal to the first sequence's,
    /// bit for bit, so that their LayerNorm is the same linear map and sums commute with it.
    private func sharesPrefix(_ prefix: Int, layout: BertRowLayout) -> Bool {
        guard prefix > 0, layout.packed, !(dropout?.isActive ?? false), let a = activations,
              layerWeights.count > 1 || currentUnreadPrefix == 0 else { return false }
        let d = config.hiddenSize, first = a.embeddingSum.pointer
        var row = 0
        for b in 0..<layout.batch {
            let t = layout.rowCount(b)
            guard t >= prefix else { return false }
            if b > 0 && memcmp(first, first + row * d, prefix * d * MemoryLayout<S>.stride) != 0 { return false }
            row += t
        }
        return true
    }

    /// The backward; with summingPrefix P > 0 (see `backwardToSharedPrefix`) it writes Σ_b of the first P input
    /// rows' gradient to the first P·d entries of dInputsEmbeds and nothing else.
    @_specialize(where S == Float)
    private func backward(dLastHidden: UnsafePointer<S>, dInputsEmbeds: UnsafeMutablePointer<S>, accumulate: Bool,
                          summingPrefix prefix: Int) {
        guard let layout = current, let a = activations else {
            preconditionFailure("BertEncoder.backward called before forward")
        }
        let d = config.hiddenSize, f = config.intermediateSize, n = layout.rows
        let drop = dropout?.isActive ?? false
        // With dropout off a branch's gradient is its sum's gradient; with it on, a masked copy in dSum.
        func branch(_ gradient: UnsafeMutablePointer<S>, _ mask: Buffer<S>?) -> UnsafePointer<S> {
            guard drop, let mask, let masked = a.dSum?.pointer else { return UnsafePointer(gradient) }
            for i in 0..<n * d { masked[i] = gradient[i] * mask.pointer[i] }
            return UnsafePointer(masked)
        }
        let dy = a.dStream.pointer  // ∂L/∂(current layer output); becomes ∂L/∂(its input)
        let skipped = currentUnreadPrefix
        layout.gatherRows(dy, from: dLastHidden, width: d, skipping: skipped)

        for (index, (w, l)) in zip(layerWeights, a.layers).enumerated().reversed() {
            // As in the forward: the outputs of N_q rows (the last layer may skip each sequence's first rows).
            let skip = index == layerWeights.count - 1 ? skipped : 0
            let nq = layout.queryRows(skipping: skip)
            // Output LayerNorm → dNormed = ∂L/∂outputSum, which the residual passes to `normed` unchanged.
            layerNormBackward(dinp: a.dNormed, dout: dy, inp: l.outputSum.pointer, mean: l.outputMean.pointer,
                              rstd: l.outputRstd.pointer, weight: w.outputNorm, rows: nq, cols: d, accumulate: false)
            // Feed-forward branch: dropout, W2, activation (∂L/∂activated ⊙ act′, in place), W1 (adding to the
            // residual's share).
            linearBackward(dinp: a.dActivated, dout: branch(a.dNormed, l.outputDropMask),
                           weight: w.output, rows: nq, inFeatures: f, outFeatures: d, accumulate: false)
            multiply(a.dActivated, l.activationSlope.pointer, count: nq * f)
            linearBackward(dinp: a.dNormed, dout: a.dActivated, weight: w.intermediate,
                           rows: nq, inFeatures: d, outFeatures: f)
            // Attention LayerNorm → dy = ∂L/∂attentionSum, the residual's share of ∂L/∂(layer input).
            layerNormBackward(dinp: dy, dout: a.dNormed, inp: l.attentionSum.pointer,
                              mean: l.attentionMean.pointer, rstd: l.attentionRstd.pointer, weight: w.attentionNorm,
                              rows: nq, cols: d, accumulate: false)
            // Attention branch: dropout, Wo, attention, then Q/K/V back into dy.
            linearBackward(dinp: a.dContext, dout: branch(dy, l.attentionDropMask), weight: w.attentionOutput,
                           rows: nq, inFeatures: d, outFeatures: d, accumulate: false)
            if index == 0 && prefix > 0, let context = a.firstLayerContext {
                // Only the prompt rows' dq, dk, dv are read below: the attention computes those alone.
                layout.selfAttentionBackwardToPrefix(prefix, dq: a.dq, dk: a.dk, dv: a.dv, dout: a.dContext,
                                                     out: context.pointer, cache: l.attention, q: l.q.pointer,
                                                     k: l.k.pointer, v: l.v.pointer, keyMask: a.keyMask.pointer,
                                                     scratch: a.scoresScratch.pointer, dscores: a.dScores.pointer,
                                                     heads: config.heads, headDim: config.headDim)
            } else {
                layout.selfAttentionBackward(dq: a.dq, dk: a.dk, dv: a.dv, dout: a.dContext,
                                             cache: l.attention, q: l.q.pointer, k: l.k.pointer, v: l.v.pointer,
                                             keyMask: a.keyMask.pointer,
                                             dropoutMask: drop ? l.probsDropMask.map { UnsafePointer($0.pointer) } : nil,
                                             scratch: a.scoresScratch.pointer, dscores: a.dScores.pointer,
                                             heads: config.heads, headDim: config.headDim, skipping: skip)
            }
            if index == 0 && prefix > 0 {
                // Only Σ_b of the prefix rows' input gradient is wanted, and every product below is linear in its
                // rows: sum the residual share and dq, dk, dv over the batch first (dNormed, dContext are spent),
                // then the products cost P rows. The prefix rows' LayerNorm is the same map in every sequence.
                let sum = a.dNormed, rows = a.dContext
                func addInputGradient(of gradient: UnsafeMutablePointer<S>, through weight: UnsafePointer<S>) {
                    layout.sumPrefixRows(rows, from: gradient, prefix: prefix, width: d)
                    linearBackward(dinp: sum, dout: rows, weight: weight, rows: prefix, inFeatures: d, outFeatures: d)
                }
                layout.sumPrefixRows(sum, from: dy, prefix: prefix, width: d)
                addInputGradient(of: a.dq, through: w.query)
                addInputGradient(of: a.dk, through: w.key)
                addInputGradient(of: a.dv, through: w.value)
                layerNormBackward(dinp: dInputsEmbeds, dout: sum, inp: a.embeddingSum.pointer,
                                  mean: a.embeddingMean.pointer, rstd: a.embeddingRstd.pointer, weight: embeddings.norm,
                                  rows: prefix, cols: d, accumulate: false)
                return
            }
            if skip > 0 {
                // dy holds N_q rows: their input gradient (residual + query) goes to its packed rows, 0 elsewhere,
                // before the keys and values add theirs to all N rows. dNormed is spent, so it is the staging.
                linearBackward(dinp: a.dNormed, dout: a.dq, weight: w.query, rows: nq, inFeatures: d, outFeatures: d,
                               accumulate: false)
                add(a.dNormed, dy, count: nq * d)
                layout.scatterQueryRows(a.dNormed, into: dy, width: d, skipping: skip)
            } else {
                linearBackward(dinp: dy, dout: a.dq, weight: w.query, rows: n, inFeatures: d, outFeatures: d)
            }
            linearBackward(dinp: dy, dout: a.dk, weight: w.key, rows: n, inFeatures: d, outFeatures: d)
            linearBackward(dinp: dy, dout: a.dv, weight: w.value, rows: n, inFeatures: d, outFeatures: d)
        }
        // Embeddings: dropout, then LayerNorm back to inputs_embeds (position and type tables are frozen).
        if drop, let mask = a.embeddingDropMask { multiply(dy, mask.pointer, count: n * d) }
        guard layout.dropsPadding else {
            layerNormBackward(dinp: dInputsEmbeds, dout: dy, inp: a.embeddingSum.pointer, mean: a.embeddingMean.pointer,
                              rstd: a.embeddingRstd.pointer, weight: embeddings.norm, rows: n, cols: d,
                              accumulate: accumulate)
            return
        }
        // Packed: each sequence's rows go straight to their padded places.
        var row = 0
        for b in 0..<layout.batch {
            let t = layout.rowCount(b), out = dInputsEmbeds + b * layout.length * d
            layerNormBackward(dinp: out, dout: dy + row * d, inp: a.embeddingSum.pointer + row * d,
                              mean: a.embeddingMean.pointer + row, rstd: a.embeddingRstd.pointer + row,
                              weight: embeddings.norm, rows: t, cols: d, accumulate: accumulate)
            if !accumulate { (out + t * d).update(repeating: 0, count: (layout.length - t) * d) }
            row += t
        }
    }

    // MARK: - Pieces

    /// The activation arena, grown (never shrunk) to hold a (batch, length) batch.
    private func arena(batch: Int, length: Int) -> BertActivations<S> {
        let wantsDropout = dropout?.isActive ?? false
        let keepsProbabilities = wantsDropout || keepsAttentionProbabilities
        if let a = activations, a.batch >= batch, a.length >= length,
           (a.embeddingDropMask != nil) == wantsDropout, a.keepsProbabilities == keepsProbabilities { return a }
        let old = activations
        activations = nil  // free the old arena before the new one is allocated
        let a = BertActivations<S>(config: config, batch: max(batch, old?.batch ?? 0),
                                   length: max(length, old?.length ?? 0), dropout: wantsDropout,
                                   keepsProbabilities: keepsProbabilities)
        activations = a
        arenaAllocations += 1
        return a
    }

    /// The arena of an inference forward: the training arena when it holds the batch (its caches are spent once
    /// the step's backward has run), else one of its own, grown like `arena` but for one layer, without dropout
    /// or backward buffers.
    private func inferenceArena(batch: Int, length: Int) -> BertActivations<S> {
        if let a = activations, a.batch >= batch, a.length >= length { return a }
        if let a = inferenceActivations, a.batch >= batch, a.length >= length { return a }
        let old = inferenceActivations
        inferenceActivations = nil  // free the old arena before the new one is allocated
        let a = BertActivations<S>(config: config, batch: max(batch, old?.batch ?? 0), length: max(length, old?.length ?? 0),
                                   dropout: false, keepsProbabilities: false, forBackward: false)
        inferenceActivations = a
        return a
    }

    /// Allocates the activations for batches up to (batch, length) now rather than at the first forward.
    public func reserve(batch: Int, length: Int) {
        _ = arena(batch: batch, length: length)
    }

    /// The same for inference forwards (nothing when the training arena holds such batches).
    public func reserveInference(batch: Int, length: Int) {
        _ = inferenceArena(batch: batch, length: length)
    }

    /// Draws a new mask over the first `count` entries (nil: the whole buffer) from the dropout stream.
    private func fillDropoutMask(_ mask: Buffer<S>, probability: KeyPath<BackboneDropout, Double>, count: Int?) {
        guard var source = dropout else { return }
        source.random.fillDropoutMask(UnsafeMutableBufferPointer(start: mask.pointer, count: count ?? mask.count),
                                      p: source[keyPath: probability])
        dropout = source
    }

    /// x (count) *= a new hidden-dropout mask drawn over its first `draw` entries (nil: the whole buffer).
    private func applyDropout(_ x: UnsafeMutablePointer<S>, mask: Buffer<S>, count: Int, draw: Int?) {
        fillDropoutMask(mask, probability: \.hidden, count: draw)
        multiply(x, mask.pointer, count: count)
    }

    /// out (rows,F) = act(x + b) and x (rows,F) := act′(x + b), the slope the backward multiplies by. Row by
    /// row, so the biased row is still in L1 when the activation reads it.
    private func activationForwardKeepingSlope(out: UnsafeMutablePointer<S>, slopeInPlace x: UnsafeMutablePointer<S>,
                                               addingBias bias: UnsafePointer<S>, rows: Int) {
        let f = config.intermediateSize
        switch config.activation {
        case .gelu: geluForwardKeepingSlope(out: out, slopeInPlace: x, addingBias: bias, rows: rows, cols: f, form: .exact)
        case .geluTanh: geluForwardKeepingSlope(out: out, slopeInPlace: x, addingBias: bias, rows: rows, cols: f, form: .tanh)
        case .relu:
            for r in 0..<rows {
                let row = x + r * f
                for j in 0..<f { row[j] += bias[j] }
                reluForwardKeepingSlope(out: out + r * f, slopeInPlace: row, count: f)
            }
        }
    }
}

/// The Float32 encoder used for training.
public typealias BertModel = BertEncoder<Float>

@inline(__always) private func add<S: KernelScalar>(_ y: UnsafeMutablePointer<S>, _ x: UnsafePointer<S>, count: Int) {
    for i in 0..<count { y[i] += x[i] }
}

/// y (rows,width) = (y + bias) + residual: a linear layer's bias and the residual connection in one pass.
@inline(__always) private func addBiasAndResidual<S: KernelScalar>(_ y: UnsafeMutablePointer<S>, bias: UnsafePointer<S>,
                                                                   residual: UnsafePointer<S>, rows: Int, width: Int) {
    for r in 0..<rows {
        let out = y + r * width, x = residual + r * width
        for j in 0..<width { out[j] = (out[j] + bias[j]) + x[j] }
    }
}

@inline(__always) private func multiply<S: KernelScalar>(_ y: UnsafeMutablePointer<S>, _ x: UnsafePointer<S>, count: Int) {
    for i in 0..<count { y[i] *= x[i] }
}

public enum BertInputError: Error, CustomStringConvertible, Equatable {
    case tokenOutOfVocabulary(id: Int, vocabularySize: Int)
    case tokenTypeOutOfRange(Int32, types: Int)
    case sequenceTooLong(length: Int, maxPositions: Int)

    public var description: String {
        switch self {
        case let .tokenOutOfVocabulary(id, size):
            return "token id \(id) is outside the model's vocabulary of \(size) (tokenizer and model do not match?)"
        case let .tokenTypeOutOfRange(type, types):
            return "token type id \(type) is outside 0..<\(types)"
        case let .sequenceTooLong(length, maxPositions):
            return "sequence of \(length) positions (prompt included) exceeds the model's \(maxPositions) positions"
        }
    }
}
