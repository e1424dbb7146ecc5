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
    guard let (maxValue, sum) = exponentiateRow(y, x, cols) else { return -S.infinity }
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
    guard let (maxValue, sum) = exponentiateRow(y, UnsafePointer(y), cols) else {
        (statistics[0], statistics[1]) = (-S.infinity, 0)
        return
    }
    let inv = 1 / sum
    for c in 0..<cols { y[c] *= inv }
    (statistics[0], statistics[1]) = (maxValue, inv)
}

/// y (C) = softmax of the scores in y, from the row's statistics (`softmaxRowKeepingStatistics`).
@inlinable
public func softmaxRowRebuilt<S: KernelScalar>(_ y: UnsafeMutablePointer<S>, _ cols: Int,
                                               statistics: UnsafePointer<S>) {
    let (maxValue, inv) = (statistics[0], statistics[1])
    guard inv != 0 else { return y.update(repeating: 0, count: cols) }
    exponentiateShifted(y, UnsafePointer(y), cols, by: maxValue)
    for c in 0..<cols { y[c] *= inv }
}

/// The first half of every softmax row here: y (C) = exp(x − max x) (in place allowed), returning (max, Σ);
/// nil, with y = 0, for a fully masked row (all −∞).
@inlinable
func exponentiateRow<S: KernelScalar>(_ y: UnsafeMutablePointer<S>, _ x: UnsafePointer<S>, _ cols: Int)
    -> (maximum: S, sum: S)? {
    let maxValue = rowMaximum(x, cols)
    guard maxValue != -S.infinity else {
        y.update(repeating: 0, count: cols)
        return nil
    }
    exponentiateShifted(y, x, cols, by: maxValue)
    return (maxValue, rowSum(UnsafePointer(y), cols))  // summed apart, so the exp loop vectorises
}

/// y (C) = exp(x − shift) (in place allowed): fastExp for Float (vectorises), libm otherwise.
@inlinable
func exponentiateShifted<S: KernelScalar>(_ y: UnsafeMutablePointer<S>, _ x: UnsafePointer<S>, _ cols: Int,
                                          by shift: S) {
    if S.self == Float.self {
        let (yf, xf, m) = (asFloat(y), asFloat(x), unsafeBitCast(shift, to: Float.self))
        for c in 0..<cols { yf[c] = fastExp(xf[c] - m) }
    } else {
        for c in 0..<cols { y[c] = S.exp(x[c] - shift) }
    }
}
