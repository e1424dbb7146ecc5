// Weight gradients, for the small trainable networks inside prompt methods (Residual Prompt Tuning's MLP,
// SuperPos's mixing weights). The frozen model never calls these.

/// dweight (O,I) += dout (N,O)ᵀ · inp (N,I);  dbias (O) += Σ_rows dout, when given.
@inlinable
public func linearParameterBackward<S: KernelScalar>(dweight: UnsafeMutablePointer<S>, dbias: UnsafeMutablePointer<S>?,
                                                     dout: UnsafePointer<S>, inp: UnsafePointer<S>,
                                                     rows: Int, inFeatures: Int, outFeatures: Int) {
    gemm(transposeA: true, m: outFeatures, n: inFeatures, k: rows, a: dout, lda: outFeatures, b: inp, ldb: inFeatures,
         beta: 1, c: dweight, ldc: inFeatures)
    if let dbias {
        for r in 0..<rows { for o in 0..<outFeatures { dbias[o] += dout[r * outFeatures + o] } }
    }
}

/// dweight (C) += Σ_rows dout · x̂;  dbias (C) += Σ_rows dout, with x̂ = (inp − mean) · rstd from the forward.
@inlinable
public func layerNormParameterBackward<S: KernelScalar>(dweight: UnsafeMutablePointer<S>, dbias: UnsafeMutablePointer<S>,
                                                        dout: UnsafePointer<S>, inp: UnsafePointer<S>,
                                                        mean: UnsafePointer<S>, rstd: UnsafePointer<S>,
                                                        rows: Int, cols: Int) {
    for r in 0..<rows {
        let x = inp + r * cols, dy = dout + r * cols
        for c in 0..<cols {
            dweight[c] += dy[c] * (x[c] - mean[r]) * rstd[r]
            dbias[c] += dy[c]
        }
    }
}
