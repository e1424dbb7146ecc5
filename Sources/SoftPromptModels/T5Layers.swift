import SoftPromptTensor

// T5's three pre-norm residual sublayers (transformers' T5LayerSelfAttention, T5LayerCrossAttention, T5LayerFF),
// each a forward/backward pair in llm.c's style: out = x + F(RMSNorm(x)).
// Backwards take `dStream` holding ∂L/∂out and leave ∂L/∂x in it: the residual passes ∂L/∂out through unchanged,
// so only the branch's share is added (rmsNormBackward adds). Gradient scratch is overwritten by its first writer.
// No dropout: the frozen backbone runs without it (DESIGN.md §3, off by default); it would go on each branch
// output before the residual add and on the attention probabilities, as in BERT.
// Attention scores are not scaled by 1/√d_kv: T5 folds that into its q weights (scale 1).

/// Self-attention sublayer. x, out (R,d); q, k, v (R,inner) and rstd (R) cached; normed (R,d) and context
/// (R,inner) scratch. `attend` fills context from q, k, v: the encoder per sequence with softmax statistics
/// cached (`T5EncoderRows`), the decoder causally with its probabilities cached.
@inline(__always)
func t5SelfAttentionForward<S: KernelScalar>(out: UnsafeMutablePointer<S>, x: UnsafePointer<S>,
                                             rstd: UnsafeMutablePointer<S>, q: UnsafeMutablePointer<S>,
                                             k: UnsafeMutablePointer<S>, v: UnsafeMutablePointer<S>,
                                             normed: UnsafeMutablePointer<S>, context: UnsafeMutablePointer<S>,
                                             norm: UnsafePointer<S>, weights w: T5AttentionWeights<S>, rows: Int,
                                             inner: Int, modelDim d: Int, eps: S,
                                             attend: (_ context: UnsafeMutablePointer<S>) -> Void) {
    rmsNormForward(out: normed, rstd: rstd, inp: x, weight: norm, rows: rows, cols: d, eps: eps)
    linearForward(out: q, inp: normed, weight: w.q, bias: nil, rows: rows, inFeatures: d, outFeatures: inner)
    linearForward(out: k, inp: normed, weight: w.k, bias: nil, rows: rows, inFeatures: d, outFeatures: inner)
    linearForward(out: v, inp: normed, weight: w.v, bias: nil, rows: rows, inFeatures: d, outFeatures: inner)
    attend(context)
    t5ResidualProjection(out: out, x: x, inp: context, weight: w.o, rows: rows, inFeatures: inner, outFeatures: d)
}

/// dStream (R,d): ∂L/∂out in, ∂L/∂x out. dNormed (R,d), dContext, dq, dk, dv (R,inner) scratch; `attendBackward`
/// writes dq, dk, dv from dContext (the backward of the forward's `attend`).
@inline(__always)
func t5SelfAttentionBackward<S: KernelScalar>(dStream: UnsafeMutablePointer<S>, x: UnsafePointer<S>,
                                              rstd: UnsafePointer<S>, norm: UnsafePointer<S>,
                                              weights w: T5AttentionWeights<S>, dNormed: UnsafeMutablePointer<S>,
                                              dContext: UnsafeMutablePointer<S>, dq: UnsafeMutablePointer<S>,
                                              dk: UnsafeMutablePointer<S>, dv: UnsafeMutablePointer<S>, rows: Int,
                                              inner: Int, modelDim d: Int,
                                              attendBackward: (_ dContext: UnsafePointer<S>) -> Void) {
    linearBackward(dinp: dContext, dout: dStream, weight: w.o, rows: rows, inFeatures: inner, outFeatures: d,
                   accumulate: false)
    attendBackward(dContext)
    linearBackward(dinp: dNormed, dout: dq, weight: w.q, rows: rows, inFeatures: d, outFeatures: inner,
                   accumulate: false)
    linearBackward(dinp: dNormed, dout: dk, weight: w.k, rows: rows, inFeatures: d, outFeatures: inner)
    linearBackward(dinp: dNormed, dout: dv, weight: w.v, rows: rows, inFeatures: d, outFeatures: inner)
    rmsNormBackward(dinp: dStream, dout: dNormed, inp: x, rstd: rstd, weight: norm, rows: rows, cols: d)
}

