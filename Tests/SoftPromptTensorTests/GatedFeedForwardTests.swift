import Foundation
import SoftPromptTensor
import SoftPromptTestSupport
import Testing

@Suite struct GatedFeedForwardTests {
    let rows = 3
    let modelDim = 10
    let ffDim = 17
    var wi0: [Double] { randomValues(ffDim * modelDim, seed: 1, scale: 0.4) }
    var wi1: [Double] { randomValues(ffDim * modelDim, seed: 2, scale: 0.4) }
    var wo: [Double] { randomValues(modelDim * ffDim, seed: 3, scale: 0.4) }
    var input: [Double] { randomValues(rows * modelDim, seed: 4) }

    func naive(_ x: [Double], form: GELUForm) -> [Double] {
        let gelu = form == .exact ? GELUTests.naiveExact : GELUTests.naiveTanh
        var out = [Double](repeating: 0, count: rows * modelDim)
        for r in 0..<rows {
            var hidden = [Double](repeating: 0, count: ffDim)
            for f in 0..<ffDim {
                var g = 0.0, l = 0.0
                for c in 0..<modelDim {
                    g += x[r * modelDim + c] * wi0[f * modelDim + c]
                    l += x[r * modelDim + c] * wi1[f * modelDim + c]
                }
                hidden[f] = gelu(g) * l
            }
            for c in 0..<modelDim {
                out[r * modelDim + c] = (0..<ffDim).reduce(0) { $0 + hidden[$1] * wo[c * ffDim + $1] }
            }
        }
        return out
    }

    @Test(arguments: GELUForm.allCases)
    func forwardInFloat32MatchesNaiveReference(form: GELUForm) {
        let n = rows * ffDim
        var out = [Float](repeating: 0, count: rows * modelDim)
        var gate = [Float](repeating: 0, count: n), linear = gate, hidden = gate
        gatedFeedForwardForward(out: &out, gate: &gate, linear: &linear, hidden: &hidden, inp: input.floats,
                                wi0: wi0.floats, wi1: wi1.floats, wo: wo.floats,
                                rows: rows, modelDim: modelDim, ffDim: ffDim, form: form)
        #expect(relativeError(out.doubles, naive(input, form: form)) < 1e-5)
    }

    @Test(arguments: GELUForm.allCases)
    func inputGradientMatchesFiniteDifferences(form: GELUForm) {
        let (rows, modelDim, ffDim, wi0, wi1, wo) = (rows, modelDim, ffDim, wi0, wi1, wo)
        var gate = [Double](repeating: 0, count: rows * ffDim), linear = gate, scratchA = gate, scratchB = gate
        let error = finiteDifferenceError(input: input, outputCount: rows * modelDim,
            forward: { x, out in
                gatedFeedForwardForward(out: out, gate: &gate, linear: &linear, hidden: &scratchA, inp: x,
                                        wi0: wi0, wi1: wi1, wo: wo,
                                        rows: rows, modelDim: modelDim, ffDim: ffDim, form: form)
            },
            backward: { dout, _, dx in
                gatedFeedForwardBackward(dinp: dx, dout: dout, gate: gate, linear: linear,
                                         scratchA: &scratchA, scratchB: &scratchB, wi0: wi0, wi1: wi1, wo: wo,
                                         rows: rows, modelDim: modelDim, ffDim: ffDim, form: form)
            })
        #expect(error < gradientTolerance)
    }

    @Test(arguments: GELUForm.allCases)
    func gateAndLinearGradientsMatchFiniteDifferences(form: GELUForm) {
        let n = 21
        // input = [gate | linear]
        let error = finiteDifferenceError(input: randomValues(2 * n, seed: 9, scale: 1.5), outputCount: n,
            forward: { x, out in gatedGELUForward(out: out, gate: x, linear: x + n, count: n, form: form) },
            backward: { dout, x, dx in
                gatedGELUBackward(dgate: dx, dlinear: dx + n, dout: dout, gate: x, linear: x + n, count: n, form: form)
            })
        #expect(error < gradientTolerance)
    }
}
