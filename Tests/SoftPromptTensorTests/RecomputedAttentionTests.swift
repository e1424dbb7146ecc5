import SoftPromptTensor
import SoftPromptTestSupport
import Testing

/// Attention that keeps two softmax statistics per row and recomputes the probabilities in the backward must
/// be indistinguishable from the attention that caches them: same output, same gradients, bit for bit in Float32.
@Suite struct RecomputedAttentionTests {
    /// The non-causal cases: the ones BERT runs (padded keys, and fewer queries than keys) and T5's encoder (with
    /// its position bias).
    static let cases = AttentionCase.all.filter { !$0.shape.causal }

    @Test(arguments: cases)
    func forwardAndGradientsEqualTheCachingKernelsBitForBit(_ c: AttentionCase) {
        let shape = c.shape, w = c.width
        let q = randomValues(c.qCount, seed: 1).floats, k = randomValues(c.kvCount, seed: 2).floats
        let v = randomValues(c.kvCount, seed: 3).floats, dout = randomValues(c.qCount, seed: 5).floats
        let mask = c.keyMask.floats, bias = c.positionBias?.floats
        let square = shape.queryLength * shape.keyLength
        var scratch = [Float](repeating: 0, count: square), dscores = scratch

        var cachedOut = [Float](repeating: 0, count: c.qCount), probs = [Float](repeating: 0, count: shape.probabilityCount)
        attentionForward(out: &cachedOut, probs: &probs, q: q, qStride: w, k: k, kStride: w, v: v, vStride: w,
                         keyMask: mask, positionBias: bias, shape: shape)
        var cached = (dq: [Float](repeating: 0, count: c.qCount), dk: [Float](repeating: 0, count: c.kvCount),
                      dv: [Float](repeating: 0, count: c.kvCount))
        attentionBackward(dq: &cached.dq, dk: &cached.dk, dv: &cached.dv, dout: dout, probs: probs, q: q, qStride: w,
                          k: k, kStride: w, v: v, vStride: w, dscores: &dscores, shape: shape, accumulate: false)

        var out = [Float](repeating: 0, count: c.qCount)
        var statistics = [Float](repeating: 0, count: shape.batch * shape.heads * shape.queryLength * 2)
        attentionForwardKeepingStatistics(out: &out, statistics: &statistics, q: q, qStride: w, k: k, kStride: w,
                                          v: v, vStride: w, keyMask: mask, positionBias: bias, scratch: &scratch,
                                          shape: shape)
        // Garbage in the gradients must be overwritten, as with the caching kernel.
        var dq = [Float](repeating: .nan, count: c.qCount), dk = [Float](repeating: .nan, count: c.kvCount)
        var dv = dk
        attentionBackwardRecomputing(dq: &dq, dk: &dk, dv: &dv, dout: dout, statistics: statistics, q: q, qStride: w,
                                     k: k, kStride: w, v: v, vStride: w, keyMask: mask, positionBias: bias,
                                     scratch: &scratch, dscores: &dscores, shape: shape, accumulate: false)
        #expect(out == cachedOut)
        #expect(dq == cached.dq)
        #expect(dk == cached.dk)
        #expect(dv == cached.dv)
    }

    @Test(arguments: cases)
    func inputGradientsMatchFiniteDifferences(_ c: AttentionCase) {
        let shape = c.shape, width = c.width, mask = c.keyMask, bias = c.positionBias
        let (qOffset, kOffset, vOffset) = (0, c.qCount, c.qCount + c.kvCount)
        var statistics = [Double](repeating: 0, count: shape.batch * shape.heads * shape.queryLength * 2)
        var scratch = [Double](repeating: 0, count: shape.queryLength * shape.keyLength), dscores = scratch
        let error = finiteDifferenceError(input: randomValues(c.qCount + 2 * c.kvCount, seed: 4), outputCount: c.qCount,
            forward: { x, out in
                attentionForwardKeepingStatistics(out: out, statistics: &statistics, q: x + qOffset, qStride: width,
                                                  k: x + kOffset, kStride: width, v: x + vOffset, vStride: width,
                                                  keyMask: mask, positionBias: bias, scratch: &scratch, shape: shape)
            },
            backward: { dout, x, dx in
                attentionBackwardRecomputing(dq: dx + qOffset, dk: dx + kOffset, dv: dx + vOffset, dout: dout,
                                             statistics: statistics, q: x + qOffset, qStride: width, k: x + kOffset,
                                             kStride: width, v: x + vOffset, vStride: width, keyMask: mask,
                                             positionBias: bias, scratch: &scratch, dscores: &dscores, shape: shape)
            })
        #expect(error < gradientTolerance)
    }

    /// A bias of a longer length T is read at its top-left (Tq,Tk) block: the same bits as that block given alone,
    /// in the caching and the recomputing kernels (packed T5 sequences share one (H,T,T) bias this way).
    @Test func aLongerPositionBiasIsReadAtItsTopLeftBlock() {
        let shape = AttentionShape(batch: 1, heads: 2, queryLength: 4, keyLength: 4, headDim: 3, scale: 1)
        let (t, w, n) = (7, shape.width, shape.queryLength * shape.width)
        let long = randomValues(shape.heads * t * t, seed: 31).floats
        var block: [Float] = []  // (H,4,4): the top-left corner of each head's (7,7) plane
        for h in 0..<shape.heads {
            for i in 0..<4 {
                let start = (h * t + i) * t
                block += long[start..<start + 4]
            }
        }
        let q = randomValues(n, seed: 32).floats, k = randomValues(n, seed: 33).floats, v = randomValues(n, seed: 34).floats
        var outs: [[Float]] = []
        for (bias, length) in [(block, nil), (long, t)] as [([Float], Int?)] {
            var out = [Float](repeating: 0, count: n), probs = [Float](repeating: 0, count: shape.probabilityCount)
            attentionForward(out: &out, probs: &probs, q: q, qStride: w, k: k, kStride: w, v: v, vStride: w, keyMask: nil,
                             positionBias: bias, positionBiasLength: length, shape: shape)
            var recomputed = [Float](repeating: 0, count: n), statistics = [Float](repeating: 0, count: 2 * 2 * 4)
            var scratch = [Float](repeating: 0, count: 16)
            attentionForwardKeepingStatistics(out: &recomputed, statistics: &statistics, q: q, qStride: w, k: k,
                                              kStride: w, v: v, vStride: w, keyMask: nil, positionBias: bias,
                                              positionBiasLength: length, scratch: &scratch, shape: shape)
            outs += [out, recomputed]
        }
        #expect(outs[0] == outs[2] && outs[1] == outs[3] && outs[0] == outs[1])
    }

    @Test func aFullyMaskedRowGivesZerosAndRebuildsAsZeros() {
        var row: [Float] = [-.infinity, -.infinity, -.infinity]
        var statistics: [Float] = [7, 7]
        softmaxRows(&row, rows: 1, cols: 3, statistics: &statistics)
        #expect(row == [0, 0, 0])
        var rebuilt: [Float] = [-.infinity, -.infinity, -.infinity]
        softmaxRowsRebuilt(&rebuilt, rows: 1, cols: 3, statistics: statistics)
        #expect(rebuilt == [0, 0, 0])
    }
}
