import SoftPromptTensor

// Everything one forward/backward needs, allocated once for a capacity and reused by every batch that fits
// (dynamic padding changes the lengths from step to step), so a step allocates nothing. Only what input gradients
// need is cached per layer (DESIGN.md §3): each RMSNorm's input and rstd, q/k/v, the attention probabilities
// (the encoder's self-attention keeps two softmax statistics per row instead), the feed-forward pre-activations.
// Projections' outputs that only feed a frozen matmul are scratch.
// Encoder and decoder have separate arenas, so growing the decoder (a longer target) keeps the latest encoding.

/// The encoder's arena for batches up to (B, Te): N ≤ B·Te rows (fewer when packed, `T5EncoderRows`).
final class T5EncoderActivations<S: KernelScalar> {
    let batch: Int, length: Int  // capacities
    struct Layer {
        let input: Buffer<S>                   // (N,d) the residual stream entering the layer = self-attention norm input
        let selfRstd: Buffer<S>                // (N)
        let q, k, v: Buffer<S>                 // (N,inner)
        /// Each softmax row's (max, 1/Σ exp), from which the backward rebuilds the probabilities: (B,H,Te,2),
        /// or Σ_b (H,L_b,2) when the rows are packed.
        let statistics: Buffer<S>
        let middle: Buffer<S>                  // (N,d) the stream after attention = feed-forward norm input
        let feedForwardRstd: Buffer<S>         // (N)
        let gate: Buffer<S>                    // (N,F) wi (or wi_0) output, before the activation
        let linear: Buffer<S>?                 // (N,F) wi_1 output, gated blocks only
    }
    let layers: [Layer]
    let finalInput: Buffer<S>                  // (N,d) input of the final RMSNorm
    let finalRstd: Buffer<S>                   // (N)
    let output: Buffer<S>                      // (N,d) the last hidden state; the decoder's cross-attention reads it
    /// (B,Te,d) the last hidden state laid out as the input, when the rows were packed (`T5EncoderRows`).
    let paddedOutput: Buffer<S>
    let keyMask: Buffer<S>                     // (B,Te) additive: 0 keep, −∞ padding (also the cross-attention's)
    let sequenceLengths, sequenceOffsets: UnsafeMutablePointer<Int>  // (B) of packed rows
    let positionBias: Buffer<S>                // (H,Te,Te) bidirectional relative bias, shared by all layers
    // Forward scratch
    let normed: Buffer<S>                      // (N,d)
    let context: Buffer<S>                     // (N,inner)
    let hidden: Buffer<S>                      // (N,F)
    // Backward: dOutput = ∂L/∂output (the decoder's cross-attention writes it); dk, dv double as the
    // cross-attention's key/value gradients before the encoder backward needs them.
    let dOutput, dStream, dNormed: Buffer<S>   // (N,d)
    let dContext, dq, dk, dv: Buffer<S>        // (N,inner)
    let dHidden, dGate: Buffer<S>              // (N,F)
    let scores, dScores: Buffer<S>             // (Te,Te) one head's probabilities and their gradient

    init(config c: T5Config, batch: Int, length: Int) {
        self.batch = batch
        self.length = length
        let rows = batch * length
        let nd = rows * c.modelDim, ni = rows * c.innerDim, nf = rows * c.feedForwardDim
        layers = (0..<c.encoderLayers).map { _ in
            Layer(input: Buffer(nd), selfRstd: Buffer(rows), q: Buffer(ni), k: Buffer(ni), v: Buffer(ni),
                  statistics: Buffer(rows * c.heads * 2), middle: Buffer(nd), feedForwardRstd: Buffer(rows),
                  gate: Buffer(nf),
                  linear: c.feedForward.gated ? Buffer(nf) : nil)
        }
        finalInput = Buffer(nd)
        finalRstd = Buffer(rows)
        output = Buffer(nd)
        paddedOutput = Buffer(nd)
        keyMask = Buffer(rows)
        sequenceLengths = .allocate(capacity: max(batch, 1))
        sequenceLengths.initialize(repeating: 0, count: max(batch, 1))
        sequenceOffsets = .allocate(capacity: max(batch, 1))
        sequenceOffsets.initialize(repeating: 0, count: max(batch, 1))
        positionBias = Buffer(c.heads * length * length)
        normed = Buffer(nd)
        context = Buffer(ni)
        hidden = Buffer(nf)
        dOutput = Buffer(nd)
        dStream = Buffer(nd)
        dNormed = Buffer(nd)
        dContext = Buffer(ni)
        dq = Buffer(ni)
        dk = Buffer(ni)
        dv = Buffer(ni)
        dHidden = Buffer(nf)
        dGate = Buffer(nf)
        scores = Buffer(length * length)
        dScores = Buffer(length * length)
    }

