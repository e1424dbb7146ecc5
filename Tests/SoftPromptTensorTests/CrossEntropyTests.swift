import Foundation
import SoftPromptTensor
import SoftPromptTestSupport
import Testing

@Suite struct CrossEntropyTests {
    let rows = 6
    let classes = 11
    let targets: [Int32] = [3, crossEntropyIgnoreIndex, 0, 10, crossEntropyIgnoreIndex, 5]
    var logits: [Double] { randomValues(rows * classes, seed: 8, scale: 2) }

    @Test func lossIsTheMeanNegativeLogLikelihoodOverRowsThatCount() {
        var probs = [Float](repeating: 0, count: rows * classes)
        let (loss, counted) = crossEntropyForward(probs: &probs, logits: logits.floats, targets: targets,
                                                  rows: rows, classes: classes)
        var expected = 0.0
        for r in 0..<rows where targets[r] != crossEntropyIgnoreIndex {
            let row = logits[r * classes..<(r + 1) * classes]
            expected += log(row.reduce(0) { $0 + exp($1) }) - logits[r * classes + Int(targets[r])]
        }
        #expect(counted == 4)
        #expect(abs(Double(loss) - expected / 4) < 1e-5)
    }

    @Test func allRowsIgnoredGivesZeroLossAndNoGradient() {
        var probs = [Float](repeating: 0, count: 2 * 3)
        let ignored = [crossEntropyIgnoreIndex, crossEntropyIgnoreIndex]
        let (loss, counted) = crossEntropyForward(probs: &probs, logits: [1, 2, 3, 4, 5, 6] as [Float],
                                                  targets: ignored, rows: 2, classes: 3)
        var dlogits = [Float](repeating: 0, count: 6)
        crossEntropyBackward(dlogits: &dlogits, probs: probs, targets: ignored, rows: 2, classes: 3, counted: counted)
        #expect(loss == 0 && counted == 0)
        #expect(dlogits.allSatisfy { $0 == 0 })
    }

    @Test func logitsGradientMatchesFiniteDifferences() {
        let (rows, classes, targets) = (rows, classes, targets)
        var probs = [Double](repeating: 0, count: rows * classes)
        var counted = 0
        // The loss is a scalar: its one output carries the random weight as dloss.
        let error = finiteDifferenceError(input: logits, outputCount: 1,
            forward: { x, out in
                let result = crossEntropyForward(probs: &probs, logits: x, targets: targets, rows: rows, classes: classes)
                out[0] = result.loss
                counted = result.counted
            },
            backward: { dout, _, dx in
                crossEntropyBackward(dlogits: dx, probs: probs, targets: targets, rows: rows, classes: classes,
                                     counted: counted, dloss: dout[0])
            })
        #expect(error < gradientTolerance)
    }
}
