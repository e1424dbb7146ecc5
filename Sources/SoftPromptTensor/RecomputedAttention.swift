/// Attention that caches two scalars per query row instead of the (Tq,Tk) probabilities of every head.
///
/// The forward keeps each softmax row's max and 1/Σ exp; the backward recomputes the scores q·kᵀ with the
/// same GEMM and rebuilds the probabilities from those statistics, bit for bit the forward's. For BERT at
/// B = 32, T = 148 that drops 34 MB per layer for one more (Tq,Dh)·(Dh,Tk) product and one exp per score,
/// and the probabilities never leave the cache. A position bias is added as `attentionForward` adds it (T5's
/// encoder). No dropout or causal mask: the callers that need those cache the probabilities (`attentionForward`).

/// out (B,Tq,H·Dh) as `attentionForward`; statistics (B,H,Tq,2) receives each row's (max, 1/Σ exp), and
/// scratch (Tq,Tk) holds one head's probabilities at a time.
@inlinable
public func attentionForwardKeepingStatistics<S: KernelScalar>(out: UnsafeMutablePointer<S>,
                                                               statistics: UnsafeMutablePointer<S>,
                                                               q: UnsafePointer<S>, qStride: Int,
                                                               k: UnsafePointer<S>, kStride: Int,
                                                               v: UnsafePointer<S>, vStride: Int,
                                                               keyMask: UnsafePointer<S>?,
                                                               positionBias: UnsafePointer<S>? = nil,
                                                               positionBiasLength: Int? = nil,
                                                               scratch p: UnsafeMutablePointer<S>,
                                                               shape: AttentionShape) {
    precondition(!shape.causal, "recomputed attention has no causal mask")
    let (tq, tk, dh, width) = (shape.queryLength, shape.keyLength, shape.headDim, shape.width)
    forEachHeadsScores(p, q: q, qStride: qStride, k: k, kStride: kStride, vStride: vStride, keyMask: keyMask,
                       positionBias: positionBias, positionBiasLength: positionBiasLength, shape: shape) { o, head in
        softmaxRows(p, rows: tq, cols: tk, statistics: statistics + head * tq * 2)
        // out_h (Tq,Dh) = probs · v_h
        gemm(m: tq, n: dh, k: tk, a: p, lda: tk, b: v + o.v, ldb: vStride, c: out + o.out, ldc: width)
    }
}

/// dq, dk, dv (= or += by `accumulate`) as `attentionBackward`, with the probabilities rebuilt from the
/// forward's statistics (B,H,Tq,2) in scratch (Tq,Tk); dscores (Tq,Tk) is scratch too.
@inlinable
public func attentionBackwardRecomputing<S: KernelScalar>(dq: UnsafeMutablePointer<S>, dk: UnsafeMutablePointer<S>,
                                                          dv: UnsafeMutablePointer<S>, dout: UnsafePointer<S>,
                                                          statistics: UnsafePointer<S>,
                                                          q: UnsafePointer<S>, qStride: Int,
                                                          k: UnsafePointer<S>, kStride: Int,
                                                          v: UnsafePointer<S>, vStride: Int,
                                                          keyMask: UnsafePointer<S>?,
                                                          positionBias: UnsafePointer<S>? = nil,
                                                          positionBiasLength: Int? = nil,
                                                          scratch p: UnsafeMutablePointer<S>,
                                                          dscores: UnsafeMutablePointer<S>, shape: AttentionShape,
                                                          accumulate: Bool = true) {
    let (tq, tk) = (shape.queryLength, shape.keyLength)
    let beta: S = accumulate ? 1 : 0
    forEachHeadsScores(p, q: q, qStride: qStride, k: k, kStride: kStride, vStride: vStride, keyMask: keyMask,
                       positionBias: positionBias, positionBiasLength: positionBiasLength, shape: shape) { o, head in
        softmaxRowsRebuilt(p, rows: tq, cols: tk, statistics: statistics + head * tq * 2)
        attentionHeadBackward(dq: dq + o.q, dk: dk + o.k, dv: dv + o.v, dout: dout + o.out, probs: p,
                              q: q + o.q, qStride: qStride, k: k + o.k, kStride: kStride, v: v + o.v, vStride: vStride,
                              dropoutMask: nil, scratch: nil, dscores: dscores, shape: shape, beta: beta)
    }
}

/// For each head (b,h), in order: scores (Tq,Tk) = scale · q_h · k_hᵀ + keyMask_b (broadcast over queries)
/// + positionBias_h (as `attentionForward` reads it), then body(offsets of the head, its index b·H + h). The
/// forward and the recomputation both come through here, so they see the same bits.
@inlinable @inline(__always)
func forEachHeadsScores<S: KernelScalar>(_ scores: UnsafeMutablePointer<S>, q: UnsafePointer<S>, qStride: Int,
                                         k: UnsafePointer<S>, kStride: Int, vStride: Int, keyMask: UnsafePointer<S>?,
                                         positionBias: UnsafePointer<S>?, positionBiasLength: Int?,
                                         shape: AttentionShape, _ body: (AttentionHeadOffsets, Int) -> Void) {
    let (tq, tk) = (shape.queryLength, shape.keyLength)
    let (biasRows, biasColumns) = positionBiasLength.map { ($0, $0) } ?? (tq, tk)
    for b in 0..<shape.batch {
        for h in 0..<shape.heads {
            let o = AttentionHeadOffsets(b: b, h: h, shape: shape, qStride: qStride, kStride: kStride, vStride: vStride)
            gemm(transposeB: true, m: tq, n: tk, k: shape.headDim, alpha: S(shape.scale),
                 a: q + o.q, lda: qStride, b: k + o.k, ldb: kStride, c: scores, ldc: tk)
            if let mask = keyMask.map({ $0 + b * tk }) {
                for i in 0..<tq {
                    let row = scores + i * tk
                    for j in 0..<tk { row[j] += mask[j] }
                }
            }
            if let positionBias {
                for i in 0..<tq {
                    let row = scores + i * tk, bias = positionBias + (h * biasRows + i) * biasColumns
                    for j in 0..<tk { row[j] += bias[j] }
                }
            }
            body(o, b * shape.heads + h)
        }
    }
}
