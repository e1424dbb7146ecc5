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
    private var current: (batch: Int, length: Int)?

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
    @_specialize(exported: true, where S == Float)
    public func forward(inputsEmbeds: UnsafePointer<S>, typeIds: UnsafePointer<Int32>,
                        attentionMask: UnsafePointer<Int32>, batch: Int, length: Int) throws -> UnsafePointer<S> {
        guard length <= config.maxPositions else {
            throw BertInputError.sequenceTooLong(length: length, maxPositions: config.maxPositions)
        }
        for i in 0..<batch * length where typeIds[i] < 0 || Int(typeIds[i]) >= config.typeVocabularySize {
            throw BertInputError.tokenTypeOutOfRange(typeIds[i], types: config.typeVocabularySize)
        }
        let a = arena(batch: batch, length: length)
        let d = config.hiddenSize, f = config.intermediateSize, n = batch * length
        let eps = S(config.layerNormEps)
        let drop = dropout?.isActive ?? false

        for i in 0..<n { a.keyMask.pointer[i] = attentionMask[i] != 0 ? 0 : -S.infinity }

        // Embeddings: LN(inputs_embeds + position + token type), then dropout.
        let sum = a.embeddingSum.pointer
        for b in 0..<batch {
            for t in 0..<length {
                let row = b * length + t
                let x = inputsEmbeds + row * d, out = sum + row * d
                let pos = embeddings.position + t * d, type = embeddings.tokenType + Int(typeIds[row]) * d
                for c in 0..<d { out[c] = x[c] + pos[c] + type[c] }
            }
        }
        layerNormForward(out: a.stream.pointer, mean: a.embeddingMean.pointer, rstd: a.embeddingRstd.pointer,
                         inp: sum, weight: embeddings.norm, bias: embeddings.normBias, rows: n, cols: d, eps: eps)
        if drop, let mask = a.embeddingDropMask { applyDropout(a.stream.pointer, mask: mask, count: n * d) }

        let shape = AttentionShape(batch: batch, heads: config.heads, queryLength: length, keyLength: length,
                                   headDim: config.headDim, scale: 1 / Double(config.headDim).squareRoot())
        for (w, l) in zip(layerWeights, a.layers) {
            let x = a.stream.pointer
            linearForward(out: l.q.pointer, inp: x, weight: w.query, bias: w.queryBias, rows: n, inFeatures: d, outFeatures: d)
            linearForward(out: l.k.pointer, inp: x, weight: w.key, bias: w.keyBias, rows: n, inFeatures: d, outFeatures: d)
            linearForward(out: l.v.pointer, inp: x, weight: w.value, bias: w.valueBias, rows: n, inFeatures: d, outFeatures: d)
            if drop, let mask = l.probsDropMask { fillDropoutMask(mask, probability: \.attention) }
            attentionForward(out: a.context.pointer, probs: l.probs.pointer, q: l.q.pointer, qStride: d,
                             k: l.k.pointer, kStride: d, v: l.v.pointer, vStride: d,
                             keyMask: a.keyMask.pointer, positionBias: nil,
                             dropoutMask: drop ? l.probsDropMask.map { UnsafePointer($0.pointer) } : nil,
                             scratch: a.scoresScratch.pointer, shape: shape)
            // attentionSum = dropout(context · Woᵀ + bo) + x
            linearForward(out: l.attentionSum.pointer, inp: a.context.pointer, weight: w.attentionOutput,
                          bias: w.attentionOutputBias, rows: n, inFeatures: d, outFeatures: d)
            if drop, let mask = l.attentionDropMask { applyDropout(l.attentionSum.pointer, mask: mask, count: n * d) }
            add(l.attentionSum.pointer, x, count: n * d)
            layerNormForward(out: a.normed.pointer, mean: l.attentionMean.pointer, rstd: l.attentionRstd.pointer,
                             inp: l.attentionSum.pointer, weight: w.attentionNorm, bias: w.attentionNormBias,
                             rows: n, cols: d, eps: eps)
            // outputSum = dropout(act(normed · W1ᵀ + b1) · W2ᵀ + b2) + normed
            linearForward(out: l.preActivation.pointer, inp: a.normed.pointer, weight: w.intermediate,
                          bias: w.intermediateBias, rows: n, inFeatures: d, outFeatures: f)
            activationForward(out: a.activated.pointer, inp: l.preActivation.pointer, count: n * f)
            linearForward(out: l.outputSum.pointer, inp: a.activated.pointer, weight: w.output, bias: w.outputBias,
                          rows: n, inFeatures: f, outFeatures: d)
            if drop, let mask = l.outputDropMask { applyDropout(l.outputSum.pointer, mask: mask, count: n * d) }
            add(l.outputSum.pointer, a.normed.pointer, count: n * d)
            layerNormForward(out: x, mean: l.outputMean.pointer, rstd: l.outputRstd.pointer, inp: l.outputSum.pointer,
                             weight: w.outputNorm, bias: w.outputNormBias, rows: n, cols: d, eps: eps)
        }
        current = (batch, length)
        return UnsafePointer(a.stream.pointer)
    }

    /// dInputsEmbeds (B,T,d) += ∂L/∂inputs_embeds (`accumulate: false`: =), given dLastHidden (B,T,d) =
    /// ∂L/∂(last hidden state) for the batch of the latest forward. No weight gradients: the model is frozen.
    /// Each gradient buffer's first writer overwrites it, so no pass is spent zeroing.
    @_specialize(exported: true, where S == Float)
    public func backward(dLastHidden: UnsafePointer<S>, dInputsEmbeds: UnsafeMutablePointer<S>,
                         accumulate: Bool = true) {
        guard let (batch, length) = current, let a = activations else {
            preconditionFailure("BertEncoder.backward called before forward")
        }
        let d = config.hiddenSize, f = config.intermediateSize, n = batch * length
        let shape = AttentionShape(batch: batch, heads: config.heads, queryLength: length, keyLength: length,
                                   headDim: config.headDim, scale: 1 / Double(config.headDim).squareRoot())
        let drop = dropout?.isActive ?? false
        // With dropout off a branch's gradient is its sum's gradient; with it on, a masked copy in dSum.
        func branch(_ gradient: UnsafeMutablePointer<S>, _ mask: Buffer<S>?) -> UnsafePointer<S> {
            guard drop, let mask else { return UnsafePointer(gradient) }
            for i in 0..<n * d { a.dSum.pointer[i] = gradient[i] * mask.pointer[i] }
            return UnsafePointer(a.dSum.pointer)
        }
        let dy = a.dStream.pointer  // ∂L/∂(current layer output); becomes ∂L/∂(its input)
        dy.update(from: dLastHidden, count: n * d)

        for (w, l) in zip(layerWeights, a.layers).reversed() {
            // Output LayerNorm → dNormed = ∂L/∂outputSum, which the residual passes to `normed` unchanged.
            layerNormBackward(dinp: a.dNormed.pointer, dout: dy, inp: l.outputSum.pointer, mean: l.outputMean.pointer,
                              rstd: l.outputRstd.pointer, weight: w.outputNorm, rows: n, cols: d, accumulate: false)
            // Feed-forward branch: dropout, W2, activation, W1 (adding to the residual's share).
            linearBackward(dinp: a.dActivated.pointer, dout: branch(a.dNormed.pointer, l.outputDropMask),
                           weight: w.output, rows: n, inFeatures: f, outFeatures: d, accumulate: false)
            activationBackward(dinp: a.dPreActivation.pointer, dout: a.dActivated.pointer,
                               inp: l.preActivation.pointer, count: n * f)
            linearBackward(dinp: a.dNormed.pointer, dout: a.dPreActivation.pointer, weight: w.intermediate,
                           rows: n, inFeatures: d, outFeatures: f)
            // Attention LayerNorm → dy = ∂L/∂attentionSum, the residual's share of ∂L/∂(layer input).
            layerNormBackward(dinp: dy, dout: a.dNormed.pointer, inp: l.attentionSum.pointer,
                              mean: l.attentionMean.pointer, rstd: l.attentionRstd.pointer, weight: w.attentionNorm,
                              rows: n, cols: d, accumulate: false)
            // Attention branch: dropout, Wo, attention, then Q/K/V back into dy.
            linearBackward(dinp: a.dContext.pointer, dout: branch(dy, l.attentionDropMask), weight: w.attentionOutput,
                           rows: n, inFeatures: d, outFeatures: d, accumulate: false)
            attentionBackward(dq: a.dq.pointer, dk: a.dk.pointer, dv: a.dv.pointer, dout: a.dContext.pointer,
                              probs: l.probs.pointer, q: l.q.pointer, qStride: d, k: l.k.pointer, kStride: d,
                              v: l.v.pointer, vStride: d,
                              dropoutMask: drop ? l.probsDropMask.map { UnsafePointer($0.pointer) } : nil,
                              scratch: a.scoresScratch.pointer, dscores: a.dScores.pointer, shape: shape,
                              accumulate: false)
            linearBackward(dinp: dy, dout: a.dq.pointer, weight: w.query, rows: n, inFeatures: d, outFeatures: d)
            linearBackward(dinp: dy, dout: a.dk.pointer, weight: w.key, rows: n, inFeatures: d, outFeatures: d)
            linearBackward(dinp: dy, dout: a.dv.pointer, weight: w.value, rows: n, inFeatures: d, outFeatures: d)
        }
        // Embeddings: dropout, then LayerNorm back to inputs_embeds (position and type tables are frozen).
        if drop, let mask = a.embeddingDropMask { multiply(dy, mask.pointer, count: n * d) }
        layerNormBackward(dinp: dInputsEmbeds, dout: dy, inp: a.embeddingSum.pointer, mean: a.embeddingMean.pointer,
                          rstd: a.embeddingRstd.pointer, weight: embeddings.norm, rows: n, cols: d,
                          accumulate: accumulate)
    }

    // MARK: - Pieces

    /// The activation arena, grown (never shrunk) to hold a (batch, length) batch.
    private func arena(batch: Int, length: Int) -> BertActivations<S> {
        let wantsDropout = dropout?.isActive ?? false
        if let a = activations, a.batch >= batch, a.length >= length,
           (a.embeddingDropMask != nil) == wantsDropout { return a }
        let old = activations
        activations = nil  // free the old arena before the new one is allocated
        let a = BertActivations<S>(config: config, batch: max(batch, old?.batch ?? 0),
                                   length: max(length, old?.length ?? 0), dropout: wantsDropout)
        activations = a
        return a
    }

    /// Allocates the activations for batches up to (batch, length) now rather than at the first forward.
    public func reserve(batch: Int, length: Int) {
        _ = arena(batch: batch, length: length)
    }

    /// Draws a new mask over the whole buffer (its size is fixed per arena) from the dropout stream.
    private func fillDropoutMask(_ mask: Buffer<S>, probability: KeyPath<BackboneDropout, Double>) {
        guard var source = dropout else { return }
        source.random.fillDropoutMask(UnsafeMutableBufferPointer(start: mask.pointer, count: mask.count),
                                      p: source[keyPath: probability])
        dropout = source
    }

    private func applyDropout(_ x: UnsafeMutablePointer<S>, mask: Buffer<S>, count: Int) {
        fillDropoutMask(mask, probability: \.hidden)
        multiply(x, mask.pointer, count: count)
    }

    private func activationForward(out: UnsafeMutablePointer<S>, inp: UnsafePointer<S>, count: Int) {
        switch config.activation {
        case .gelu: geluForward(out: out, inp: inp, count: count, form: .exact)
        case .geluTanh: geluForward(out: out, inp: inp, count: count, form: .tanh)
        case .relu: reluForward(out: out, inp: inp, count: count)
        }
    }

    /// dinp = dout · act′(inp) (overwrites).
    private func activationBackward(dinp: UnsafeMutablePointer<S>, dout: UnsafePointer<S>, inp: UnsafePointer<S>,
                                    count: Int) {
        switch config.activation {
        case .gelu: geluBackward(dinp: dinp, dout: dout, inp: inp, count: count, form: .exact, accumulate: false)
        case .geluTanh: geluBackward(dinp: dinp, dout: dout, inp: inp, count: count, form: .tanh, accumulate: false)
        case .relu: reluBackward(dinp: dinp, dout: dout, inp: inp, count: count, accumulate: false)
        }
    }
}

/// The Float32 encoder used for training.
public typealias BertModel = BertEncoder<Float>

@inline(__always) private func add<S: KernelScalar>(_ y: UnsafeMutablePointer<S>, _ x: UnsafePointer<S>, count: Int) {
    for i in 0..<count { y[i] += x[i] }
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
