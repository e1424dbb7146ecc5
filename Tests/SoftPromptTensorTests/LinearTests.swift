import SoftPromptTensor
import SoftPromptTestSupport
import Testing

@Suite struct LinearTests {
    // Sizes deliberately not multiples of 8.
    let rows = 5
    let inFeatures = 13
    let outFeatures = 7
    var weight: [Double] { randomValues(outFeatures * inFeatures, seed: 1) }
    var bias: [Double] { randomValues(outFeatures, seed: 2) }
    var input: [Double] { randomValues(rows * inFeatures, seed: 3) }

    func naive(_ x: [Double], withBias: Bool) -> [Double] {
        var out = [Double](repeating: 0, count: rows * outFeatures)
        for r in 0..<rows {
            for o in 0..<outFeatures {
                var s = withBias ? bias[o] : 0
                for i in 0..<inFeatures { s += x[r * inFeatures + i] * weight[o * inFeatures + i] }
                out[r * outFeatures + o] = s
            }
        }
        return out
    }

    @Test(arguments: [true, false])
    func forwardInFloat32MatchesNaiveReference(withBias: Bool) {
        var out = [Float](repeating: 0, count: rows * outFeatures)
        let w = weight.floats, b = bias.floats
        linearForward(out: &out, inp: input.floats, weight: w, bias: withBias ? b : nil,
                      rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
        #expect(relativeError(out.doubles, naive(input, withBias: withBias)) < 1e-6)
    }

    @Test func forwardInFloat64IsExact() {
        var out = [Double](repeating: 0, count: rows * outFeatures)
        linearForward(out: &out, inp: input, weight: weight, bias: bias,
                      rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
        #expect(relativeError(out, naive(input, withBias: true)) < 1e-14)
    }

    @Test func inputGradientMatchesFiniteDifferences() {
        let w = weight, b = bias
        let error = finiteDifferenceError(input: input, outputCount: rows * outFeatures,
            forward: { x, out in
                linearForward(out: out, inp: x, weight: w, bias: b,
                              rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
            },
            backward: { dout, _, dx in
                linearBackward(dinp: dx, dout: dout, weight: w,
                               rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
            })
        #expect(error < gradientTolerance)
    }
}
