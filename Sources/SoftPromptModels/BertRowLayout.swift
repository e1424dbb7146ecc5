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

/// What the attention forward leaves for its backward.
enum AttentionCache<S: KernelScalar> {
    /// The probabilities: (B,H,T,T) padded, Σ_b (H,L_b,L_b) packed. Needed with attention dropout.
    case probabilities(UnsafeMutablePointer<S>)
    /// Each query row's softmax (max, 1/Σ exp): (B,H,T,2) padded, Σ_b (H,L_b,2) packed; the backward
    /// recomputes the probabilities from q, k and these (`attentionBackwardRecomputing`).
    case statistics(UnsafeMutablePointer<S>)

    /// The cache of the sequence whose first row is `row` (of N) and first probability `probability`.
    func offset(row: Int, probability: Int, heads: Int) -> AttentionCache<S> {
        switch self {
        case let .probabilities(p): return .probabilities(p + probability)
        case let .statistics(p): return .statistics(p + row * heads * 2)
        }
    }
}

extension BertRowLayout {
    /// Self-attention of every sequence over its own rows. q, k, v, out (N,H·Dh) with row stride H·Dh;
    /// the cache and dropoutMask laid out as this layout says (dropout needs the probabilities cached);
    /// keyMask (B,T) additive, read by the padded layout only; scratch (T,T).
    @_specialize(where S == Float)
    func selfAttentionForward<S: KernelScalar>(out: UnsafeMutablePointer<S>, cache: AttentionCache<S>,
                                               q: UnsafePointer<S>, k: UnsafePointer<S>, v: UnsafePointer<S>,
                                               keyMask: UnsafePointer<S>, dropoutMask: UnsafePointer<S>?,
                                               scratch: UnsafeMutablePointer<S>, heads: Int, headDim: Int) {
        forEachSequence(heads: heads, headDim: headDim) { row, probability, shape, masked in
            let o = row * heads * headDim
            switch cache.offset(row: row, probability: probability, heads: heads) {
            case let .probabilities(p):
                attentionForward(out: out + o, probs: p, q: q + o, qStride: shape.width, k: k + o, kStride: shape.width,
                                 v: v + o, vStride: shape.width, keyMask: masked ? keyMask : nil, positionBias: nil,
                                 dropoutMask: dropoutMask.map { $0 + probability }, scratch: scratch, shape: shape)
            case let .statistics(statistics):
                precondition(dropoutMask == nil, "attention dropout needs the probabilities cached")
                attentionForwardKeepingStatistics(out: out + o, statistics: statistics, q: q + o, qStride: shape.width,
                                                  k: k + o, kStride: shape.width, v: v + o, vStride: shape.width,
                                                  keyMask: masked ? keyMask : nil, scratch: scratch, shape: shape)
            }
        }
    }

    /// dq, dk, dv (N,H·Dh) = their gradients from dout (N,H·Dh) (overwrites), per sequence as in the forward.
    /// dscores and scratch are (T,T).
    @_specialize(where S == Float)
    func selfAttentionBackward<S: KernelScalar>(dq: UnsafeMutablePointer<S>, dk: UnsafeMutablePointer<S>,
                                                dv: UnsafeMutablePointer<S>, dout: UnsafePointer<S>,
                                                cache: AttentionCache<S>, q: UnsafePointer<S>, k: UnsafePointer<S>,
                                                v: UnsafePointer<S>, keyMask: UnsafePointer<S>,
                                                dropoutMask: UnsafePointer<S>?, scratch: UnsafeMutablePointer<S>,
                                                dscores: UnsafeMutablePointer<S>, heads: Int, headDim: Int) {
        forEachSequence(heads: heads, headDim: headDim) { row, probability, shape, masked in
            let o = row * heads * headDim
            switch cache.offset(row: row, probability: probability, heads: heads) {
            case let .probabilities(p):
                attentionBackward(dq: dq + o, dk: dk + o, dv: dv + o, dout: dout + o, probs: p,
                                  q: q + o, qStride: shape.width, k: k + o, kStride: shape.width, v: v + o,
                                  vStride: shape.width, dropoutMask: dropoutMask.map { $0 + probability },
                                  scratch: scratch, dscores: dscores, shape: shape, accumulate: false)
            case let .statistics(statistics):
                attentionBackwardRecomputing(dq: dq + o, dk: dk + o, dv: dv + o, dout: dout + o,
                                             statistics: statistics, q: q + o, qStride: shape.width, k: k + o,
                                             kStride: shape.width, v: v + o, vStride: shape.width,
                                             keyMask: masked ? keyMask : nil, scratch: scratch, dscores: dscores,
                                             shape: shape, accumulate: false)
            }
        }
    }

    /// Calls body once for the whole padded batch (masked: true), or once per non-empty packed sequence (its
    /// rows are contiguous and all real, so no mask), with its first row, first probability and shape.
    @inline(__always)
    private func forEachSequence(heads: Int, headDim: Int,
                                 _ body: (_ row: Int, _ probability: Int, AttentionShape, _ masked: Bool) -> Void) {
        let scale = 1 / Double(headDim).squareRoot()
        guard packed else {
            return body(0, 0, AttentionShape(batch: batch, heads: heads, queryLength: length, keyLength: length,
                                             headDim: headDim, scale: scale), true)
        }
        var row = 0, probability = 0
        for b in 0..<batch {
            let t = rowCount(b)
            if t == 0 { continue }
            body(row, probability, AttentionShape(batch: 1, heads: heads, queryLength: t, keyLength: t,
                                                  headDim: headDim, scale: scale), false)
            row += t
            probability += heads * t * t
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
