import SoftPromptTensor

/// Where a T5 batch's encoder rows sit. Packed when every mask row is a prefix of ones with at least one (what
/// `T5PromptedBatch` builds: prompt, text, then padding): sequence b's L_b real rows lie back to back from
/// offset o_b, N = Σ L_b, and no layer spends work on padding. Otherwise padded: B·Te rows, padding masked in
/// every attention, as transformers computes it.
struct T5EncoderRows {
    /// The padded input's (B, Te).
    let batch: Int, length: Int
    /// (B) each, in the encoder arena; nil when padded.
    let lengths: UnsafePointer<Int>?, offsets: UnsafePointer<Int>?
    /// N: rows every position-wise layer runs on.
    let count: Int

    var isPacked: Bool { lengths != nil }

    /// The layout of a (B,Te) 0/1 mask (padded whatever the mask when not `packing`); `lengths` and `offsets`
    /// (B) are written when it packs.
    init(mask: UnsafePointer<Int32>, batch: Int, length: Int, packing: Bool = true,
         lengths: UnsafeMutablePointer<Int>, offsets: UnsafeMutablePointer<Int>) {
        self.batch = batch
        self.length = length
        var total = 0, packs = packing
        for b in 0..<batch where packs {
            let row = mask + b * length
            var real = 0
            while real < length && row[real] != 0 { real += 1 }
            for j in real..<length where row[j] != 0 { packs = false }
            if real == 0 { packs = false }
            lengths[b] = real
            offsets[b] = total
            total += real
        }
        self.lengths = packs ? UnsafePointer(lengths) : nil
        self.offsets = packs ? UnsafePointer(offsets) : nil
        count = packs ? total : batch * length
    }

    /// packed (N,width) = the real rows of padded (B,Te,width).
    func gather<S>(_ padded: UnsafePointer<S>, into packed: UnsafeMutablePointer<S>, width: Int) {
        guard let lengths, let offsets else { return packed.update(from: padded, count: count * width) }
        for b in 0..<batch {
            (packed + offsets[b] * width).update(from: padded + b * length * width, count: lengths[b] * width)
        }
    }

    /// padded (B,Te,width) = packed (N,width) on the real rows and 0 on padding, or += on the real rows alone.
    func scatter<S: KernelScalar>(_ packed: UnsafePointer<S>, into padded: UnsafeMutablePointer<S>, width: Int,
                                  accumulate: Bool) {
        let rows = lengths, starts = offsets
        for b in 0..<batch {
            let real = rows?[b] ?? length, from = packed + (starts?[b] ?? b * length) * width
            let to = padded + b * length * width
            if accumulate {
                for i in 0..<real * width { to[i] += from[i] }
            } else {
                to.update(from: from, count: real * width)
                (to + real * width).update(repeating: 0, count: (length - real) * width)
            }
        }
    }

    /// The encoder's self-attention over these rows, caching each softmax row's statistics (Σ_b H·L_b·2
    /// scalars, sequence after sequence; B·H·Te·2 padded) instead of its probabilities: `shape` gives heads, head
    /// width and, padded, the whole (B,Te,Te) block. keyMask (B,Te) is read on padded rows only; the position
    /// bias is (H,Te,Te), read at each sequence's top-left block. scratch (Te,Te).
    func selfAttentionForward<S: KernelScalar>(out: UnsafeMutablePointer<S>, statistics: UnsafeMutablePointer<S>,
                                               q: UnsafePointer<S>, k: UnsafePointer<S>, v: UnsafePointer<S>,
                                               keyMask: UnsafePointer<S>, positionBias: UnsafePointer<S>,
                                               scratch: UnsafeMutablePointer<S>, shape: AttentionShape) {
        let width = shape.width
        guard let lengths, let offsets else {
            attentionForwardKeepingStatistics(out: out, statistics: statistics, q: q, qStride: width, k: k,
                                              kStride: width, v: v, vStride: width, keyMask: keyMask,
                                              positionBias: positionBias, scratch: scratch, shape: shape)
            return
        }
        forEachSequence(lengths, offsets, queryLength: nil, cacheColumns: 2, shape: shape) { queryAt, keyAt, cacheAt, one in
            attentionForwardKeepingStatistics(out: out + queryAt, statistics: statistics + cacheAt, q: q + queryAt,
                                              qStride: width, k: k + keyAt, kStride: width, v: v + keyAt,
                                              vStride: width, keyMask: nil, positionBias: positionBias,
                                              positionBiasLength: length, scratch: scratch, shape: one)
        }
    }

