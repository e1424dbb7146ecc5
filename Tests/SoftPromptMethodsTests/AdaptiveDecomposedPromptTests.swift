import SoftPromptMethods
import SoftPromptTensor
import Testing

@Suite struct AdaptiveDecomposedPromptTests {
    /// methods.md §3b: m = 60, r = 19, d = 768 → 76,051 parameters.
    @Test func trainableParameterCountMatchesThePaper() {
        var layout = ParameterLayout()
        AdaptiveDecomposedPrompt(promptLength: 60, width: 768, rank: 19).declare(in: &layout)
        #expect(layout.count == 76_051)
    }

    func prepared(dropout: Double) throws -> (AdaptiveDecomposedPrompt, [Float]) {
        let method = AdaptiveDecomposedPrompt(promptLength: 2, width: 4, rank: 3, dropout: dropout)
        var layout = ParameterLayout()
        method.declare(in: &layout)
        let table = [Float](repeating: 0.5, count: 40)
        try table.withUnsafeBufferPointer { t in
            try method.prepare(context: InitializationContext(embeddings: t.baseAddress!, vocabularySize: 10, width: 4,
                                                              specialIds: [], tokenize: { _ in [] }, random: RandomStream(seed: 1)))
        }
        // Non-zero B, a, b so every path of the FFN carries gradient.
        let theta: [Float] = (0..<layout.count).map { i -> Float in Float((i * 7) % 11) / 11 - 0.45 }
        return (method, theta)
    }

    @Test(arguments: [0.0, 0.3])
    func offsetGradientMatchesCentralDifferences(dropout: Double) throws {
        let (method, theta) = try prepared(dropout: dropout)
        let base: [Float] = (0..<24).map { i -> Float in Float((i * 5) % 9) / 9 - 0.5 }  // 2 examples × 3 rows, stride 12
        let dEmbeddings: [Float] = (0..<24).map { i -> Float in Float((i * 3) % 7) / 7 - 0.4 }
        let seed = RandomStream(seed: 9)
        func loss(_ t: [Float]) throws -> Double {
            // the same dropout mask on every evaluation
            let table = [Float](repeating: 0, count: 40)
            try table.withUnsafeBufferPointer { p in
                try method.prepare(context: InitializationContext(embeddings: p.baseAddress!, vocabularySize: 10, width: 4,
                                                                  specialIds: [], tokenize: { _ in [] }, random: seed))
            }
            var e = base
            method.applyInputOffset(theta: t, embeddings: &e, batch: 2, length: 3, rowStride: 12, training: true)
            return zip(e, dEmbeddings).reduce(0) { $0 + Double($1.0 * $1.1) }
        }
        _ = try loss(theta)
        var gradient = [Float](repeating: 0, count: theta.count)
        method.inputOffsetBackward(theta: theta, dEmbeddings: dEmbeddings, batch: 2, length: 3, rowStride: 12, gradient: &gradient)
        for i in 8..<theta.count {
            var plus = theta, minus = theta
            plus[i] += 1e-3
            minus[i] -= 1e-3
            let numeric = (try loss(plus) - loss(minus)) / 2e-3
            #expect(abs(numeric - Double(gradient[i])) < 2e-3, "θ[\(i)]: \(numeric) vs \(gradient[i])")
        }
    }

    @Test func theOffsetStartsAtZero() throws {
        let method = AdaptiveDecomposedPrompt(promptLength: 2, width: 4, rank: 3)
        var layout = ParameterLayout()
        method.declare(in: &layout)
        var theta = [Float](repeating: .nan, count: layout.count)
        let table = (0..<40).map(Float.init)
        try table.withUnsafeBufferPointer { t in
            var context = InitializationContext(embeddings: t.baseAddress!, vocabularySize: 10, width: 4, specialIds: [],
                                                tokenize: { _ in [3, 4] }, random: RandomStream(seed: 1))
            try method.prepare(context: context)
            try method.initialize(theta: &theta, context: &context)
        }
        var embeddings: [Float] = [1, 2, 3, 4]
        method.applyInputOffset(theta: theta, embeddings: &embeddings, batch: 1, length: 1, rowStride: 4, training: true)
        #expect(embeddings == [1, 2, 3, 4])
    }
}
