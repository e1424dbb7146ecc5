import SoftPromptTensor

/// Which rows of a padded (B,T) batch the encoder computes, and where they sit in its (N,d) activations.
///
/// Packed: every mask row is a prefix of ones (prompt, text, then padding), so sequence b keeps only its L_b
/// real rows, at rows Σ_{b'<b} L_b' of the activations (N = Σ L_b), and attends over itself alone: padding
/// costs no FLOPs. Its attention probabilities (H,L_b,L_b) sit at Σ_{b'<b} H·L_b'² (≤ B·H·T² in all).
/// Padded: any other mask (a 0 followed by a 1) keeps N = B·T rows, sequence b at rows b·T, and masks the
/// attention per key, as the encoder always did.
struct BertRowLayout {
    let batch: Int, length: Int
    /// Rows of the activations in use: Σ L_b packed, B·T padded.
    let rows: Int
    let packed: Bool
    /// (B) real rows per sequence; storage owned by the arena, written only when packed.
    private let lengths: UnsafeMutablePointer<Int>

    /// Reads mask (B,T) of 0/1; packs when `allowPacking` and every row is a prefix mask, writing `lengths` (B).
    init(mask: UnsafePointer<Int32>, batch: Int, length: Int, allowPacking: Bool, lengths: UnsafeMutablePointer<Int>) {
        self.batch = batch
        self.length = length
        self.lengths = lengths
        var total = 0, prefixOnly = allowPacking
        if allowPacking {
            rows: for b in 0..<batch {
                let row = mask + b * length
                var ones = 0
                while ones < length && row[ones] != 0 { ones += 1 }
                for t in ones..<length where row[t] != 0 {
                    prefixOnly = false
                    break rows
                }
                lengths[b] = ones
                total += ones
            }
        }
        packed = prefixOnly
        rows = prefixOnly ? total : batch * length
    }

    /// Rows of sequence b in the activations (they follow those of sequences 0..<b).
    @inline(__always) func rowCount(_ b: Int) -> Int { packed ? lengths[b] : length }

    /// Whether padding rows were dropped, so inputs and outputs must be gathered from and scattered to (B,T,·).
    var dropsPadding: Bool { rows < batch * length }

    /// Elements of the attention probabilities (and of their dropout mask) this batch uses.
    func probabilityCount(heads: Int) -> Int {
        guard packed else { return batch * heads * length * length }
        var count = 0
        for b in 0..<batch { count += heads * lengths[b] * lengths[b] }
        return count
    }
}

extension BertRowLayout {
    /// Self-attention of every sequence over its own rows. q, k, v, out (N,H·Dh) with row stride H·Dh;
    /// probs and dropoutMask laid out as this layout says; keyMask (B,T) additive, read by the padded layout only.
    @_specialize(where S == Float)
    func selfAttentionForward<S: KernelScalar>(out: UnsafeMutablePointer<S>, probs: UnsafeMutablePointer<S>,
                                               q: UnsafePointer<S>, k: UnsafePointer<S>, v: UnsafePointer<S>,
                                               keyMask: UnsafePointer<S>, dropoutMask: UnsafePointer<S>?,
                                               scratch: UnsafeMutablePointer<S>, heads: Int, headDim: Int) {
        let width = heads * headDim, scale = 1 / Double(headDim).squareRoot()
        guard packed else {
            let shape = AttentionShape(batch: batch, heads: heads, queryLength: length, keyLength: length,
                                       headDim: headDim, scale: scale)
            attentionForward(out: out, probs: probs, q: q, qStride: width, k: k, kStride: width, v: v, vStride: width,
                             keyMask: keyMask, positionBias: nil, dropoutMask: dropoutMask, scratch: scratch, shape: shape)
            return
        }
        // One batch-1 call per sequence: its rows are contiguous and all real, so no mask is needed.
        var row = 0, p = 0
        for b in 0..<batch {
            let t = rowCount(b)
            if t == 0 { continue }
            let shape = AttentionShape(batch: 1, heads: heads, queryLength: t, keyLength: t, headDim: headDim, scale: scale)
            attentionForward(out: out + row * width, probs: probs + p, q: q + row * width, qStride: width,
                             k: k + row * width, kStride: width, v: v + row * width, vStride: width,
                             keyMask: nil, positionBias: nil, dropoutMask: dropoutMask.map { $0 + p },
                             scratch: scratch, shape: shape)
            row += t
            p += heads * t * t
        }
    }

