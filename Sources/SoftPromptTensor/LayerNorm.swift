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
        let m = rowSum(x, cols) / n
        let s = 1 / (rowSquaredDeviation(x, from: m, cols) / n + eps).squareRoot()
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
        // mean(g) and mean(g·x̂) with g = dy·w, x̂ = (x − m)·s.
        var gLanes = SIMDLanes<S>(repeating: 0), gxLanes = SIMDLanes<S>(repeating: 0)
        var c = 0
        while c + 8 <= cols {
            for l in 0..<8 {
                let g = dy[c + l] * weight[c + l]
                gLanes[l] += g
                gxLanes[l] += g * (x[c + l] - m)
            }
            c += 8
        }
        var gSum = gLanes.sum(), gxSum = gxLanes.sum()
        while c < cols {
            let g = dy[c] * weight[c]
            gSum += g
            gxSum += g * (x[c] - m)
            c += 1
        }
        let gMean = gSum / n
        let gxMean = s * gxSum / n
        if accumulate {
            for c in 0..<cols { dx[c] += s * (dy[c] * weight[c] - gMean - (x[c] - m) * s * gxMean) }
        } else {
            for c in 0..<cols { dx[c] = s * (dy[c] * weight[c] - gMean - (x[c] - m) * s * gxMean) }
        }
    }
}
