import RealModule

/// Row-wise softmax: inp (N,C), out (N,C). A row whose entries are all −∞ (fully masked) gives zeros, not NaN.
@inlinable
public func softmaxForward<S: KernelScalar>(out: UnsafeMutablePointer<S>, inp: UnsafePointer<S>,
                                            rows: Int, cols: Int) {
    for r in 0..<rows { softmaxRow(out + r * cols, inp + r * cols, cols) }
}

/// One row of softmax, in place allowed (out == inp). Returns log Σ exp(x), which cross-entropy needs
/// (−∞ for a fully masked row).
@inlinable @discardableResult
public func softmaxRow<S: KernelScalar>(_ y: UnsafeMutablePointer<S>, _ x: UnsafePointer<S>, _ cols: Int) -> S {
    let maxValue = rowMaximum(x, cols)
    if maxValue == -S.infinity {
        y.update(repeating: 0, count: cols)
        return -S.infinity
    }
    var sum: S = 0
    if S.self == Float.self {
        let (yf, xf, m) = (asFloat(y), asFloat(x), unsafeBitCast(maxValue, to: Float.self))
        for c in 0..<cols { yf[c] = fastExp(xf[c] - m) }  // vectorises; the sum below is kept apart
        sum = unsafeBitCast(rowSum(UnsafePointer(yf), cols), to: S.self)
    } else {
        for c in 0..<cols {
            let e = S.exp(x[c] - maxValue)
            y[c] = e
            sum += e
        }
    }
    let inv = 1 / sum
    for c in 0..<cols { y[c] *= inv }
    return maxValue + S.log(sum)
}

/// dinp (N,C) += out · (dout − Σ dout·out), from the cached softmax output.
@inlinable
public func softmaxBackward<S: KernelScalar>(dinp: UnsafeMutablePointer<S>, dout: UnsafePointer<S>,
                                             out: UnsafePointer<S>, rows: Int, cols: Int) {
    for r in 0..<rows {
        let y = out + r * cols, dy = dout + r * cols, dx = dinp + r * cols
        let dot = rowDot(dy, y, cols)
        for c in 0..<cols { dx[c] += y[c] * (dy[c] - dot) }
    }
}

/// softmaxRow in place, also writing what rebuilds the row from its inputs: statistics (2) = (max, 1/Σ exp),
/// or (−∞, 0) for a fully masked row. `softmaxRowRebuilt` then gives the very same bits.
@inlinable
public func softmaxRowKeepingStatistics<S: KernelScalar>(_ y: UnsafeMutablePointer<S>, _ cols: Int,
                                                         statistics: UnsafeMutablePointer<S>) {
    let maxValue = rowMaximum(UnsafePointer(y), cols)
    guard maxValue != -S.infinity else {
        y.update(repeating: 0, count: cols)
        (statistics[0], statistics[1]) = (-S.infinity, 0)
        return
    }
    exponentiateShifted(y, cols, by: maxValue)
    let inv = 1 / rowSum(UnsafePointer(y), cols)
    for c in 0..<cols { y[c] *= inv }
    (statistics[0], statistics[1]) = (maxValue, inv)
}

/// y (C) = softmax of the scores in y, from the row's statistics (`softmaxRowKeepingStatistics`).
@inlinable
public func softmaxRowRebuilt<S: KernelScalar>(_ y: UnsafeMutablePointer<S>, _ cols: Int,
                                               statistics: UnsafePointer<S>) {
    let (maxValue, inv) = (statistics[0], statistics[1])
    guard inv != 0 else { return y.update(repeating: 0, count: cols) }
    exponentiateShifted(y, cols, by: maxValue)
    for c in 0..<cols { y[c] *= inv }
}

/// y (C) = exp(y − shift): fastExp for Float (vectorises), libm otherwise.
@inlinable
func exponentiateShifted<S: KernelScalar>(_ y: UnsafeMutablePointer<S>, _ cols: Int, by shift: S) {
    if S.self == Float.self {
        let (yf, m) = (asFloat(y), unsafeBitCast(shift, to: Float.self))
        for c in 0..<cols { yf[c] = fastExp(yf[c] - m) }
    } else {
        for c in 0..<cols { y[c] = S.exp(y[c] - shift) }
    }
}
