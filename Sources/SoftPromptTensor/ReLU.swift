/// out (N) = max(inp, 0).
@inlinable
public func reluForward<S: KernelScalar>(out: UnsafeMutablePointer<S>, inp: UnsafePointer<S>, count: Int) {
    for i in 0..<count { out[i] = inp[i] > 0 ? inp[i] : 0 }
}

/// dinp (N) += dout where inp > 0 (the derivative at 0 is taken as 0, as PyTorch does).
@inlinable
public func reluBackward<S: KernelScalar>(dinp: UnsafeMutablePointer<S>, dout: UnsafePointer<S>,
                                          inp: UnsafePointer<S>, count: Int) {
    for i in 0..<count where inp[i] > 0 { dinp[i] += dout[i] }
}
