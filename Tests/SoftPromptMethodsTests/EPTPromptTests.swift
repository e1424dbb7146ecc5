import SoftPromptMethods
import SoftPromptTensor
import SoftPromptTestSupport
import Testing

@Suite struct EPTPromptTests {
    /// Fusion, projections and gate together, against central differences in Float64.
    @Test func fusedProjectionGradientMatchesFiniteDifferences() {
        let (m, d, r, k, q) = (3, 5, 2, 3, 2)
        // input = [P_s (m,d) | B (r,d) | U (k,d,q) | V (k,q,d) | G (k,d) | b_g (k)]
        let sizes = [m * d, r * d, k * d * q, k * q * d, k * d, k]
        let starts = sizes.indices.map { sizes[0..<$0].reduce(0, +) }
        var projection = FusedProjection<Double>(rows: m, width: d, rank: r, subspaces: k, subspaceRank: q)
        func weights(_ x: UnsafePointer<Double>) -> FusedProjection<Double>.Weights {
            .init(prompt: x + starts[0], b: x + starts[1], u: x + starts[2], v: x + starts[3], g: x + starts[4], gBias: x + starts[5])
        }
        let error = finiteDifferenceError(input: randomValues(sizes.reduce(0, +), seed: 3), outputCount: m * d,
            forward: { x, out in projection.forward(out: out, weights: weights(x)) },
            backward: { dout, x, dx in
                projection.backward(dOut: dout, weights: weights(x),
                                    gradients: .init(prompt: dx + starts[0], b: dx + starts[1], u: dx + starts[2],
                                                     v: dx + starts[3], g: dx + starts[4], gBias: dx + starts[5]))
            })
        #expect(error < gradientTolerance)
    }

    @Test func atInitialisationThePromptIsTheFusedPrompt() throws {
        let method = EPTPrompt(promptLength: 2, width: 4, maxLength: 6, rank: 2, subspaces: 2, subspaceRank: 2)
        var layout = ParameterLayout()
        method.declare(in: &layout)
        var theta = [Float](repeating: .nan, count: layout.count)
        let table = (0..<40).map { Float($0 % 7) / 7 }
        try table.withUnsafeBufferPointer { t in
            var context = InitializationContext(embeddings: t.baseAddress!, vocabularySize: 10, width: 4, specialIds: [],
                                                tokenize: { _ in [3, 4] }, random: RandomStream(seed: 1))
            try method.prepare(context: context)
            try method.initialize(theta: &theta, context: &context)
        }
        var prompt = [Float](repeating: 0, count: 8)
        method.materialize(theta: theta, prompt: &prompt)
        // B = 0 and V = 0 at the start: no fusion contribution, no projection: P = P_s.
        #expect(prompt == Array(theta[0..<8]))
    }
}