    /// The backward of `selfAttentionForward`: dq, dk, dv (laid out as q, k, v) from dout, overwritten, with the
    /// probabilities rebuilt from the statistics in scratch (Te,Te); dScores (Te,Te) is scratch too.
    func selfAttentionBackward<S: KernelScalar>(dq: UnsafeMutablePointer<S>, dk: UnsafeMutablePointer<S>,
                                                dv: UnsafeMutablePointer<S>, dout: UnsafePointer<S>,
                                                statistics: UnsafePointer<S>, q: UnsafePointer<S>,
                                                k: UnsafePointer<S>, v: UnsafePointer<S>, keyMask: UnsafePointer<S>,
                                                positionBias: UnsafePointer<S>, scratch: UnsafeMutablePointer<S>,
                                                dScores: UnsafeMutablePointer<S>, shape: AttentionShape) {
        let width = shape.width
        guard let lengths, let offsets else {
            attentionBackwardRecomputing(dq: dq, dk: dk, dv: dv, dout: dout, statistics: statistics, q: q,
                                         qStride: width, k: k, kStride: width, v: v, vStride: width, keyMask: keyMask,
                                         positionBias: positionBias, scratch: scratch, dscores: dScores, shape: shape,
                                         accumulate: false)
            return
        }
        forEachSequence(lengths, offsets, queryLength: nil, cacheColumns: 2, shape: shape) { queryAt, keyAt, cacheAt, one in
            attentionBackwardRecomputing(dq: dq + queryAt, dk: dk + keyAt, dv: dv + keyAt, dout: dout + queryAt,
                                         statistics: statistics + cacheAt, q: q + queryAt, qStride: width,
                                         k: k + keyAt, kStride: width, v: v + keyAt, vStride: width, keyMask: nil,
                                         positionBias: positionBias, positionBiasLength: length, scratch: scratch,
                                         dscores: dScores, shape: one, accumulate: false)
        }
    }

    /// The decoder's cross-attention into these rows: shape.queryLength decoder rows per sequence attend to the
    /// sequence's rows, caching the probabilities (Σ_b H·Tq·L_b, sequence after sequence; B·H·Tq·Te padded, where
    /// keyMask (B,Te) masks the padding).
    func crossAttentionForward<S: KernelScalar>(out: UnsafeMutablePointer<S>, probs: UnsafeMutablePointer<S>,
                                                q: UnsafePointer<S>, k: UnsafePointer<S>, v: UnsafePointer<S>,
                                                keyMask: UnsafePointer<S>, shape: AttentionShape) {
        let width = shape.width
        guard let lengths, let offsets else {
            attentionForward(out: out, probs: probs, q: q, qStride: width, k: k, kStride: width, v: v, vStride: width,
                             keyMask: keyMask, positionBias: nil, shape: shape)
            return
        }
        forEachSequence(lengths, offsets, queryLength: shape.queryLength, cacheColumns: nil, shape: shape) {
            queryAt, keyAt, cacheAt, one in
            attentionForward(out: out + queryAt, probs: probs + cacheAt, q: q + queryAt, qStride: width, k: k + keyAt,
                             kStride: width, v: v + keyAt, vStride: width, keyMask: nil, positionBias: nil, shape: one)
        }
    }

    /// The backward of `crossAttentionForward`: dq (decoder rows), dk, dv (these rows) from dout, overwritten.
    func crossAttentionBackward<S: KernelScalar>(dq: UnsafeMutablePointer<S>, dk: UnsafeMutablePointer<S>,
                                                 dv: UnsafeMutablePointer<S>, dout: UnsafePointer<S>,
                                                 probs: UnsafePointer<S>, q: UnsafePointer<S>, k: UnsafePointer<S>,
                                                 v: UnsafePointer<S>, dScores: UnsafeMutablePointer<S>,
                                                 shape: AttentionShape) {
        let width = shape.width
        guard let lengths, let offsets else {
            attentionBackward(dq: dq, dk: dk, dv: dv, dout: dout, probs: probs, q: q, qStride: width, k: k,
                              kStride: width, v: v, vStride: width, dscores: dScores, shape: shape, accumulate: false)
            return
        }
        forEachSequence(lengths, offsets, queryLength: shape.queryLength, cacheColumns: nil, shape: shape) {
            queryAt, keyAt, cacheAt, one in
            attentionBackward(dq: dq + queryAt, dk: dk + keyAt, dv: dv + keyAt, dout: dout + queryAt,
                              probs: probs + cacheAt, q: q + queryAt, qStride: width, k: k + keyAt, kStride: width,
                              v: v + keyAt, vStride: width, dscores: dScores, shape: one, accumulate: false)
        }
    }

    /// Calls `body` once per packed sequence with where its queries and keys start (scalars into (·,inner)
    /// buffers: queries at the sequence's own rows, or at b·queryLength for the decoder's), where its cache starts
    /// (H·queries·cacheColumns scalars per sequence; cacheColumns nil: one per key, the probabilities), and its
    /// one-sequence shape.
    private func forEachSequence(_ lengths: UnsafePointer<Int>, _ offsets: UnsafePointer<Int>, queryLength: Int?,
                                 cacheColumns: Int?, shape: AttentionShape,
                                 _ body: (Int, Int, Int, AttentionShape) -> Void) {
        var cacheAt = 0
        for b in 0..<batch {
            let keys = lengths[b], queries = queryLength ?? keys
            var one = shape
            (one.batch, one.queryLength, one.keyLength) = (1, queries, keys)
            body((queryLength.map { b * $0 } ?? offsets[b]) * shape.width, offsets[b] * shape.width, cacheAt, one)
            cacheAt += shape.heads * queries * (cacheColumns ?? keys)
        }
    }
}
