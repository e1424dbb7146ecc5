/// Mean over the positions a mask selects: out (B,C) = Σ_t mask[b,t]·inp[b,t] / Σ_t mask[b,t].
/// inp (B,T,C), mask (B,T) of 0/1. A row with no selected position gives zeros.
@inlinable
public func meanPoolForward<S: KernelScalar>(out: UnsafeMutablePointer<S>, inp: UnsafePointer<S>,
                                             mask: UnsafePointer<Int32>, batch: Int, length: Int, width: Int) {
    for b in 0..<batch {
        let y = out + b * width
        y.update(repeating: 0, count: width)
        var count = 0
        for t in 0..<length where mask[b * length + t] != 0 {
            let x = inp + (b * length + t) * width
            for c in 0..<width { y[c] += x[c] }
            count += 1
        }
        if count > 0 {
            let inv = 1 / S(count)
            for c in 0..<width { y[c] *= inv }
        }
    }
}

/// dinp (B,T,C) += dout (B,C) / count at the selected positions.
@inlinable
public func meanPoolBackward<S: KernelScalar>(dinp: UnsafeMutablePointer<S>, dout: UnsafePointer<S>,
                                              mask: UnsafePointer<Int32>, batch: Int, length: Int, width: Int) {
    for b in 0..<batch {
        var count = 0
        for t in 0..<length where mask[b * length + t] != 0 { count += 1 }
        guard count > 0 else { continue }
        let inv = 1 / S(count), dy = dout + b * width
        for t in 0..<length where mask[b * length + t] != 0 {
            let dx = dinp + (b * length + t) * width
            for c in 0..<width { dx[c] += dy[c] * inv }
        }
    }
}
