import SoftPromptTensor
import SoftPromptTestSupport
import Testing

@Suite struct RMSNormTests {
    let rows = 4
    let cols = 23
    let eps = 1e-6
    var weight: [Double] { randomValues(cols, seed: 1).map { 1 + 0.3 * $0 } }
    var input: [Double] { randomValues(rows * cols, seed: 3, scale: 1.5) }

    func naive(_ x: [Double]) -> [Double] {
        var out = x
        for r in 0..<rows {
            let meanSquare = x[r * cols..<(r + 1) * cols].reduce(0) { $0 + $1 * $1 } / Double(cols)
            for c in 0..<cols { out[r * cols + c] = x[r * cols + c] / (meanSquare + eps).squareRoot() * weight[c] }
        }
        return out
    }

    @Test func forwardInFloat32MatchesNaiveReference() {
        var out = [Float](repeating: 0, count: rows * cols)
        var rstd = [Float](repeating: 0, count: rows)
        rmsNormForward(out: &out, rstd: &rstd, inp: input.floats, weight: weight.floats,
                       rows: rows, cols: cols, eps: Float(eps))
        #expect(relativeError(out.doubles, naive(input)) < 1e-6)
    }

    @Test func inputGradientMatchesFiniteDifferences() {
        let (rows, cols, eps, weight) = (rows, cols, eps, weight)
        var rstd = [Double](repeating: 0, count: rows)
        let error = finiteDifferenceError(input: input, outputCount: rows * cols,
            forward: { x, out in
                rmsNormForward(out: out, rstd: &rstd, inp: x, weight: weight, rows: rows, cols: cols, eps: eps)
            },
            backward: { dout, x, dx in
                rmsNormBackward(dinp: dx, dout: dout, inp: x, rstd: rstd, weight: weight, rows: rows, cols: cols)
            })
        #expect(error < gradientTolerance)
    }
}
