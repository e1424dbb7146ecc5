import SoftPromptTensor

/// Which rows of a padded (B,T) batch the encoder computes, and where they sit in its (N,d) activations.
///
/// Packed: every mask row is a prefix of ones (prompt, text, then padding), so sequence b keeps only its L_b
/// real rows, at rows Σ_{b'<b} L_b' of the activations (N = Σ L_b), and attends over itself alone: padding
/// costs no FLOPs. Its attention probabilities (H,L_b,L_b) sit at Σ_{b'<b} H·L_b'² (≤ B·H·T² in all).
/// Padded: any other mask (a 0 followed by a 1) keeps N = B·T rows, sequence b at rows b·T, and masks the
/// attention per key, as the encoder always did.
///
/// Query rows: a packed layer may compute the outputs of only the rows past the first P of each sequence (the
/// last layer, when nothing reads the prompt's outputs). Its queries, outputs and their gradients then hold
/// those N_q = Σ max(L_b − P, 0) rows back to back, while keys and values keep all N rows. P = 0 is every row.
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

    /// Query rows of sequence b when its first `skipped` rows compute no output.
    @inline(__always) func queryRowCount(_ b: Int, skipping skipped: Int) -> Int { max(rowCount(b) - skipped, 0) }

    /// N_q: the rows whose outputs a layer computes when each sequence's first `skipped` rows compute none.
    func queryRows(skipping skipped: Int) -> Int {
        guard skipped > 0 else { return rows }
        precondition(packed, "only a packed layout skips rows")
        var count = 0
        for b in 0..<batch { count += queryRowCount(b, skipping: skipped) }
        return count
    }

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
    /// Self-attention of every sequence over its own rows. k, v (N,H·Dh) and q, out (N_q,H·Dh) (query rows:
    /// past the first `skipped` of each sequence) with row stride H·Dh; the cache and dropoutMask laid out as this
    /// layout says (dropout needs the probabilities cached); keyMask (B,T) additive, read by the padded layout
    /// only; scratch (T,T).
    @_specialize(where S == Float)
    func selfAttentionForward<S: KernelScalar>(out: UnsafeMutablePointer<S>, cache: AttentionCache<S>,
                                               q: UnsafePointer<S>, k: UnsafePointer<S>, v: UnsafePointer<S>,
                                               keyMask: UnsafePointer<S>, dropoutMask: UnsafePointer<S>?,
                                               scratch: UnsafeMutablePointer<S>, heads: Int, headDim: Int,
                                               skipping skipped: Int = 0) {
        forEachSequence(heads: heads, headDim: headDim, skipping: skipped) { at, shape, masked in
            let (oq, ok) = (at.queryRow * shape.width, at.keyRow * shape.width)
            switch cache.offset(row: at.queryRow, probability: at.probability, heads: heads) {
            case let .probabilities(p):
                attentionForward(out: out + oq, probs: p, q: q + oq, qStride: shape.width, k: k + ok,
                                 kStride: shape.width, v: v + ok, vStride: shape.width, keyMask: masked ? keyMask : nil,
                                 positionBias: nil, dropoutMask: dropoutMask.map { $0 + at.probability },
                                 scratch: scratch, shape: shape)
            case let .statistics(statistics):
                precondition(dropoutMask == nil, "attention dropout needs the probabilities cached")
                attentionForwardKeepingStatistics(out: out + oq, statistics: statistics, q: q + oq, qStride: shape.width,
                                                  k: k + ok, kStride: shape.width, v: v + ok, vStride: shape.width,
                                                  keyMask: masked ? keyMask : nil, scratch: scratch, shape: shape)
            }
        }
    }

    /// dq (N_q,H·Dh), dk, dv (N,H·Dh) = their gradients from dout (N_q,H·Dh) (overwrites), per sequence as in
    /// the forward. dscores and scratch are (T,T).
    @_specialize(where S == Float)
    func selfAttentionBackward<S: KernelScalar>(dq: UnsafeMutablePointer<S>, dk: UnsafeMutablePointer<S>,
                                                dv: UnsafeMutablePointer<S>, dout: UnsafePointer<S>,
                                                cache: AttentionCache<S>, q: UnsafePointer<S>, k: UnsafePointer<S>,
                                                v: UnsafePointer<S>, keyMask: UnsafePointer<S>,
                                                dropoutMask: UnsafePointer<S>?, scratch: UnsafeMutablePointer<S>,
                                                dscores: UnsafeMutablePointer<S>, heads: Int, headDim: Int,
                                                skipping skipped: Int = 0) {
        forEachSequence(heads: heads, headDim: headDim, skipping: skipped) { at, shape, masked in
            sequenceAttentionBackward(at: at, shape: shape, masked: masked, dq: dq, dk: dk, dv: dv, dout: dout,
                                      cache: cache, q: q, k: k, v: v, keyMask: keyMask, dropoutMask: dropoutMask,
                                      scratch: scratch, dscores: dscores, heads: heads)
        }
    }

    /// The gradients of each sequence's first P rows only, for the first layer of a backward that sums a shared
    /// prompt (`attentionBackwardToPrefix`): dq, dk, dv (N,H·Dh) are written at those rows, dout and the forward's
    /// attention output `out` (N,H·Dh) read at all. Needs a packed layout with softmax statistics cached and no
    /// skipped rows; a sequence shorter than 2·P takes the full backward (its saving is small, and scratch and
    /// dscores (T,T) hold the 2·P·L scalars only when 2·P ≤ L).
    @_specialize(where S == Float)
    func selfAttentionBackwardToPrefix<S: KernelScalar>(_ prefix: Int, dq: UnsafeMutablePointer<S>,
                                                        dk: UnsafeMutablePointer<S>, dv: UnsafeMutablePointer<S>,
                                                        dout: UnsafePointer<S>, out: UnsafePointer<S>,
                                                        cache: AttentionCache<S>, q: UnsafePointer<S>,
                                                        k: UnsafePointer<S>, v: UnsafePointer<S>,
                                                        keyMask: UnsafePointer<S>, scratch: UnsafeMutablePointer<S>,
                                                        dscores: UnsafeMutablePointer<S>, heads: Int, headDim: Int) {
        precondition(packed, "the prefix backward runs on a packed layout")
        forEachSequence(heads: heads, headDim: headDim, skipping: 0) { at, shape, masked in
            let offset = at.keyRow * shape.width
            guard 2 * prefix <= shape.keyLength,
                  case let .statistics(statistics) = cache.offset(row: at.queryRow, probability: at.probability,
                                                                  heads: heads) else {
                return sequenceAttentionBackward(at: at, shape: shape, masked: masked, dq: dq, dk: dk, dv: dv,
                                                 dout: dout, cache: cache, q: q, k: k, v: v, keyMask: keyMask,
                                                 dropoutMask: nil, scratch: scratch, dscores: dscores, heads: heads)
            }
            attentionBackwardToPrefix(prefix, dq: dq + offset, dk: dk + offset, dv: dv + offset, dout: dout + offset,
                                      out: out + offset, statistics: statistics, q: q + offset, k: k + offset,
                                      v: v + offset, scratch: scratch, dscores: dscores, shape: shape)
        }
    }

    /// One sequence of `selfAttentionBackward`.
    @inline(__always)
    private func sequenceAttentionBackward<S: KernelScalar>(at: SequenceStart, shape: AttentionShape, masked: Bool,
                                                            dq: UnsafeMutablePointer<S>, dk: UnsafeMutablePointer<S>,
                                                            dv: UnsafeMutablePointer<S>, dout: UnsafePointer<S>,
                                                            cache: AttentionCache<S>, q: UnsafePointer<S>,
                                                            k: UnsafePointer<S>, v: UnsafePointer<S>,
                                                            keyMask: UnsafePointer<S>, dropoutMask: UnsafePointer<S>?,
                                                            scratch: UnsafeMutablePointer<S>,
                                                            dscores: UnsafeMutablePointer<S>, heads: Int) {
        let (oq, ok) = (at.queryRow * shape.width, at.keyRow * shape.width)
        guard shape.queryLength > 0 else {
            // No query reads this sequence's keys: their gradients are 0.
            (dk + ok).update(repeating: 0, count: shape.keyLength * shape.width)
            (dv + ok).update(repeating: 0, count: shape.keyLength * shape.width)
            return
        }
        switch cache.offset(row: at.queryRow, probability: at.probability, heads: heads) {
        case let .probabilities(p):
            attentionBackward(dq: dq + oq, dk: dk + ok, dv: dv + ok, dout: dout + oq, probs: p,
                              q: q + oq, qStride: shape.width, k: k + ok, kStride: shape.width, v: v + ok,
                              vStride: shape.width, dropoutMask: dropoutMask.map { $0 + at.probability },
                              scratch: scratch, dscores: dscores, shape: shape, accumulate: false)
        case let .statistics(statistics):
            attentionBackwardRecomputing(dq: dq + oq, dk: dk + ok, dv: dv + ok, dout: dout + oq,
                                         statistics: statistics, q: q + oq, qStride: shape.width, k: k + ok,
                                         kStride: shape.width, v: v + ok, vStride: shape.width,
                                         keyMask: masked ? keyMask : nil, scratch: scratch, dscores: dscores,
                                         shape: shape, accumulate: false)
        }
    }

    /// Where one sequence's attention reads and writes: its first query row (of N_q), first key row (of N) and
    /// first probability.
    struct SequenceStart { let queryRow: Int, keyRow: Int, probability: Int }

    /// Calls body once for the whole padded batch (masked: true), or once per non-empty packed sequence (its
    /// rows are contiguous and all real, so no mask), with where it starts and its shape: queries are its rows
    /// past the first `skipped` (possibly none), keys all its rows.
    @inline(__always)
    private func forEachSequence(heads: Int, headDim: Int, skipping skipped: Int,
                                 _ body: (SequenceStart, AttentionShape, _ masked: Bool) -> Void) {
        let scale = 1 / Double(headDim).squareRoot()
        guard packed else {
            precondition(skipped == 0, "only a packed layout skips rows")
            return body(SequenceStart(queryRow: 0, keyRow: 0, probability: 0),
                        AttentionShape(batch: batch, heads: heads, queryLength: length, keyLength: length,
                                       headDim: headDim, scale: scale), true)
        }
        var queryRow = 0, keyRow = 0, probability = 0
        for b in 0..<batch {
            let t = rowCount(b), tq = queryRowCount(b, skipping: skipped)
            if t == 0 { continue }
            body(SequenceStart(queryRow: queryRow, keyRow: keyRow, probability: probability),
                 AttentionShape(batch: 1, heads: heads, queryLength: tq, keyLength: t, headDim: headDim, scale: scale),
                 false)
            queryRow += tq
            keyRow += t
            probability += heads * tq * t
        }
    }

    /// Moves the query rows of x (N_q,C) to their padded places (B,T,C) in the same buffer, zeroing the
    /// padding and the `skipped` rows of each sequence. Sequence b moves from Σ_{b'<b} (L_b' − P) ≤ b·T up to
    /// b·T + P, so going from the last sequence back never overwrites a row still to be moved.
    @_specialize(where S == Float)
    func spreadToPadded<S: KernelScalar>(_ x: UnsafeMutablePointer<S>, width: Int, skipping skipped: Int = 0) {
        guard dropsPadding || skipped > 0 else { return }
        var row = queryRows(skipping: skipped)
        for b in stride(from: batch - 1, through: 0, by: -1) {
            let tq = queryRowCount(b, skipping: skipped), first = rowCount(b) - tq
            row -= tq
            let sequence = x + b * length * width
            if row != b * length + first { (sequence + first * width).update(from: x + row * width, count: tq * width) }
            sequence.update(repeating: 0, count: first * width)
            (sequence + (first + tq) * width).update(repeating: 0, count: (length - first - tq) * width)
        }
    }

    /// packed (N_q,C) = the query rows (real, past the first `skipped` of each sequence) of padded (B,T,C).
    @_specialize(where S == Float)
    func gatherRows<S: KernelScalar>(_ packed: UnsafeMutablePointer<S>, from padded: UnsafePointer<S>, width: Int,
                                     skipping skipped: Int = 0) {
        guard dropsPadding || skipped > 0 else { return packed.update(from: padded, count: rows * width) }
        var row = 0
        for b in 0..<batch {
            let tq = queryRowCount(b, skipping: skipped), first = rowCount(b) - tq
            (packed + row * width).update(from: padded + (b * length + first) * width, count: tq * width)
            row += tq
        }
    }

    /// packed (N_q,C) = the query rows of packed x (N,C): each sequence's rows past its first `skipped`.
    @_specialize(where S == Float)
    func gatherQueryRows<S: KernelScalar>(_ queries: UnsafeMutablePointer<S>, from x: UnsafePointer<S>, width: Int,
                                          skipping skipped: Int) {
        forEachPackedSequence(skipping: skipped) { row, queryRow, t, tq in
            (queries + queryRow * width).update(from: x + (row + t - tq) * width, count: tq * width)
        }
    }

    /// sum (P,C) = Σ_b of each packed sequence's first P rows of x (N,C) (every sequence has at least P rows).
    @_specialize(where S == Float)
    func sumPrefixRows<S: KernelScalar>(_ sum: UnsafeMutablePointer<S>, from x: UnsafePointer<S>, prefix: Int,
                                        width: Int) {
        let count = prefix * width
        sum.update(from: x, count: count)
        forEachPackedSequence(skipping: 0) { row, _, _, _ in
            guard row > 0 else { return }  // the first sequence is the sum's start
            let rows = x + row * width
            for i in 0..<count { sum[i] += rows[i] }
        }
    }

    /// x (N,C) = the query rows (N_q,C) in their packed places, 0 in each sequence's first `skipped` rows.
    @_specialize(where S == Float)
    func scatterQueryRows<S: KernelScalar>(_ queries: UnsafePointer<S>, into x: UnsafeMutablePointer<S>, width: Int,
                                           skipping skipped: Int) {
        forEachPackedSequence(skipping: skipped) { row, queryRow, t, tq in
            (x + row * width).update(repeating: 0, count: (t - tq) * width)
            (x + (row + t - tq) * width).update(from: queries + queryRow * width, count: tq * width)
        }
    }

    /// Calls body per packed sequence with its first row (of N), first query row (of N_q), rows and query rows.
    @inline(__always)
    private func forEachPackedSequence(skipping skipped: Int,
                                       _ body: (_ row: Int, _ queryRow: Int, _ rows: Int, _ queryRows: Int) -> Void) {
        var row = 0, queryRow = 0
        for b in 0..<batch {
            let t = rowCount(b), tq = queryRowCount(b, skipping: skipped)
            body(row, queryRow, t, tq)
            row += t
            queryRow += tq
        }
    }
}
