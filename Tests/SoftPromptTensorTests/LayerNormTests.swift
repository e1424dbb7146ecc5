import SoftPromptTensor
import SoftPromptTestSupport
import Testing

@Suite struct LayerNormTests {
    let rows = 6
    let cols = 19
    let eps = 1e-12
    var weight: [Double] { randomValues(cols, seed: 1).map { 1 + 0.3 * $0 } }
    var bias: [Double] { randomValues(cols, seed: 2) }
    var input: [Double] { randomValues(rows * cols, seed: 3, scale: 2).enumerated().map { $1 + Double($0 % 4) } }

    func naive(_ x: [Double]) -> [Double] {
        var out = x
        for r in 0..<rows {
            let row = x[r * cols..<(r + 1) * cols]
            let mean = row.reduce(0, +) / Double(cols)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(cols)
            for c in 0..<cols {
                out[r * cols + c] = (x[r * cols + c] - mean) / (variance + eps).squareRoot() * weight[c] + bias[c]
            }
        }
        return out
    }

    @Test func forwardInFloat32MatchesNaiveReference() {
        var out = [Float](repeating: 0, count: rows * cols)
        var mean = [Float](repeating: 0, count: rows), rstd = mean
        layerNormForward(out: &out, mean: &mean, rstd: &rstd, inp: input.floats, weight: weight.floats,
                         bias: bias.floats, rows: rows, cols: cols, eps: Float(eps))
        #expect(relativeError(out.doubles, naive(input)) < 1e-6)
    }

    @Test func inputGradientMatchesFiniteDifferences() {
        let (rows, cols, eps, weight, bias) = (rows, cols, eps, weight, bias)
        var mean = [Double](repeating: 0, count: rows), rstd = mean
        let error = finiteDifferenceError(input: input, outputCount: rows * cols,
            forward: { x, out in
                layerNormForward(out: out, mean: &mean, rstd: &rstd, inp: x, weight: weight, bias: bias,
                                 rows: rows, cols: cols, eps: eps)
            },
            backward: { dout, x, dx in
                layerNormBackward(dinp: dx, dout: dout, inp: x, mean: mean, rstd: rstd, weight: weight,
                                  rows: rows, cols: cols)
            })
        #expect(error < gradientTolerance)
    }
}