    deinit {
        sequenceLengths.deallocate()
        sequenceOffsets.deallocate()
    }

    /// The residual stream after layer `i`: the next layer's input, or the final norm's after the last.
    func stream(after i: Int) -> Buffer<S> { i + 1 < layers.count ? layers[i + 1].input : finalInput }
}

/// The decoder's arena for batches up to (B, Td) decoding against encodings up to Te: M = B·Td rows, N = B·Te.
final class T5DecoderActivations<S: KernelScalar> {
    let batch: Int, length: Int, encoderLength: Int  // capacities
    struct Layer {
        let input: Buffer<S>                   // (M,d) self-attention norm input
        let selfRstd: Buffer<S>                // (M)
        let q, k, v: Buffer<S>                 // (M,inner)
        let selfProbs: Buffer<S>               // (B,H,Td,Td)
        let crossInput: Buffer<S>              // (M,d) cross-attention norm input
        let crossRstd: Buffer<S>               // (M)
        let crossQ: Buffer<S>                  // (M,inner)
        let crossK, crossV: Buffer<S>          // (N,inner) projections of the encoder output
        let crossProbs: Buffer<S>              // (B,H,Td,Te), or Σ_b H·Td·L_b when the encoder rows are packed
        let middle: Buffer<S>                  // (M,d) feed-forward norm input
        let feedForwardRstd: Buffer<S>         // (M)
        let gate: Buffer<S>                    // (M,F)
        let linear: Buffer<S>?                 // (M,F) gated only
    }
    let layers: [Layer]
    let finalInput: Buffer<S>                  // (M,d)
    let finalRstd: Buffer<S>                   // (M)
    /// (M,V) logits; the loss turns them into probabilities and the backward into their gradient, in place:
    /// the one vocabulary-sized buffer.
    let logits: Buffer<S>
    let labels: UnsafeMutablePointer<Int32>    // (M) the targets of the latest loss, for the backward
    let positionBias: Buffer<S>                // (H,Td,Td) causal relative bias
    // Forward scratch
    let normed: Buffer<S>                      // (M,d); finally the normed decoder output, the LM head's input
    let context: Buffer<S>                     // (M,inner)
    let hidden: Buffer<S>                      // (M,F)
    // Backward scratch
    let dStream, dNormed: Buffer<S>            // (M,d)
    let dContext, dq, dk, dv: Buffer<S>        // (M,inner)
    let dHidden, dGate: Buffer<S>              // (M,F)
    let dScores: Buffer<S>                     // (Td, max(Td,Te))

    init(config c: T5Config, batch: Int, length: Int, encoderLength: Int) {
        self.batch = batch
        self.length = length
        self.encoderLength = encoderLength
        let rows = batch * length, encoderRows = batch * encoderLength
        let md = rows * c.modelDim, mi = rows * c.innerDim, mf = rows * c.feedForwardDim
        layers = (0..<c.decoderLayers).map { _ in
            Layer(input: Buffer(md), selfRstd: Buffer(rows), q: Buffer(mi), k: Buffer(mi), v: Buffer(mi),
                  selfProbs: Buffer(batch * c.heads * length * length), crossInput: Buffer(md),
                  crossRstd: Buffer(rows), crossQ: Buffer(mi), crossK: Buffer(encoderRows * c.innerDim),
                  crossV: Buffer(encoderRows * c.innerDim), crossProbs: Buffer(batch * c.heads * length * encoderLength),
                  middle: Buffer(md), feedForwardRstd: Buffer(rows), gate: Buffer(mf),
                  linear: c.feedForward.gated ? Buffer(mf) : nil)
        }
        finalInput = Buffer(md)
        finalRstd = Buffer(rows)
        logits = Buffer(rows * c.vocabularySize)
        labels = .allocate(capacity: max(rows, 1))
        labels.initialize(repeating: crossEntropyIgnoreIndex, count: max(rows, 1))
        positionBias = Buffer(c.heads * length * length)
        normed = Buffer(md)
        context = Buffer(mi)
        hidden = Buffer(mf)
        dStream = Buffer(md)
        dNormed = Buffer(md)
        dContext = Buffer(mi)
        dq = Buffer(mi)
        dk = Buffer(mi)
        dv = Buffer(mi)
        dHidden = Buffer(mf)
        dGate = Buffer(mf)
        dScores = Buffer(length * max(length, encoderLength))
    }

    deinit { labels.deallocate() }

    func stream(after i: Int) -> Buffer<S> { i + 1 < layers.count ? layers[i + 1].input : finalInput }
}
