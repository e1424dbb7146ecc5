// Embedding lookup. The model's vocabulary table is frozen, so its backward is never run on it; the backward
// exists for trainable tables looked up by index (a prompt is exactly that: rows 0…n−1 of a table, as PEFT
// stores it), where it scatters the output gradient back to the rows that were read.

/// out (N,C) = table (V,C) [ids (N)]. Ids must be in 0..<V; callers validate ids that come from users.
@inlinable
public func embeddingForward<S: KernelScalar>(out: UnsafeMutablePointer<S>, ids: UnsafePointer<Int32>,
                                              table: UnsafePointer<S>, rows: Int, width: Int) {
    for r in 0..<rows {
        (out + r * width).update(from: table + Int(ids[r]) * width, count: width)
    }
}

/// dtable (V,C) [ids[r]] += dout (N,C) [r]; repeated ids accumulate.
@inlinable
public func embeddingBackward<S: KernelScalar>(dtable: UnsafeMutablePointer<S>, dout: UnsafePointer<S>,
                                               ids: UnsafePointer<Int32>, rows: Int, width: Int) {
    for r in 0..<rows {
        let dst = dtable + Int(ids[r]) * width
        let src = dout + r * width
        for c in 0..<width { dst[c] += src[c] }
    }
}