    /// dq, dk, dv (N,H·Dh) = their gradients from dout (N,H·Dh) (overwrites), per sequence as in the forward.
    /// dscores and scratch are (T,T).
    @_specialize(where S == Float)
    func selfAttentionBackward<S: KernelScalar>(dq: UnsafeMutablePointer<S>, dk: UnsafeMutablePointer<S>,
                                                dv: UnsafeMutablePointer<S>, dout: UnsafePointer<S>,
                                                probs: UnsafePointer<S>, q: UnsafePointer<S>, k: UnsafePointer<S>,
                                                v: UnsafePointer<S>, dropoutMask: UnsafePointer<S>?,
                                                scratch: UnsafeMutablePointer<S>, dscores: UnsafeMutablePointer<S>,
                                                heads: Int, headDim: Int) {
        let width = heads * headDim, scale = 1 / Double(headDim).squareRoot()
        guard packed else {
            let shape = AttentionShape(batch: batch, heads: heads, queryLength: length, keyLength: length,
                                       headDim: headDim, scale: scale)
            attentionBackward(dq: dq, dk: dk, dv: dv, dout: dout, probs: probs, q: q, qStride: width, k: k,
                              kStride: width, v: v, vStride: width, dropoutMask: dropoutMask, scratch: scratch,
                              dscores: dscores, shape: shape, accumulate: false)
            return
        }
        var row = 0, p = 0
        for b in 0..<batch {
            let t = rowCount(b)
            if t == 0 { continue }
            let shape = AttentionShape(batch: 1, heads: heads, queryLength: t, keyLength: t, headDim: headDim, scale: scale)
            let o = row * width
            attentionBackward(dq: dq + o, dk: dk + o, dv: dv + o, dout: dout + o, probs: probs + p,
                              q: q + o, qStride: width, k: k + o, kStride: width, v: v + o, vStride: width,
                              dropoutMask: dropoutMask.map { $0 + p }, scratch: scratch, dscores: dscores,
                              shape: shape, accumulate: false)
            row += t
            p += heads * t * t
        }
    }

    /// Moves the packed rows of x (N,C) to their padded places (B,T,C) in the same buffer, zeroing the padding.
    /// Sequence b moves from Σ_{b'<b} L_b' ≤ b·T up to b·T, so going from the last sequence back never
    /// overwrites a row still to be moved.
    @_specialize(where S == Float)
    func spreadToPadded<S: KernelScalar>(_ x: UnsafeMutablePointer<S>, width: Int) {
        guard dropsPadding else { return }
        var row = rows
        for b in stride(from: batch - 1, through: 0, by: -1) {
            let t = rowCount(b)
            row -= t
            let destination = x + b * length * width
            if row != b * length { destination.update(from: x + row * width, count: t * width) }  // overlap-safe
            (destination + t * width).update(repeating: 0, count: (length - t) * width)
        }
    }

    /// packed (N,C) = the real rows of padded (B,T,C).
    @_specialize(where S == Float)
    func gatherRows<S: KernelScalar>(_ packed: UnsafeMutablePointer<S>, from padded: UnsafePointer<S>, width: Int) {
        guard dropsPadding else { return packed.update(from: padded, count: rows * width) }
        var row = 0
        for b in 0..<batch {
            let t = rowCount(b)
            (packed + row * width).update(from: padded + b * length * width, count: t * width)
            row += t
        }
    }
}
