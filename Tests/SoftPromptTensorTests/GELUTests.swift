import Foundation
import SoftPromptTensor
import SoftPromptTestSupport
import Testing

@Suite struct GELUTests {
    let count = 37
    // Spread over the region where the two forms differ and the tails where they saturate.
    var input: [Double] { randomValues(count, seed: 5, scale: 2.5) }

    static func naiveExact(_ x: Double) -> Double { 0.5 * x * (1 + erf(x / 2.0.squareRoot())) }
    static func naiveTanh(_ x: Double) -> Double {
        0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
    }

    @Test(arguments: GELUForm.allCases)
    func forwardInFloat32MatchesNaiveReference(form: GELUForm) {
        var out = [Float](repeating: 0, count: count)
        geluForward(out: &out, inp: input.floats, count: count, form: form)
        let expected = input.map(form == .exact ? Self.naiveExact : Self.naiveTanh)
        #expect(relativeError(out.doubles, expected) < 1e-6)
    }

    @Test func knownValues() {
        var out = [Double](repeating: 0, count: 3)
        geluForward(out: &out, inp: [0, 1, -1] as [Double], count: 3, form: .exact)
        #expect(out[0] == 0)
        #expect(abs(out[1] - 0.8413447460685429) < 1e-15)
        #expect(abs(out[2] + 0.15865525393145707) < 1e-15)
    }

    @Test(arguments: GELUForm.allCases)
    func inputGradientMatchesFiniteDifferences(form: GELUForm) {
        let count = count
        let error = finiteDifferenceError(input: input, outputCount: count,
            forward: { x, out in geluForward(out: out, inp: x, count: count, form: form) },
            backward: { dout, x, dx in geluBackward(dinp: dx, dout: dout, inp: x, count: count, form: form) })
        #expect(error < gradientTolerance)
    }

    /// The forward that keeps the slope for the backward gives the same activation, and a slope equal to
    /// GELU′ as the backward computes it, in both precisions.
    @Test(arguments: GELUForm.allCases)
    func forwardKeepingSlopeGivesTheActivationAndItsDerivative(form: GELUForm) {
        var out = [Float](repeating: 0, count: count), expected = out
        var slope = input.floats
        geluForwardKeepingSlope(out: &out, slopeInPlace: &slope, count: count, form: form)
        geluForward(out: &expected, inp: input.floats, count: count, form: form)
        #expect(relativeError(out.doubles, expected.doubles) < 1e-6)
        var derivative = [Float](repeating: 0, count: count)
        geluBackward(dinp: &derivative, dout: [Float](repeating: 1, count: count), inp: input.floats, count: count,
                     form: form, accumulate: false)
        #expect(relativeError(slope.doubles, derivative.doubles) < 1e-6)

        var outDouble = [Double](repeating: 0, count: count), slopeDouble = input
        geluForwardKeepingSlope(out: &outDouble, slopeInPlace: &slopeDouble, count: count, form: form)
        #expect(outDouble == input.map { gelu($0, form) })
        #expect(slopeDouble == input.map { geluDerivative($0, form) })
    }
}
