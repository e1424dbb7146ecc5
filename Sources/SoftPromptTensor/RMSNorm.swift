import RealModule

/// T5's LayerNorm: no mean subtraction, no bias. inp (N,C), out (N,C), rstd (N) cached; weight (C).
/// out = inp · rstd · weight, rstd = 1/√(mean(inp²) + eps).
@inlinable
public func rmsNormForward<S: KernelScalar>(out: UnsafeMutablePointer<S>, rstd: UnsafeMutablePointer<S>,
                                            inp: UnsafePointer<S>, weight: UnsafePointer<S>,
                                            rows: Int, cols: Int, eps: S) {
    for r in 0..<rows {
        let x = inp + r * cols, y = out + r * cols
        var sq: S = 0
        for c in 0..<cols { sq += x[c] * x[c] }
        let s = 1 / (sq / S(cols) + eps).squareRoot()
        for c in 0..<cols { y[c] = x[c] * s * weight[c] }
        rstd[r] = s
    }
}

/// dinp (N,C) += rstd · (g − x̂ · mean(g·x̂)), g = dout · weight, x̂ = inp · rstd.
@inlinable
public func rmsNormBackward<S: KernelScalar>(dinp: UnsafeMutablePointer<S>, dout: UnsafePointer<S>,
                                             inp: UnsafePointer<S>, rstd: UnsafePointer<S>,
                                             weight: UnsafePointer<S>, rows: Int, cols: Int) {
    for r in 0..<rows {
        let x = inp + r * cols, dy = dout + r * cols, dx = dinp + r * cols
        let s = rstd[r]
        var gxMean: S = 0
        for c in 0..<cols { gxMean += dy[c] * weight[c] * x[c] * s }
        gxMean /= S(cols)
        for c in 0..<cols { dx[c] += s * (dy[c] * weight[c] - x[c] * s * gxMean) }
    }
}