/// Cross-attention sublayer: queries from the decoder stream x (R,d), R = B·Tq; keys and values from the encoder
/// output (N,d) laid out as `keys` says, projected into k, v (N,inner) only when `projectKeyValues` (they depend
/// on the encoding alone, so scoring several targets against one encoding projects them once). No position bias;
/// keyMask (B,Tk) is the encoder's padding mask (padded rows only). q (R,inner), probs, rstd (R) cached.
@inline(__always)
func t5CrossAttentionForward<S: KernelScalar>(out: UnsafeMutablePointer<S>, x: UnsafePointer<S>,
                                              rstd: UnsafeMutablePointer<S>, q: UnsafeMutablePointer<S>,
                                              k: UnsafeMutablePointer<S>, v: UnsafeMutablePointer<S>,
                                              probs: UnsafeMutablePointer<S>, normed: UnsafeMutablePointer<S>,
                                              context: UnsafeMutablePointer<S>, encoderOutput: UnsafePointer<S>,
                                              projectKeyValues: Bool, keys layout: T5EncoderRows,
                                              keyMask: UnsafePointer<S>, norm: UnsafePointer<S>,
                                              weights w: T5AttentionWeights<S>, shape: AttentionShape,
                                              modelDim d: Int, eps: S) {
    let rows = shape.batch * shape.queryLength, keyRows = layout.count, inner = shape.width
    rmsNormForward(out: normed, rstd: rstd, inp: x, weight: norm, rows: rows, cols: d, eps: eps)
    linearForward(out: q, inp: normed, weight: w.q, bias: nil, rows: rows, inFeatures: d, outFeatures: inner)
    if projectKeyValues {
        linearForward(out: k, inp: encoderOutput, weight: w.k, bias: nil, rows: keyRows, inFeatures: d,
                      outFeatures: inner)
        linearForward(out: v, inp: encoderOutput, weight: w.v, bias: nil, rows: keyRows, inFeatures: d,
                      outFeatures: inner)
    }
    layout.crossAttentionForward(out: context, probs: probs, q: q, k: k, v: v, keyMask: keyMask, shape: shape)
    t5ResidualProjection(out: out, x: x, inp: context, weight: w.o, rows: rows, inFeatures: inner, outFeatures: d)
}

/// dStream (R,d): ∂L/∂out in, ∂L/∂x out. dEncoderOutput (N,d) gets the keys' and values' share
/// (`accumulateEncoder: false` overwrites it: the first decoder layer to run backward). dk, dv (N,inner),
/// dScores (Tq,Tk) and the rest are scratch.
@inline(__always)
func t5CrossAttentionBackward<S: KernelScalar>(dStream: UnsafeMutablePointer<S>,
                                               dEncoderOutput: UnsafeMutablePointer<S>, accumulateEncoder: Bool,
                                               x: UnsafePointer<S>, rstd: UnsafePointer<S>, q: UnsafePointer<S>,
                                               k: UnsafePointer<S>, v: UnsafePointer<S>, probs: UnsafePointer<S>,
                                               norm: UnsafePointer<S>, weights w: T5AttentionWeights<S>,
                                               dNormed: UnsafeMutablePointer<S>, dContext: UnsafeMutablePointer<S>,
                                               dq: UnsafeMutablePointer<S>, dk: UnsafeMutablePointer<S>,
                                               dv: UnsafeMutablePointer<S>, dScores: UnsafeMutablePointer<S>,
                                               keys layout: T5EncoderRows, shape: AttentionShape, modelDim d: Int) {
    let rows = shape.batch * shape.queryLength, keyRows = layout.count, inner = shape.width
    linearBackward(dinp: dContext, dout: dStream, weight: w.o, rows: rows, inFeatures: inner, outFeatures: d,
                   accumulate: false)
    layout.crossAttentionBackward(dq: dq, dk: dk, dv: dv, dout: dContext, probs: probs, q: q, k: k, v: v,
                                  dScores: dScores, shape: shape)
    linearBackward(dinp: dNormed, dout: dq, weight: w.q, rows: rows, inFeatures: d, outFeatures: inner,
                   accumulate: false)
    rmsNormBackward(dinp: dStream, dout: dNormed, inp: x, rstd: rstd, weight: norm, rows: rows, cols: d)
    linearBackward(dinp: dEncoderOutput, dout: dk, weight: w.k, rows: keyRows, inFeatures: d, outFeatures: inner,
                   accumulate: accumulateEncoder)
    linearBackward(dinp: dEncoderOutput, dout: dv, weight: w.v, rows: keyRows, inFeatures: d, outFeatures: inner)
}

