import SoftPromptTensor
import SoftPromptTestSupport
import Testing

@Suite struct MeanPoolingTests {
    let batch = 3, length = 5, width = 7
    // Row 0 all real, row 1 padded after 2, row 2 selects only non-prompt positions 2…4.
    let mask: [Int32] = [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1]

    @Test func averagesOnlyTheSelectedPositions() {
        let x = randomValues(batch * length * width, seed: 1)
        var out = [Double](repeating: .nan, count: batch * width)
        meanPoolForward(out: &out, inp: x, mask: mask, batch: batch, length: length, width: width)
        for c in 0..<width {
            let expected = (x[(1 * length + 0) * width + c] + x[(1 * length + 1) * width + c]) / 2
            #expect(abs(out[1 * width + c] - expected) < 1e-15)
        }
    }

    @Test func rowWithNothingSelectedGivesZeros() {
        var out = [Float](repeating: .nan, count: 2)
        meanPoolForward(out: &out, inp: [1, 2, 3, 4] as [Float], mask: [0, 0], batch: 1, length: 2, width: 2)
        #expect(out == [0, 0])
    }

    @Test func inputGradientMatchesFiniteDifferences() {
        let (batch, length, width, mask) = (batch, length, width, mask)
        let error = finiteDifferenceError(input: randomValues(batch * length * width, seed: 2), outputCount: batch * width,
            forward: { x, out in meanPoolForward(out: out, inp: x, mask: mask, batch: batch, length: length, width: width) },
            backward: { dout, _, dx in
                meanPoolBackward(dinp: dx, dout: dout, mask: mask, batch: batch, length: length, width: width)
            })
        #expect(error < gradientTolerance)
    }
}
