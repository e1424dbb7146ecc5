import SoftPromptTensor
import SoftPromptTestSupport
import Testing

@Suite struct ParameterGradientTests {
    let rows = 5, inFeatures = 7, outFeatures = 3

    @Test func linearWeightAndBiasGradientsMatchFiniteDifferences() {
        let (rows, i, o) = (rows, inFeatures, outFeatures)
        let x = randomValues(rows * i, seed: 1)
        // input = [weight (O,I) | bias (O)]
        let error = finiteDifferenceError(input: randomValues(o * i + o, seed: 2), outputCount: rows * o,
            forward: { p, out in linearForward(out: out, inp: x, weight: p, bias: p + o * i, rows: rows, inFeatures: i, outFeatures: o) },
            backward: { dout, _, dp in
                linearParameterBackward(dweight: dp, dbias: dp + o * i, dout: dout, inp: x, rows: rows, inFeatures: i, outFeatures: o)
            })
        #expect(error < gradientTolerance)
    }

    @Test func layerNormWeightAndBiasGradientsMatchFiniteDifferences() {
        let (rows, cols) = (4, 9)
        let x = randomValues(rows * cols, seed: 3, scale: 2)
        var mean = [Double](repeating: 0, count: rows), rstd = mean
        // input = [weight (C) | bias (C)]
        let error = finiteDifferenceError(input: randomValues(2 * cols, seed: 4), outputCount: rows * cols,
            forward: { p, out in
                layerNormForward(out: out, mean: &mean, rstd: &rstd, inp: x, weight: p, bias: p + cols, rows: rows, cols: cols, eps: 1e-5)
            },
            backward: { dout, _, dp in
                layerNormParameterBackward(dweight: dp, dbias: dp + cols, dout: dout, inp: x, mean: mean, rstd: rstd,
                                           rows: rows, cols: cols)
            })
        #expect(error < gradientTolerance)
    }
}