/// Feed-forward sublayer: out = x + wo · act(wi · norm(x)) or, gated, x + wo · (act(wi_0 · n) ⊙ wi_1 · n).
/// x, out (R,d); gate (R,F) (and linear (R,F) when gated), rstd (R) cached; normed (R,d), hidden (R,F) scratch.
@inline(__always)
func t5FeedForwardForward<S: KernelScalar>(out: UnsafeMutablePointer<S>, x: UnsafePointer<S>,
                                           rstd: UnsafeMutablePointer<S>, gate: UnsafeMutablePointer<S>,
                                           linear: UnsafeMutablePointer<S>?, normed: UnsafeMutablePointer<S>,
                                           hidden: UnsafeMutablePointer<S>, norm: UnsafePointer<S>,
                                           weights w: T5FeedForwardWeights<S>, activation: T5Config.Activation,
                                           rows: Int, modelDim d: Int, feedForwardDim f: Int, eps: S) {
    rmsNormForward(out: normed, rstd: rstd, inp: x, weight: norm, rows: rows, cols: d, eps: eps)
    linearForward(out: gate, inp: normed, weight: w.wi, bias: nil, rows: rows, inFeatures: d, outFeatures: f)
    t5ActivationForward(out: hidden, inp: gate, count: rows * f, activation)
    if let linear, let wiLinear = w.wiLinear {
        linearForward(out: linear, inp: normed, weight: wiLinear, bias: nil, rows: rows, inFeatures: d, outFeatures: f)
        for i in 0..<rows * f { hidden[i] *= linear[i] }
    }
    t5ResidualProjection(out: out, x: x, inp: hidden, weight: w.wo, rows: rows, inFeatures: f, outFeatures: d)
}

/// dStream (R,d): ∂L/∂out in, ∂L/∂x out. dNormed (R,d), dHidden, dGate (R,F) scratch.
@inline(__always)
func t5FeedForwardBackward<S: KernelScalar>(dStream: UnsafeMutablePointer<S>, x: UnsafePointer<S>,
                                            rstd: UnsafePointer<S>, gate: UnsafePointer<S>,
                                            linear: UnsafePointer<S>?, norm: UnsafePointer<S>,
                                            weights w: T5FeedForwardWeights<S>, activation: T5Config.Activation,
                                            dNormed: UnsafeMutablePointer<S>, dHidden: UnsafeMutablePointer<S>,
                                            dGate: UnsafeMutablePointer<S>, rows: Int, modelDim d: Int,
                                            feedForwardDim f: Int) {
    let count = rows * f
    linearBackward(dinp: dHidden, dout: dStream, weight: w.wo, rows: rows, inFeatures: f, outFeatures: d,
                   accumulate: false)
    if let linear, let wiLinear = w.wiLinear {
        // hidden = act(gate) ⊙ linear: dgate = dhidden ⊙ linear ⊙ act′(gate); dlinear = dhidden ⊙ act(gate),
        // written over dHidden (each element is read before it is replaced).
        t5GatedActivationBackward(dGate: dGate, dHiddenToDLinear: dHidden, gate: gate, linear: linear, count: count,
                                activation)
        linearBackward(dinp: dNormed, dout: dGate, weight: w.wi, rows: rows, inFeatures: d, outFeatures: f,
                       accumulate: false)
        linearBackward(dinp: dNormed, dout: dHidden, weight: wiLinear, rows: rows, inFeatures: d, outFeatures: f)
    } else {
        t5ActivationBackward(dinp: dGate, dout: dHidden, inp: gate, count: count, activation)
        linearBackward(dinp: dNormed, dout: dGate, weight: w.wi, rows: rows, inFeatures: d, outFeatures: f,
                       accumulate: false)
    }
    rmsNormBackward(dinp: dStream, dout: dNormed, inp: x, rstd: rstd, weight: norm, rows: rows, cols: d)
}

