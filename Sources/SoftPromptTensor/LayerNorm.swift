import RealModule

/// inp (N,C), out (N,C), mean/rstd (N) cached for the backward; weight/bias (C).
/// out = (inp − mean) · rstd · weight + bias, rstd = 1/√(var + eps), biased variance as PyTorch.
@inlinable
public func layerNormForward<S: KernelScalar>(out: UnsafeMutablePointer<S>, mean: UnsafeMutablePointer<S>,
                                              rstd: UnsafeMutablePointer<S>, inp: UnsafePointer<S>,
                                              weight: UnsafePointer<S>, bias: UnsafePointer<S>,
                                              rows: Int, cols: Int, eps: S) {
    let n = S(cols)
    for r in 0..<rows {
        let x = inp + r * cols, y = out + r * cols
        var sum: S = 0
        for c in 0..<cols { sum += x[c] }
        let m = sum / n
        var sq: S = 0
        for c in 0..<cols { let d = x[c] - m; sq += d * d }
        let s = 1 / (sq / n + eps).squareRoot()
        for c in 0..<cols { y[c] = (x[c] - m) * s * weight[c] + bias[c] }
        mean[r] = m
        rstd[r] = s
    }
}

/// dinp (N,C) += dL/dinp from dout (N,C), recomputing x̂ from inp, mean, rstd:
/// dinp = rstd · (g − mean(g) − x̂ · mean(g·x̂)), g = dout · weight. `accumulate: false` overwrites dinp.
@inlinable
public func layerNormBackward<S: KernelScalar>(dinp: UnsafeMutablePointer<S>, dout: UnsafePointer<S>,
                                               inp: UnsafePointer<S>, mean: UnsafePointer<S>,
                                               rstd: UnsafePointer<S>, weight: UnsafePointer<S>,
                                               rows: Int, cols: Int, accumulate: Bool = true) {
    let n = S(cols)
    for r in 0..<rows {
        let x = inp + r * cols, dy = dout + r * cols, dx = dinp + r * cols
        let m = mean[r], s = rstd[r]
        var gMean: S = 0, gxMean: S = 0
        for c in 0..<cols {
            let g = dy[c] * weight[c]
            gMean += g
            gxMean += g * (x[c] - m) * s
        }
        gMean /= n
        gxMean /= n
        if accumulate {
            for c in 0..<cols { dx[c] += s * (dy[c] * weight[c] - gMean - (x[c] - m) * s * gxMean) }
        } else {
            for c in 0..<cols { dx[c] = s * (dy[c] * weight[c] - gMean - (x[c] - m) * s * gxMean) }
        }
    }
}
