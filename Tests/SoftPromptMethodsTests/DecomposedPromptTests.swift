import SoftPromptMethods
import SoftPromptTensor
import Testing

@Suite struct DecomposedPromptTests {
    /// methods.md §3b: s = 256, d = 768: m = 60/r = 30, m = 40/r = 45 and m = 80/r = 15 all give 76,800.
    @Test(arguments: [(60, 30), (40, 45), (80, 15)])
    func trainableParameterCountsMatchThePaper(m: Int, r: Int) {
        var layout = ParameterLayout()
        DecomposedPrompt(promptLength: m, width: 768, maxLength: 256, rank: r).declare(in: &layout)
        #expect(layout.count == 76_800)
        #expect(layout.count(in: .lowRank) == 256 * r + r * 768)
    }

    func method(theta: inout [Float]) -> DecomposedPrompt {
        let method = DecomposedPrompt(promptLength: 2, width: 3, maxLength: 5, rank: 4)
        var layout = ParameterLayout()
        method.declare(in: &layout)
        theta = (0..<layout.count).map { Float(($0 * 5) % 7) / 7 - 0.4 }
        return method
    }

    @Test func theOffsetIsAddedPositionWiseToTheFirstLRows() {
        var theta: [Float] = []
        let method = method(theta: &theta)
        // two examples of length 3, rows 4 apart (as if a prompt of 1 row sat before each)
        var embeddings = [Float](repeating: 1, count: 2 * 4 * 3)
        method.applyInputOffset(theta: theta, embeddings: &embeddings, batch: 2, length: 3, rowStride: 12, training: true)
        let a = Array(theta[6..<26]), b = Array(theta[26..<38])  // A (5,4), B (4,3)
        for j in 0..<3 {
            for c in 0..<3 {
                let expected = 1 + method.scale * (0..<4).reduce(0) { $0 + a[j * 4 + $1] * b[$1 * 3 + c] }
                #expect(abs(embeddings[j * 3 + c] - expected) < 1e-6)
                #expect(abs(embeddings[12 + j * 3 + c] - expected) < 1e-6)
            }
        }
        #expect(embeddings[9..<12].allSatisfy { $0 == 1 }, "the row after the input is untouched")
    }

    @Test func offsetGradientMatchesCentralDifferences() {
        var theta: [Float] = []
        let method = method(theta: &theta)
        let dEmbeddings = (0..<24).map { Float(($0 * 3) % 5) - 2 }
        func loss(_ t: [Float]) -> Double {
            var e = [Float](repeating: 0, count: 24)
            method.applyInputOffset(theta: t, embeddings: &e, batch: 2, length: 3, rowStride: 12, training: true)
            return zip(e, dEmbeddings).reduce(0) { $0 + Double($1.0 * $1.1) }
        }
        _ = loss(theta)
        var gradient = [Float](repeating: 0, count: theta.count)
        method.inputOffsetBackward(theta: theta, dEmbeddings: dEmbeddings, batch: 2, length: 3, rowStride: 12, gradient: &gradient)
        for i in 6..<theta.count {
            var plus = theta, minus = theta
            plus[i] += 1e-2
            minus[i] -= 1e-2
            let numeric = (loss(plus) - loss(minus)) / 2e-2  // bilinear: the difference is exact up to rounding
            #expect(abs(numeric - Double(gradient[i])) < 1e-3, "θ[\(i)]")
        }
        #expect(gradient[(6 + 3 * 4)..<(6 + 5 * 4)].allSatisfy { $0 == 0 }, "rows of A past L get no gradient")
    }
}
