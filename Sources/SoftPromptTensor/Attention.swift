import RealModule

/// The sizes of one scaled dot-product attention call.
public struct AttentionShape: Sendable, Equatable {
    public var batch: Int
    public var heads: Int
    public var queryLength: Int
    public var keyLength: Int
    public var headDim: Int
    /// Multiplies q·k: 1/√headDim for BERT, 1 for T5 (which folds it into its weights).
    public var scale: Double
    /// Masks key j for query i when j > i (T5's decoder self-attention).
    public var causal: Bool

    public init(batch: Int, heads: Int, queryLength: Int, keyLength: Int, headDim: Int,
                scale: Double, causal: Bool = false) {
        self.batch = batch
        self.heads = heads
        self.queryLength = queryLength
        self.keyLength = keyLength
        self.headDim = headDim
        self.scale = scale
        self.causal = causal
    }

    public var width: Int { heads * headDim }
    /// Elements of the cached probabilities (B,H,Tq,Tk).
    public var probabilityCount: Int { batch * heads * queryLength * keyLength }
}

/// Multi-head attention over projected inputs.
/// q (B,Tq,·) with head h in columns h·Dh ..< (h+1)·Dh and row stride `qStride` (so a fused QKV buffer works);
/// k, v (B,Tk,·) likewise; out (B,Tq,H·Dh); probs (B,H,Tq,Tk) cached for the backward.
/// keyMask (B,Tk) is added to every query's scores (0 keep, large negative drop); positionBias (H,Tq,Tk) is
/// added as well (T5's relative bias, shared over the batch). With `positionBiasLength` T the bias is (H,T,T)
/// and its top-left (Tq,Tk) block is read: right for a bias that depends on key − query only (T5's), so one
/// bias serves sequences of every length up to T.
/// dropoutMask (B,H,Tq,Tk), when given, multiplies the probabilities before they weight v (BERT's attention
/// dropout); `probs` keeps them undropped, and `scratch` (Tq,Tk) is then required.
@inlinable
public func attentionForward<S: KernelScalar>(out: UnsafeMutablePointer<S>, probs: UnsafeMutablePointer<S>,
                                              q: UnsafePointer<S>, qStride: Int,
                                              k: UnsafePointer<S>, kStride: Int,
                                              v: UnsafePointer<S>, vStride: Int,
                                              keyMask: UnsafePointer<S>?, positionBias: UnsafePointer<S>?,
                                              positionBiasLength: Int? = nil,
                                              dropoutMask: UnsafePointer<S>? = nil,
                                              scratch: UnsafeMutablePointer<S>? = nil,
                                              shape: AttentionShape) {
    precondition(dropoutMask == nil || scratch != nil, "attention dropout needs a (Tq,Tk) scratch buffer")
    let (tq, tk, dh, width) = (shape.queryLength, shape.keyLength, shape.headDim, shape.width)
    let (biasRows, biasColumns) = positionBiasLength.map { ($0, $0) } ?? (tq, tk)
    precondition(positionBias == nil || (biasRows >= tq && biasColumns >= tk), "a position bias of \(biasRows)×\(biasColumns) for \(tq)×\(tk) scores")
    let scale = S(shape.scale)
    for b in 0..<shape.batch {
        for h in 0..<shape.heads {
            let p = probs + (b * shape.heads + h) * tq * tk
            let qh = q + b * tq * qStride + h * dh
            let kh = k + b * tk * kStride + h * dh
            let vh = v + b * tk * vStride + h * dh
            // scores (Tq,Tk) = scale · q_h · k_hᵀ
            gemm(transposeB: true, m: tq, n: tk, k: dh, alpha: scale,
                 a: qh, lda: qStride, b: kh, ldb: kStride, c: p, ldc: tk)
            for i in 0..<tq {
                let row = p + i * tk
                if let keyMask {
                    let mask = keyMask + b * tk
                    for j in 0..<tk { row[j] += mask[j] }
                }
                if let positionBias {
                    let bias = positionBias + (h * biasRows + i) * biasColumns
                    for j in 0..<tk { row[j] += bias[j] }
                }
                if shape.causal && i + 1 < tk {
                    (row + i + 1).update(repeating: -S.infinity, count: tk - i - 1)
                }
            }
            softmaxRows(p, rows: tq, cols: tk)
            // out_h (Tq,Dh) = (probs ⊙ dropout) · v_h
            var weights = UnsafePointer(p)
            if let dropoutMask, let scratch {
                let m = dropoutMask + (b * shape.heads + h) * tq * tk
                for i in 0..<tq * tk { scratch[i] = p[i] * m[i] }
                weights = UnsafePointer(scratch)
            }
            gemm(m: tq, n: dh, k: tk, a: weights, lda: tk, b: vh, ldb: vStride,
                 c: out + b * tq * width + h * dh, ldc: width)
        }
    }
}

