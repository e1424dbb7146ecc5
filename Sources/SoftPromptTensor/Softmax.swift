import CKernels
import RealModule

/// Row-wise softmax: inp (N,C), out (N,C). A row whose entries are all −∞ (fully masked) gives zeros, not NaN.
@inlinable
public func softmaxForward<S: KernelScalar>(out: UnsafeMutablePointer<S>, inp: UnsafePointer<S>,
                                            rows: Int, cols: Int) {
    if UnsafePointer(out) != inp { out.update(from: inp, count: rows * cols) }
    softmaxRows(out, rows: rows, cols: cols)
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

/// Each row of p (rows,cols) := its softmax, in place. statistics (rows,2), when given, := what rebuilds the
/// row from its scores: (max, 1/Σ exp), or (−∞, 0) for a fully masked row (which becomes 0);
/// `softmaxRowsRebuilt` then gives the very same bits. Float runs the C kernels (AVX-512 where the CPU has
/// it), other types the loops below.
@inlinable
public func softmaxRows<S: KernelScalar>(_ p: UnsafeMutablePointer<S>, rows: Int, cols: Int,
                                         statistics: UnsafeMutablePointer<S>? = nil) {
    if S.self == Float.self { return sp_softmax_rows(asFloat(p), rows, cols, statistics.map { asFloat($0) }) }
    for r in 0..<rows {
        let y = p + r * cols
        guard let (maxValue, sum) = exponentiateRow(y, UnsafePointer(y), cols) else {
            statistics.map { ($0[2 * r], $0[2 * r + 1]) = (-S.infinity, 0) }
            continue
        }
        let inv = 1 / sum
        for c in 0..<cols { y[c] *= inv }
        statistics.map { ($0[2 * r], $0[2 * r + 1]) = (maxValue, inv) }
    }
}

/// Each row of p (rows,cols) := the softmax of the scores it holds, from the statistics (rows,2) that
/// `softmaxRows` wrote for them.
@inlinable
public func softmaxRowsRebuilt<S: KernelScalar>(_ p: UnsafeMutablePointer<S>, rows: Int, cols: Int,
                                                statistics: UnsafePointer<S>) {
    if S.self == Float.self { return sp_softmax_rows_rebuilt(asFloat(p), rows, cols, asFloat(statistics)) }
    for r in 0..<rows {
        let y = p + r * cols
        let (maxValue, inv) = (statistics[2 * r], statistics[2 * r + 1])
        guard inv != 0 else {
            y.update(repeating: 0, count: cols)
            continue
        }
        exponentiateShifted(y, UnsafePointer(y), cols, by: maxValue)
        for c in 0..<cols { y[c] *= inv }
    }
}

/// The softmax backward in place: each row of ds (rows,cols), ∂L/∂probabilities on entry, := p ⊙ (ds − Σ ds·p),
/// ∂L/∂scores; p (rows,cols) are the probabilities. Masked entries have p = 0 and get 0.
@inlinable
public func softmaxRowsBackwardInPlace<S: KernelScalar>(_ ds: UnsafeMutablePointer<S>, probabilities p: UnsafePointer<S>,
                                                        rows: Int, cols: Int) {
    if S.self == Float.self { return sp_softmax_rows_backward(asFloat(ds), asFloat(p), rows, cols) }
    for r in 0..<rows {
        let pr = p + r * cols, d = ds + r * cols
        let dot = rowDot(UnsafePointer(d), pr, cols)
        for c in 0..<cols { d[c] = pr[c] * (d[c] - dot) }
    }
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
