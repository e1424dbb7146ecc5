import SoftPromptTensor
import SoftPromptTestSupport
import Testing

@Suite struct ReLUTests {
    @Test func forwardClampsNegativesToZero() {
        var out = [Float](repeating: .nan, count: 5)
        reluForward(out: &out, inp: [-2, -0.5, 0, 0.5, 3] as [Float], count: 5)
        #expect(out == [0, 0, 0, 0.5, 3])
    }

    @Test func gradientAtZeroIsZeroAsInPyTorch() {
        var dx = [Float](repeating: 0, count: 3)
        reluBackward(dinp: &dx, dout: [1, 1, 1] as [Float], inp: [-1, 0, 1] as [Float], count: 3)
        #expect(dx == [0, 0, 1])
    }

    @Test func inputGradientMatchesFiniteDifferences() {
        // Inputs kept away from the kink at 0, where a finite difference is meaningless.
        let input = randomValues(29, seed: 6).map { $0 + ($0 < 0 ? -0.01 : 0.01) }
        let error = finiteDifferenceError(input: input, outputCount: input.count,
            forward: { x, out in reluForward(out: out, inp: x, count: input.count) },
            backward: { dout, x, dx in reluBackward(dinp: dx, dout: dout, inp: x, count: input.count) })
        #expect(error < gradientTolerance)
    }

    @Test func forwardKeepingSlopeGivesTheActivationAndAZeroOrOneSlope() {
        var out = [Float](repeating: 7, count: 4)
        var x: [Float] = [-1, 0, 0.5, 3]
        reluForwardKeepingSlope(out: &out, slopeInPlace: &x, count: 4)
        #expect(out == [0, 0, 0.5, 3])
        #expect(x == [0, 0, 1, 1])  // the derivative at 0 is 0, as in reluBackward
    }
}