/// dq, dk, dv (laid out like q, k, v) += their gradients from dout (B,Tq,H·Dh), using the cached probs
/// (`accumulate: false` overwrites them: every head block is written exactly once).
/// dscores (Tq,Tk) is scratch; with a dropout mask (the forward's), so is `scratch` (Tq,Tk).
@inlinable
public func attentionBackward<S: KernelScalar>(dq: UnsafeMutablePointer<S>, dk: UnsafeMutablePointer<S>,
                                               dv: UnsafeMutablePointer<S>, dout: UnsafePointer<S>,
                                               probs: UnsafePointer<S>,
                                               q: UnsafePointer<S>, qStride: Int,
                                               k: UnsafePointer<S>, kStride: Int,
                                               v: UnsafePointer<S>, vStride: Int,
                                               dropoutMask: UnsafePointer<S>? = nil,
                                               scratch: UnsafeMutablePointer<S>? = nil,
                                               dscores: UnsafeMutablePointer<S>, shape: AttentionShape,
                                               accumulate: Bool = true) {
    precondition(dropoutMask == nil || scratch != nil, "attention dropout needs a (Tq,Tk) scratch buffer")
    let (tq, tk) = (shape.queryLength, shape.keyLength)
    let beta: S = accumulate ? 1 : 0
    for b in 0..<shape.batch {
        for h in 0..<shape.heads {
            let p = probs + (b * shape.heads + h) * tq * tk
            let o = AttentionHeadOffsets(b: b, h: h, shape: shape, qStride: qStride, kStride: kStride, vStride: vStride)
            attentionHeadBackward(dq: dq + o.q, dk: dk + o.k, dv: dv + o.v, dout: dout + o.out, probs: p,
                                  q: q + o.q, qStride: qStride, k: k + o.k, kStride: kStride, v: v + o.v, vStride: vStride,
                                  dropoutMask: dropoutMask.map { $0 + (b * shape.heads + h) * tq * tk },
                                  scratch: scratch, dscores: dscores, shape: shape, beta: beta)
        }
    }
}

/// Where head h of sequence b starts in q, k, v (with their row strides) and in out/dout (B,Tq,H·Dh).
@usableFromInline
struct AttentionHeadOffsets {
    @usableFromInline let q, k, v, out: Int
    @inlinable
    init(b: Int, h: Int, shape: AttentionShape, qStride: Int, kStride: Int, vStride: Int) {
        let dh = shape.headDim
        q = b * shape.queryLength * qStride + h * dh
        k = b * shape.keyLength * kStride + h * dh
        v = b * shape.keyLength * vStride + h * dh
        out = b * shape.queryLength * shape.width + h * dh
    }
}

/// One head of `attentionBackward`: dq_h, dk_h, dv_h (= or += by beta) from dout_h and its probabilities p (Tq,Tk).
@inlinable @inline(__always)
func attentionHeadBackward<S: KernelScalar>(dq dqh: UnsafeMutablePointer<S>, dk dkh: UnsafeMutablePointer<S>,
                                            dv dvh: UnsafeMutablePointer<S>, dout douth: UnsafePointer<S>,
                                            probs p: UnsafePointer<S>,
                                            q qh: UnsafePointer<S>, qStride: Int, k kh: UnsafePointer<S>, kStride: Int,
                                            v vh: UnsafePointer<S>, vStride: Int, dropoutMask m: UnsafePointer<S>?,
                                            scratch: UnsafeMutablePointer<S>?, dscores: UnsafeMutablePointer<S>,
                                            shape: AttentionShape, beta: S) {
    let (tq, tk, dh, width) = (shape.queryLength, shape.keyLength, shape.headDim, shape.width)
    let scale = S(shape.scale)
    // dweights (Tq,Tk) = dout_h · v_hᵀ;  dv_h += weightsᵀ · dout_h, weights = probs ⊙ dropout
    gemm(transposeB: true, m: tq, n: tk, k: dh, a: douth, lda: width, b: vh, ldb: vStride,
         c: dscores, ldc: tk)
    var weights = p
    if let m, let scratch {
        for i in 0..<tq * tk {
            scratch[i] = p[i] * m[i]
            dscores[i] *= m[i]  // now dprobs
        }
        weights = UnsafePointer(scratch)
    }
    gemm(transposeA: true, m: tk, n: dh, k: tq, a: weights, lda: tk, b: douth, ldb: width,
         beta: beta, c: dvh, ldc: vStride)
    // softmax backward in place: dscores = probs · (dprobs − Σ dprobs·probs); masked entries have probs 0
    softmaxRowsBackwardInPlace(dscores, probabilities: p, rows: tq, cols: tk)
    // dq_h += scale · dscores · k_h;  dk_h += scale · dscoresᵀ · q_h
    gemm(m: tq, n: dh, k: tk, alpha: scale, a: dscores, lda: tk, b: kh, ldb: kStride,
         beta: beta, c: dqh, ldc: qStride)
    gemm(transposeA: true, m: tk, n: dh, k: tq, alpha: scale, a: dscores, lda: tk, b: qh, ldb: qStride,
         beta: beta, c: dkh, ldc: kStride)
}
