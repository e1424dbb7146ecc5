import RealModule

/// The label PyTorch's cross-entropy skips by default.
public let crossEntropyIgnoreIndex: Int32 = -100

/// logits (N,V), targets (N) in 0..<V or `ignoreIndex`; probs (N,V) cached (rows of ignored targets too).
/// Returns the mean loss over the rows that count, and how many counted (0 → loss 0, as no row contributes).
@inlinable
public func crossEntropyForward<S: KernelScalar>(probs: UnsafeMutablePointer<S>, logits: UnsafePointer<S>,
                                                 targets: UnsafePointer<Int32>, rows: Int, classes: Int,
                                                 ignoreIndex: Int32 = crossEntropyIgnoreIndex)
    -> (loss: S, counted: Int)
{
    var total: Double = 0
    var counted = 0
    for r in 0..<rows {
        let x = logits + r * classes
        let logSumExp = softmaxRow(probs + r * classes, x, classes)
        let t = targets[r]
        if t == ignoreIndex { continue }
        // loss = logsumexp(x) − x[t], from the logits rather than log(p): tiny probabilities keep their precision.
        total += Double(logSumExp - x[Int(t)])
        counted += 1
    }
    return (counted == 0 ? 0 : S(total / Double(counted)), counted)
}

/// dlogits (N,V) += dloss / counted · (probs − onehot(target)), skipping ignored rows.
@inlinable
public func crossEntropyBackward<S: KernelScalar>(dlogits: UnsafeMutablePointer<S>, probs: UnsafePointer<S>,
                                                  targets: UnsafePointer<Int32>, rows: Int, classes: Int,
                                                  counted: Int, dloss: S = 1,
                                                  ignoreIndex: Int32 = crossEntropyIgnoreIndex) {
    guard counted > 0 else { return }
    let scale = dloss / S(counted)
    for r in 0..<rows {
        let t = targets[r]
        if t == ignoreIndex { continue }
        let p = probs + r * classes, d = dlogits + r * classes
        for c in 0..<classes { d[c] += scale * p[c] }
        d[Int(t)] -= scale
    }
}
