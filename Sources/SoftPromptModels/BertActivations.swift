import SoftPromptTensor

/// Everything one forward/backward of a (B,T) batch needs, allocated once for a capacity (B_max, T_max) and
/// reused by every smaller batch (dynamic padding changes T from step to step), so a step allocates nothing.
/// Only what input gradients need is cached per layer (DESIGN.md §3): q, k, v and the attention probabilities,
/// the LayerNorm inputs with their mean/rstd, the activation's slope at the FFN pre-activation. N rows are B·T,
/// or Σ L_b for a packed batch (`BertRowLayout`), whose probabilities are (H,L_b,L_b) per sequence, back to back.
/// The forward's scratch is dead once the backward starts, so the backward's gradients reuse it (`dContext`,
/// `dNormed`, `wide`): the scratch is 8 or 9 (N,d) blocks instead of 23.
final class BertActivations<S: KernelScalar> {
    let batch: Int, length: Int  // capacities
    struct Layer {
        let q, k, v: Buffer<S>                 // (N,d)
        /// The attention probabilities (with dropout, or when asked to keep them); otherwise each softmax row's
        /// (max, 1/Σ exp), from which the backward recomputes them (H·T² − 2·H·T fewer scalars per sequence).
        let attention: AttentionCache<S>
        let attentionStorage: Buffer<S>        // (B,H,T,T) or (B,H,T,2), behind `attention`
        let attentionSum: Buffer<S>            // (N,d) input of the attention LayerNorm
        let attentionMean, attentionRstd: Buffer<S>  // (N)
        let activationSlope: Buffer<S>         // (N,F) act′(FFN pre-activation), all the backward needs of it
        let outputSum: Buffer<S>               // (N,d) input of the output LayerNorm
        let outputMean, outputRstd: Buffer<S>  // (N)
        let attentionDropMask, outputDropMask: Buffer<S>?  // (N,d) when dropout is on
        let probsDropMask: Buffer<S>?          // (B,H,T,T) when dropout is on
    }
    let layers: [Layer]
    let embeddingSum: Buffer<S>                // (N,d)
    let embeddingMean, embeddingRstd: Buffer<S>
    let embeddingDropMask: Buffer<S>?
    let keyMask: Buffer<S>                     // (B,T) additive, padded layout only
    /// (N,d) the first layer's attention output, kept when the probabilities are not: the backward that sums a
    /// shared prompt takes its softmax row sums from it (`attentionBackwardToPrefix`).
    let firstLayerContext: Buffer<S>?
    let sequenceLengths: UnsafeMutablePointer<Int>  // (B) real rows per sequence of a packed batch
    // Scratch: forward, then reused by the backward
    let stream: Buffer<S>                      // (N,d) the residual stream; holds the last hidden state at the end
    let context, normed: Buffer<S>             // (N,d) forward; their gradients in the backward (below)
    /// (max(N·F, 3·N·d)): the forward's activated FFN rows (N,F); in the backward first ∂L/∂activated, turned in
    /// place into ∂L/∂pre-activation, then (once that is spent) dq, dk, dv (N,d) each.
    let wide: Buffer<S>
    let dStream: Buffer<S>                     // (N,d) ∂L/∂(current layer output)
    let dSum: Buffer<S>?                       // (N,d) a dropout-masked branch gradient, when dropout is on
    let dScores, scoresScratch: Buffer<S>      // (T,T)
    private let rowCapacity: Int, width: Int

    var activated: UnsafeMutablePointer<S> { wide.pointer }
    var dActivated: UnsafeMutablePointer<S> { wide.pointer }
    var dContext: UnsafeMutablePointer<S> { context.pointer }
    var dNormed: UnsafeMutablePointer<S> { normed.pointer }
    var dq: UnsafeMutablePointer<S> { wide.pointer }
    var dk: UnsafeMutablePointer<S> { wide.pointer + rowCapacity * width }
    var dv: UnsafeMutablePointer<S> { wide.pointer + 2 * rowCapacity * width }

    /// Whether `attention` holds the probabilities (always with dropout) rather than softmax statistics.
    let keepsProbabilities: Bool

    /// Whether this arena serves a backward; an inference arena (`forBackward: false`) holds one layer's buffers,
    /// which every layer overwrites in turn, and none of the backward's.
    let forBackward: Bool

    init(config c: BertConfig, batch: Int, length: Int, dropout: Bool, keepsProbabilities: Bool, forBackward: Bool = true) {
        precondition(keepsProbabilities || !dropout, "attention dropout needs the probabilities cached")
        precondition(forBackward || !dropout, "inference runs without dropout")
        self.keepsProbabilities = keepsProbabilities
        self.forBackward = forBackward
        let rows = batch * length
        self.batch = batch
        self.length = length
        let nd = rows * c.hiddenSize, nf = rows * c.intermediateSize
        layers = (0..<(forBackward ? c.layers : 1)).map { _ in
            let storage = Buffer<S>(batch * c.heads * length * (keepsProbabilities ? length : 2))
            return Layer(q: Buffer(nd), k: Buffer(nd), v: Buffer(nd),
                  attention: keepsProbabilities ? .probabilities(storage.pointer) : .statistics(storage.pointer),
                  attentionStorage: storage,
                  attentionSum: Buffer(nd), attentionMean: Buffer(rows), attentionRstd: Buffer(rows),
                  activationSlope: Buffer(nf), outputSum: Buffer(nd), outputMean: Buffer(rows), outputRstd: Buffer(rows),
                  attentionDropMask: dropout ? Buffer(nd) : nil, outputDropMask: dropout ? Buffer(nd) : nil,
                  probsDropMask: dropout ? Buffer(batch * c.heads * length * length) : nil)
        }
        embeddingSum = Buffer(nd)
        embeddingMean = Buffer(rows)
        embeddingRstd = Buffer(rows)
        embeddingDropMask = dropout ? Buffer(nd) : nil
        keyMask = Buffer(rows)
        firstLayerContext = keepsProbabilities || !forBackward ? nil : Buffer(nd)
        sequenceLengths = .allocate(capacity: max(batch, 1))
        sequenceLengths.initialize(repeating: 0, count: max(batch, 1))
        stream = Buffer(nd)
        context = Buffer(nd)
        normed = Buffer(nd)
        wide = Buffer(max(nf, 3 * nd))
        dStream = Buffer(forBackward ? nd : 0)
        dSum = dropout ? Buffer(nd) : nil
        rowCapacity = rows
        width = c.hiddenSize
        dScores = Buffer(forBackward ? length * length : 0)
        scoresScratch = Buffer(length * length)
    }

    deinit { sequenceLengths.deallocate() }
}
