import SoftPromptMethods
import SoftPromptTensor
import Testing

@Suite struct SuperPosPromptTests {
    let vocabulary = FakeVocabulary(size: 40, width: 3)

    func prepared(_ method: SuperPosPrompt, seed: UInt64 = 1) throws -> [Float] {
        var layout = ParameterLayout()
        method.declare(in: &layout)
        var theta = [Float](repeating: .nan, count: layout.count)
        try vocabulary.table.withUnsafeBufferPointer { table in
            var context = InitializationContext(embeddings: table.baseAddress!, vocabularySize: 40, width: 3,
                                                specialIds: [0, 1, 2], tokenize: { _ in [] }, random: RandomStream(seed: seed))
            try method.prepare(context: context)
            try method.initialize(theta: &theta, context: &context)
        }
        return theta
    }

    @Test func promptTokenIStartsAsSampledTokenI() throws {
        let method = SuperPosPrompt(promptLength: 4, width: 3, tokens: 6)
        let theta = try prepared(method)
        var prompt = [Float](repeating: 0, count: 12)
        method.materialize(theta: theta, prompt: &prompt)
        #expect(prompt == method.sampledIds.prefix(4).flatMap { id in [Float](repeating: Float(id), count: 3) })
        #expect(Set(method.sampledIds).count == 6 && method.sampledIds.allSatisfy { $0 > 2 })
    }

    @Test func theSampledTokensDependOnlyOnTheSeed() throws {
        let a = SuperPosPrompt(promptLength: 2, width: 3, tokens: 8), b = SuperPosPrompt(promptLength: 2, width: 3, tokens: 8)
        _ = try prepared(a, seed: 4)
        _ = try prepared(b, seed: 4)
        #expect(a.sampledIds == b.sampledIds)
    }

    /// P is bilinear in (W, ΔE): with small integers a central difference of step 1 is exact in Float32.
    @Test(arguments: [true, false])
    func gradientMatchesExactCentralDifferences(delta: Bool) throws {
        let method = SuperPosPrompt(promptLength: 3, width: 3, tokens: 5, delta: delta)
        var theta = try prepared(method)
        for i in theta.indices { theta[i] = Float((i * 7) % 5) - 2 }
        let dPrompt: [Float] = [1, -2, 0, 3, 1, -1, 2, 2, -3]
        func loss(_ t: [Float]) -> Float {
            var p = [Float](repeating: 0, count: 9)
            method.materialize(theta: t, prompt: &p)
            return zip(p, dPrompt).reduce(0) { $0 + $1.0 * $1.1 }
        }
        _ = loss(theta)
        var gradient = [Float](repeating: 0, count: theta.count)
        method.backward(theta: theta, dPrompt: dPrompt, gradient: &gradient)
        for i in theta.indices {
            var plus = theta, minus = theta
            plus[i] += 1
            minus[i] -= 1
            #expect((loss(plus) - loss(minus)) / 2 == gradient[i], "θ[\(i)]")
        }
    }

    /// methods.md §4b: n = 10, m = 128, d = 768 → 1,280 + 98,304 = 99,584.
    @Test func trainableParameterCountsMatchTheFormula() {
        var layout = ParameterLayout()
        SuperPosPrompt(promptLength: 10, width: 768, tokens: 128).declare(in: &layout)
        #expect(layout.count == 99_584)
        var withoutDelta = ParameterLayout()
        SuperPosPrompt(promptLength: 10, width: 768, tokens: 128, delta: false).declare(in: &withoutDelta)
        #expect(withoutDelta.count == 1_280)
    }
}
