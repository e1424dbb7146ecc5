import SoftPromptMethods
import SoftPromptTensor
import SoftPromptTestSupport
import Testing

@Suite struct ResidualPromptTests {
    /// Φ's gradient with respect to the prompt rows and every MLP parameter, in Float64.
    @Test func reparameterisationGradientMatchesFiniteDifferences() {
        let rows = 3, d = 6, b = 5
        let blockSize = ResidualMLP<Double>.parameterCount(width: d, bottleneck: b)
        var mlp = ResidualMLP<Double>(width: d, bottleneck: b, rows: rows)
        // input = [prompt (rows,d) | block]; LayerNorm γ near 1 so the branch matters
        var input = randomValues(rows * d + blockSize, seed: 1, scale: 0.5)
        for c in 0..<d { input[rows * d + blockSize - 2 * d + c] += 1 }
        let error = finiteDifferenceError(input: input, outputCount: rows * d,
            forward: { x, out in mlp.forward(out: out, inp: x, block: x + rows * d, rows: rows) },
            backward: { dout, x, dx in
                mlp.backward(dinp: dx, dblock: dx + rows * d, dout: dout, inp: x, block: x + rows * d, rows: rows)
            })
        #expect(error < gradientTolerance)
    }

    @Test(arguments: [false, true])
    func methodGradientEqualsTheMLPsOnTheSameThetaAndPromptsDiffer(separate: Bool) throws {
        let method = ResidualPrompt(promptLength: 3, width: 6, bottleneck: 5, separateMLPs: separate,
                                    initialization: .randomUniform(range: 0.5))
        var layout = ParameterLayout()
        method.declare(in: &layout)
        var theta = [Float](repeating: 0, count: layout.count)
        let vocabulary = FakeVocabulary(size: 50, width: 6)
        try vocabulary.table.withUnsafeBufferPointer { table in
            var context = InitializationContext(embeddings: table.baseAddress!, vocabularySize: 50, width: 6,
                                                specialIds: [], tokenize: { _ in [] }, random: RandomStream(seed: 3))
            try method.initialize(theta: &theta, context: &context)
        }
        var prompt = [Float](repeating: 0, count: 18)
        method.materialize(theta: theta, prompt: &prompt)
        #expect(prompt != Array(theta[0..<18]), "Φ(P) is not P")
        // Wiring: the method's gradient equals the (finite-difference-checked) MLP run in Float64 on the same θ.
        let dPrompt = (0..<18).map { Float($0 % 5) - 2 }
        var gradient = [Float](repeating: 0, count: layout.count)
        method.backward(theta: theta, dPrompt: dPrompt, gradient: &gradient)
        let block = ResidualMLP<Double>.parameterCount(width: 6, bottleneck: 5)
        var expected = [Double](repeating: 0, count: layout.count)
        let t = theta.doubles, dp = dPrompt.doubles
        for (r, rows) in (separate ? (0..<3).map { ($0, 1) } : [(0, 3)]) {
            var mlp = ResidualMLP<Double>(width: 6, bottleneck: 5, rows: rows)
            var out = [Double](repeating: 0, count: rows * 6)
            let (p, m) = (r * 6, 18 + r * block)
            t.withUnsafeBufferPointer { tp in
                mlp.forward(out: &out, inp: tp.baseAddress! + p, block: tp.baseAddress! + m, rows: rows)
                expected.withUnsafeMutableBufferPointer { e in
                    dp.withUnsafeBufferPointer { d in
                        mlp.backward(dinp: e.baseAddress! + p, dblock: e.baseAddress! + m, dout: d.baseAddress! + p,
                                     inp: tp.baseAddress! + p, block: tp.baseAddress! + m, rows: rows)
                    }
                }
            }
        }
        #expect(relativeError(gradient.doubles, expected) < 1e-5)
    }

    /// methods.md §2b: T5-Base (d = 768), n = 10: b = 800 → 1,239,584 and b = 400 → 624,784 (shared MLP).
    @Test func trainableParameterCountsMatchThePaper() {
        for (b, expected) in [(800, 1_239_584), (400, 624_784)] {
            var layout = ParameterLayout()
            ResidualPrompt(promptLength: 10, width: 768, bottleneck: b).declare(in: &layout)
            #expect(layout.count == expected)
        }
        var separate = ParameterLayout()
        ResidualPrompt(promptLength: 10, width: 768, bottleneck: 400, separateMLPs: true).declare(in: &separate)
        #expect(separate.count == 10 * 768 + 10 * (2 * 768 * 400 + 400 + 3 * 768))
    }
}
