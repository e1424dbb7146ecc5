import SoftPromptTensor
import SoftPromptTestSupport
import Testing

/// `accumulate: false` must give exactly what accumulating into zeros gives, whatever the buffer held before
/// (NaN here: a kernel that read the old contents, even to multiply them by 0, would leak it).
@Suite struct OverwriteModeTests {
    /// Runs `backward(into:accumulate:)` both ways and compares.
    func expectOverwriteEqualsAccumulateIntoZeros(count: Int, _ backward: (UnsafeMutablePointer<Double>, Bool) -> Void) {
        var accumulated = [Double](repeating: 0, count: count)
        var overwritten = [Double](repeating: .nan, count: count)
        backward(&accumulated, true)
        backward(&overwritten, false)
        #expect(overwritten == accumulated)
    }

    @Test func linear() {
        let (rows, i, o) = (3, 5, 4)
        let w = randomValues(o * i, seed: 1), dout = randomValues(rows * o, seed: 2)
        expectOverwriteEqualsAccumulateIntoZeros(count: rows * i) { dx, accumulate in
            linearBackward(dinp: dx, dout: dout, weight: w, rows: rows, inFeatures: i, outFeatures: o, accumulate: accumulate)
        }
    }

    @Test func layerNorm() {
        let (rows, cols) = (3, 7)
        let x = randomValues(rows * cols, seed: 1), w = randomValues(cols, seed: 2), dout = randomValues(rows * cols, seed: 3)
        var y = x, mean = [Double](repeating: 0, count: rows), rstd = mean
        layerNormForward(out: &y, mean: &mean, rstd: &rstd, inp: x, weight: w, bias: w, rows: rows, cols: cols, eps: 1e-5)
        expectOverwriteEqualsAccumulateIntoZeros(count: rows * cols) { dx, accumulate in
            layerNormBackward(dinp: dx, dout: dout, inp: x, mean: mean, rstd: rstd, weight: w, rows: rows, cols: cols,
                              accumulate: accumulate)
        }
    }

    @Test(arguments: GELUForm.allCases)
    func gelu(form: GELUForm) {
        let x = randomValues(9, seed: 1), dout = randomValues(9, seed: 2)
        expectOverwriteEqualsAccumulateIntoZeros(count: 9) { dx, accumulate in
            geluBackward(dinp: dx, dout: dout, inp: x, count: 9, form: form, accumulate: accumulate)
        }
    }

    @Test func relu() {
        let x = randomValues(9, seed: 1), dout = randomValues(9, seed: 2)
        expectOverwriteEqualsAccumulateIntoZeros(count: 9) { dx, accumulate in
            reluBackward(dinp: dx, dout: dout, inp: x, count: 9, accumulate: accumulate)
        }
    }

    @Test func attention() {
        let shape = AttentionShape(batch: 2, heads: 2, queryLength: 3, keyLength: 3, headDim: 2, scale: 0.7)
        let n = 2 * 3 * 4
        let q = randomValues(n, seed: 1), k = randomValues(n, seed: 2), v = randomValues(n, seed: 3)
        let dout = randomValues(n, seed: 4)
        var out = [Double](repeating: 0, count: n), probs = [Double](repeating: 0, count: shape.probabilityCount)
        attentionForward(out: &out, probs: &probs, q: q, qStride: 4, k: k, kStride: 4, v: v, vStride: 4,
                         keyMask: nil, positionBias: nil, shape: shape)
        var dscores = [Double](repeating: 0, count: 9)
        // dq, dk, dv side by side in one buffer of 3n.
        expectOverwriteEqualsAccumulateIntoZeros(count: 3 * n) { d, accumulate in
            attentionBackward(dq: d, dk: d + n, dv: d + 2 * n, dout: dout, probs: probs, q: q, qStride: 4, k: k,
                              kStride: 4, v: v, vStride: 4, dscores: &dscores, shape: shape, accumulate: accumulate)
        }
    }
}