// MARK: - Pieces

/// out (R,O) = x (R,O) + inp (R,I) · weight (O,I)ᵀ: the branch projection and the residual add in one GEMM.
@inline(__always)
func t5ResidualProjection<S: KernelScalar>(out: UnsafeMutablePointer<S>, x: UnsafePointer<S>, inp: UnsafePointer<S>,
                                         weight: UnsafePointer<S>, rows: Int, inFeatures: Int, outFeatures: Int) {
    out.update(from: x, count: rows * outFeatures)
    gemm(transposeB: true, m: rows, n: outFeatures, k: inFeatures, a: inp, lda: inFeatures, b: weight,
         ldb: inFeatures, beta: 1, c: out, ldc: outFeatures)
}

@inline(__always)
func t5ActivationForward<S: KernelScalar>(out: UnsafeMutablePointer<S>, inp: UnsafePointer<S>, count: Int,
                                        _ activation: T5Config.Activation) {
    switch activation {
    case .relu: reluForward(out: out, inp: inp, count: count)
    case .gelu: geluForward(out: out, inp: inp, count: count, form: .exact)
    case .geluTanh: geluForward(out: out, inp: inp, count: count, form: .tanh)
    }
}

/// dinp = dout · act′(inp) (overwrites).
@inline(__always)
func t5ActivationBackward<S: KernelScalar>(dinp: UnsafeMutablePointer<S>, dout: UnsafePointer<S>,
                                         inp: UnsafePointer<S>, count: Int, _ activation: T5Config.Activation) {
    switch activation {
    case .relu: reluBackward(dinp: dinp, dout: dout, inp: inp, count: count, accumulate: false)
    case .gelu: geluBackward(dinp: dinp, dout: dout, inp: inp, count: count, form: .exact, accumulate: false)
    case .geluTanh: geluBackward(dinp: dinp, dout: dout, inp: inp, count: count, form: .tanh, accumulate: false)
    }
}

/// dGate = dHidden ⊙ linear ⊙ act′(gate), then dHidden ← dHidden ⊙ act(gate) (∂L/∂linear). One loop per
/// activation, so each vectorises.
@inline(__always)
func t5GatedActivationBackward<S: KernelScalar>(dGate: UnsafeMutablePointer<S>, dHiddenToDLinear dh: UnsafeMutablePointer<S>,
                                              gate: UnsafePointer<S>, linear: UnsafePointer<S>, count: Int,
                                              _ activation: T5Config.Activation) {
    switch activation {
    case .relu:
        // The derivative at 0 is taken as 0, as PyTorch does.
        for i in 0..<count {
            let g = gate[i], up = dh[i]
            dGate[i] = g > 0 ? up * linear[i] : 0
            dh[i] = g > 0 ? up * g : 0
        }
    case .gelu:
        for i in 0..<count {
            let g = gate[i], up = dh[i]
            dGate[i] = up * linear[i] * geluDerivative(g, .exact)
            dh[i] = up * gelu(g, .exact)
        }
    case .geluTanh:
        for i in 0..<count {
            let g = gate[i], up = dh[i]
            dGate[i] = up * linear[i] * geluDerivative(g, .tanh)
            dh[i] = up * gelu(g, .tanh)
        }
    }
}
