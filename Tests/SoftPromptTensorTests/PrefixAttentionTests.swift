import SoftPromptTensor
import SoftPromptTestSupport
import Testing

/// `attentionBackwardToPrefix`: the first P rows' dq, dk, dv, from the probability columns and rows of the
/// prefix and the forward's output, must be the full backward's first P rows.
@Suite struct PrefixAttentionTests {
    /// (L, P) pairs: one prompt row, a few, and half the sequence (the largest the encoder sends here).
    static let cases = [(9, 1), (9, 3), (12, 6)]
    static let (heads, headDim) = (2, 4)

    /// The full backward's and the prefix backward's dq, dk, dv at rows 0..<P, in one scalar type.
    static func gradients<S: KernelScalar>(_: S.Type, length: Int, prefix: Int) -> (full: [S], prefixOnly: [S]) {
        let shape = AttentionShape(batch: 1, heads: heads, queryLength: length, keyLength: length, headDim: headDim,
                                   scale: 1 / Double(headDim).squareRoot())
        let w = shape.width, count = length * w
        let values: [S] = randomValues(4 * count, seed: 7).map { S($0) }
        let (q, k, v, dout) = (Array(values[0..<count]), Array(values[count..<2 * count]),
                               Array(values[2 * count..<3 * count]), Array(values[3 * count..<4 * count]))
        var out = [S](repeating: 0, count: count), statistics = [S](repeating: 0, count: heads * length * 2)
        var scratch = [S](repeating: 0, count: length * length), dscores = scratch
        attentionForwardKeepingStatistics(out: &out, statistics: &statistics, q: q, qStride: w, k: k, kStride: w,
                                          v: v, vStride: w, keyMask: nil, scratch: &scratch, shape: shape)
        var dq = [S](repeating: 0, count: count), dk = dq, dv = dq
        attentionBackwardRecomputing(dq: &dq, dk: &dk, dv: &dv, dout: dout, statistics: statistics, q: q, qStride: w,
                                     k: k, kStride: w, v: v, vStride: w, keyMask: nil, scratch: &scratch,
                                     dscores: &dscores, shape: shape, accumulate: false)
        // Rows past P must stay untouched: NaN there would show a write.
        var pq = [S](repeating: .nan, count: count), pk = pq, pv = pq
        attentionBackwardToPrefix(prefix, dq: &pq, dk: &pk, dv: &pv, dout: dout, out: out, statistics: statistics,
                                  q: q, k: k, v: v, scratch: &scratch, dscores: &dscores, shape: shape)
        #expect(pq[(prefix * w)...].allSatisfy(\.isNaN) && pk[(prefix * w)...].allSatisfy(\.isNaN))
        let rows = 0..<prefix * w
        return (Array(dq[rows] + dk[rows] + dv[rows]), Array(pq[rows] + pk[rows] + pv[rows]))
    }

    @Test(arguments: cases)
    func givesTheFullBackwardsPrefixRowsInFloat64(length: Int, prefix: Int) {
        let (full, prefixOnly) = Self.gradients(Double.self, length: length, prefix: prefix)
        #expect(relativeError(prefixOnly, full) <= 1e-13)
    }

    @Test(arguments: cases)
    func givesTheFullBackwardsPrefixRowsInFloat32(length: Int, prefix: Int) {
        let (full, prefixOnly) = Self.gradients(Float.self, length: length, prefix: prefix)
        #expect(relativeError(prefixOnly.map(Double.init), full.map(Double.init)) <= 1e-5)
    }
}
