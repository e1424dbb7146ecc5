// Linear layer with a frozen weight in PyTorch's layout (out_features, in_features).
// Backward functions in this module follow llm.c: they ADD into the input gradient, so a caller zeroes it
// once and residual branches accumulate for free. Those on the model's hot path also take `accumulate: false`
// to overwrite instead, so the first writer of a gradient buffer needs no zeroing pass before it.

/// out (N,O) = inp (N,I) · weight (O,I)ᵀ + bias (O)
@inlinable
public func linearForward<S: KernelScalar>(out: UnsafeMutablePointer<S>, inp: UnsafePointer<S>,
                                           weight: UnsafePointer<S>, bias: UnsafePointer<S>?,
                                           rows: Int, inFeatures: Int, outFeatures: Int) {
    if let bias {
        for r in 0..<rows { (out + r * outFeatures).update(from: bias, count: outFeatures) }
    }
    gemm(transposeB: true, m: rows, n: outFeatures, k: inFeatures,
         a: inp, lda: inFeatures, b: weight, ldb: inFeatures,
         beta: bias == nil ? 0 : 1, c: out, ldc: outFeatures)
}

/// dinp (N,I) += dout (N,O) · weight (O,I) (or `=` when `accumulate` is false, which saves zeroing dinp).
/// The weight is frozen: no weight or bias gradient, and no cached input.
@inlinable
public func linearBackward<S: KernelScalar>(dinp: UnsafeMutablePointer<S>, dout: UnsafePointer<S>,
                                            weight: UnsafePointer<S>,
                                            rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool = true) {
    gemm(m: rows, n: inFeatures, k: outFeatures,
         a: dout, lda: outFeatures, b: weight, ldb: inFeatures,
         beta: accumulate ? 1 : 0, c: dinp, ldc: inFeatures)
}
