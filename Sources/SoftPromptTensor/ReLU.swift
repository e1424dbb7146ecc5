/// out (N) = max(inp, 0).
@inlinable
public func reluForward<S: KernelScalar>(out: UnsafeMutablePointer<S>, inp: UnsafePointer<S>, count: Int) {
    for i in 0..<count { out[i] = inp[i] > 0 ? inp[i] : 0 }
}

/// dinp (N) += dout where inp > 0 (the derivative at 0 is taken as 0, as PyTorch does);
/// `accumulate: false` overwrites dinp.
@inlinable
public func reluBackward<S: KernelScalar>(dinp: UnsafeMutablePointer<S>, dout: UnsafePointer<S>,
                                          inp: UnsafePointer<S>, count: Int, accumulate: Bool = true) {
    if accumulate {
        for i in 0..<count { dinp[i] += inp[i] > 0 ? dout[i] : 0 }
    } else {
        for i in 0..<count { dinp[i] = inp[i] > 0 ? dout[i] : 0 }
    }
}

/// out (N) = max(x, 0) and x (N) := ReLU′(x) (1 where x > 0, else 0), for a backward that only multiplies.
@inlinable
public func reluForwardKeepingSlope<S: KernelScalar>(out: UnsafeMutablePointer<S>, slopeInPlace x: UnsafeMutablePointer<S>,
                                                     count: Int) {
    for i in 0..<count {
        let positive = x[i] > 0
        out[i] = positive ? x[i] : 0
        x[i] = positive ? 1 : 0
    }
}
