import SoftPromptTensor

/// Everything one forward/backward of a (B,T) batch needs, allocated once for a capacity (B_max, T_max) and
/// reused by every smaller batch (dynamic padding changes T from step to step), so a step allocates nothing.
/// Only what input gradients need is cached per layer (DESIGN.md §3): q, k, v and the attention probabilities,
/// the LayerNorm inputs with their mean/rstd, the FFN pre-activation. N rows are B·T, or Σ L_b for a packed
/// batch (`BertRowLayout`), whose probabilities are (H,L_b,L_b) per sequence, back to back.
final class BertActivations<S: KernelScalar> {
    let batch: Int, length: Int  // capacities
    struct Layer {
        let q, k, v: Buffer<S>                 // (N,d)
        let probs: Buffer<S>                   // (B,H,T,T) padded, Σ_b (H,L_b,L_b) packed
        let attentionSum: Buffer<S>            // (N,d) input of the attention LayerNorm
        let attentionMean, attentionRstd: Buffer<S>  // (N)
        let preActivation: Buffer<S>           // (N,F)
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
    let sequenceLengths: UnsafeMutablePointer<Int>  // (B) real rows per sequence of a packed batch
    // Forward scratch
    let stream: Buffer<S>                      // (N,d) the residual stream; holds the last hidden state at the end
    let context, normed: Buffer<S>             // (N,d)
    let activated: Buffer<S>                   // (N,F)
    // Backward scratch
    let dStream, dSum, dNormed, dContext, dq, dk, dv: Buffer<S>  // (N,d); dSum holds dropout-masked branches
    let dActivated, dPreActivation: Buffer<S>  // (N,F)
    let dScores, scoresScratch: Buffer<S>      // (T,T)

    init(config c: BertConfig, batch: Int, length: Int, dropout: Bool) {
        let rows = batch * length
        self.batch = batch
        self.length = length
        let nd = rows * c.hiddenSize, nf = rows * c.intermediateSize
        layers = (0..<c.layers).map { _ in
            Layer(q: Buffer(nd), k: Buffer(nd), v: Buffer(nd), probs: Buffer(batch * c.heads * length * length),
                  attentionSum: Buffer(nd), attentionMean: Buffer(rows), attentionRstd: Buffer(rows),
                  preActivation: Buffer(nf), outputSum: Buffer(nd), outputMean: Buffer(rows), outputRstd: Buffer(rows),
                  attentionDropMask: dropout ? Buffer(nd) : nil, outputDropMask: dropout ? Buffer(nd) : nil,
                  probsDropMask: dropout ? Buffer(batch * c.heads * length * length) : nil)
        }
        embeddingSum = Buffer(nd)
        embeddingMean = Buffer(rows)
        embeddingRstd = Buffer(rows)
        embeddingDropMask = dropout ? Buffer(nd) : nil
        keyMask = Buffer(rows)
        sequenceLengths = .allocate(capacity: max(batch, 1))
        sequenceLengths.initialize(repeating: 0, count: max(batch, 1))
        stream = Buffer(nd)
        context = Buffer(nd)
        normed = Buffer(nd)
        activated = Buffer(nf)
        dStream = Buffer(nd)
        dSum = Buffer(nd)
        dNormed = Buffer(nd)
        dContext = Buffer(nd)
        dq = Buffer(nd)
        dk = Buffer(nd)
        dv = Buffer(nd)
        dActivated = Buffer(nf)
        dPreActivation = Buffer(nf)
        dScores = Buffer(length * length)
        scoresScratch = Buffer(length * length)
    }

    deinit { sequenceLengths.deallocate() }
}
