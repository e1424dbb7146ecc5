/// The attention backward of one unmasked sequence when only its first P rows need gradients.
///
/// The first layer's backward wants ∂L/∂(input) at the prompt rows alone (the text rows' embeddings are frozen).
/// Through self-attention those rows are reached by their queries (dq of rows < P), keys and values (dk, dv of
/// rows < P). So only the probability columns j < P (every query's weight on a prompt key) and rows i < P
/// (the prompt queries' weights) are needed, and the softmax backward's row sums
/// Σ_j p_ij·dp_ij = dout_i · out_i come from the forward's attention output instead of whole rows: per head
/// 7·P·L·Dh multiply-adds instead of 6·L²·Dh, and 2·P·L exponentials instead of L².

/// dq, dk, dv (P rows each, of stride H·Dh) := the gradients of rows 0..<P from dout (L,H·Dh), for one sequence
/// of L rows whose forward kept each softmax row's (max, 1/Σ exp) in statistics (H,L,2) and wrote out (L,H·Dh).
/// q, k, v (L,H·Dh). scratch and dscores hold 2·P·L scalars each.
@inlinable
public func attentionBackwardToPrefix<S: KernelScalar>(_ prefix: Int, dq: UnsafeMutablePointer<S>,
                                                       dk: UnsafeMutablePointer<S>, dv: UnsafeMutablePointer<S>,
                                                       dout: UnsafePointer<S>, out: UnsafePointer<S>,
                                                       statistics: UnsafePointer<S>,
                                                       q: UnsafePointer<S>, k: UnsafePointer<S>, v: UnsafePointer<S>,
                                                       scratch: UnsafeMutablePointer<S>,
                                                       dscores: UnsafeMutablePointer<S>, shape: AttentionShape) {
    precondition(shape.batch == 1 && shape.queryLength == shape.keyLength && !shape.causal,
                 "the prefix backward takes one sequence attending over itself")
    let (length, dh, width, p) = (shape.keyLength, shape.headDim, shape.width, prefix)
    precondition(p > 0 && p <= length, "the prefix must be 1...L rows")
    let scale = S(shape.scale)
    // Prompt keys' columns (L,P) and prompt queries' rows (P,L): probabilities in scratch, their gradients in
    // dscores.
    let columns = scratch, rows = scratch + length * p
    let dColumns = dscores, dRows = dscores + length * p
    for h in 0..<shape.heads {
        let (qh, kh, vh) = (q + h * dh, k + h * dh, v + h * dh)
        let (douth, outh) = (dout + h * dh, out + h * dh)
        let headStatistics = statistics + h * length * 2
        // probabilities[:, :P] and [:P, :], rebuilt from the forward's statistics
        gemm(transposeB: true, m: length, n: p, k: dh, alpha: scale, a: qh, lda: width, b: kh, ldb: width,
             c: columns, ldc: p)
        gemm(transposeB: true, m: p, n: length, k: dh, alpha: scale, a: qh, lda: width, b: kh, ldb: width,
             c: rows, ldc: length)
        softmaxRowsRebuilt(columns, rows: length, cols: p, statistics: headStatistics)
        softmaxRowsRebuilt(rows, rows: p, cols: length, statistics: headStatistics)
        // ∂L/∂probabilities there: dout · vᵀ
        gemm(transposeB: true, m: length, n: p, k: dh, a: douth, lda: width, b: vh, ldb: width,
             c: dColumns, ldc: p)
        gemm(transposeB: true, m: p, n: length, k: dh, a: douth, lda: width, b: vh, ldb: width,
             c: dRows, ldc: length)
        // ∂L/∂scores = p ⊙ (dp − Σ_j p·dp), with Σ_j p_ij·dp_ij = dout_i · out_i
        for i in 0..<length {
            var rowSum: S = 0
            for c in 0..<dh { rowSum += douth[i * width + c] * outh[i * width + c] }
            for j in 0..<p { dColumns[i * p + j] = columns[i * p + j] * (dColumns[i * p + j] - rowSum) }
            if i < p {
                for j in 0..<length { dRows[i * length + j] = rows[i * length + j] * (dRows[i * length + j] - rowSum) }
            }
        }
        // dv_P = probabilities[:, :P]ᵀ · dout;  dk_P = scale · dscores[:, :P]ᵀ · q;  dq_P = scale · dscores[:P, :] · k
        gemm(transposeA: true, m: p, n: dh, k: length, a: columns, lda: p, b: douth, ldb: width,
             c: dv + h * dh, ldc: width)
        gemm(transposeA: true, m: p, n: dh, k: length, alpha: scale, a: dColumns, lda: p, b: qh, ldb: width,
             c: dk + h * dh, ldc: width)
        gemm(m: p, n: dh, k: length, alpha: scale, a: dRows, lda: length, b: kh, ldb: width,
             c: dq + h * dh, ldc: width)
    }
}
