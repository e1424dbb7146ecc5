import Foundation
import SoftPromptTensor
import SoftPromptTestSupport
import Testing

@Suite struct SoftmaxTests {
    let rows = 5
    let cols = 9
    var input: [Double] { randomValues(rows * cols, seed: 4, scale: 3) }

    @Test func forwardMatchesNaiveReferenceAndRowsSumToOne() {
        var out = [Float](repeating: 0, count: rows * cols)
        softmaxForward(out: &out, inp: input.floats, rows: rows, cols: cols)
        var expected = input
        for r in 0..<rows {
            let row = input[r * cols..<(r + 1) * cols]
            let sum = row.reduce(0) { $0 + exp($1) }
            for c in 0..<cols { expected[r * cols + c] = exp(input[r * cols + c]) / sum }
            #expect(abs(out[r * cols..<(r + 1) * cols].reduce(0, +) - 1) < 1e-6)
        }
        #expect(relativeError(out.doubles, expected) < 1e-6)
    }

    @Test func hugeLogitsDoNotOverflow() {
        var out = [Float](repeating: 0, count: 3)
        softmaxForward(out: &out, inp: [1000, 1001, -1000] as [Float], rows: 1, cols: 3)
        #expect(out.allSatisfy { $0.isFinite })
        #expect(abs(out[1] - 0.7310586) < 1e-6)
    }

    @Test func fullyMaskedRowGivesZerosNotNaN() {
        var out = [Float](repeating: .nan, count: 4)
        softmaxForward(out: &out, inp: [Float](repeating: -.infinity, count: 4), rows: 1, cols: 4)
        #expect(out == [0, 0, 0, 0])
    }

    @Test func inputGradientMatchesFiniteDifferences() {
        let (rows, cols) = (rows, cols)
        var cached = [Double](repeating: 0, count: rows * cols)
        let error = finiteDifferenceError(input: input, outputCount: rows * cols,
            forward: { x, out in
                softmaxForward(out: out, inp: x, rows: rows, cols: cols)
                cached = Array(UnsafeBufferPointer(start: out, count: rows * cols))
            },
            backward: { dout, _, dx in softmaxBackward(dinp: dx, dout: dout, out: cached, rows: rows, cols: cols) })
        #expect(error < gradientTolerance)
    }
}

