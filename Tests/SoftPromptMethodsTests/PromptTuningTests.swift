import SoftPromptMethods
import SoftPromptTensor
import Testing

/// A fake vocabulary: row i of the (V,d) table is filled with the value i, so a prompt row tells which id it came from.
final class FakeVocabulary {
    let size: Int, width: Int
    let table: [Float]
    init(size: Int = 50, width: Int = 4) {
        self.size = size
        self.width = width
        table = (0..<size * width).map { Float($0 / width) }
    }

    func context(seed: UInt64 = 1, tokenize: @escaping (String) -> [Int32] = { _ in [] }) -> InitializationContext {
        table.withUnsafeBufferPointer { pointer in
            InitializationContext(embeddings: pointer.baseAddress!, vocabularySize: size, width: width,
                                  specialIds: [0, 1, 2], tokenize: tokenize, random: RandomStream(seed: seed))
        }
    }
}

@Suite struct PromptTuningTests {
    let vocabulary = FakeVocabulary()

    func initialized(_ method: PromptTuning, seed: UInt64 = 1,
                     tokenize: @escaping (String) -> [Int32] = { _ in [] }) throws -> [Float] {
        var layout = ParameterLayout()
        method.declare(in: &layout)
        var theta = [Float](repeating: .nan, count: layout.count)
        try vocabulary.table.withUnsafeBufferPointer { table in
            var context = InitializationContext(embeddings: table.baseAddress!, vocabularySize: vocabulary.size,
                                                width: vocabulary.width, specialIds: [0, 1, 2], tokenize: tokenize,
                                                random: RandomStream(seed: seed))
            try method.initialize(theta: &theta, context: &context)
        }
        return theta
    }

    @Test func theTrainableParameterIsThePromptItself() {
        let method = PromptTuning(promptLength: 3, width: 4)
        var layout = ParameterLayout()
        layout.add("something before", shape: [5], group: .head)
        method.declare(in: &layout)
        #expect(layout.count == 5 + 12 && layout.count(in: .prompt) == 12)
        let theta = (0..<17).map(Float.init)
        var prompt = [Float](repeating: 0, count: 12)
        method.materialize(theta: theta, prompt: &prompt)
        #expect(prompt == Array(theta[5...]))
        var gradient = [Float](repeating: 1, count: 17)
        method.backward(theta: theta, dPrompt: [Float](repeating: 2, count: 12), gradient: &gradient)
        #expect(gradient == [Float](repeating: 1, count: 5) + [Float](repeating: 3, count: 12))
    }

    @Test func sampledVocabularyDrawsDistinctNonSpecialRowsFromThePopulation() throws {
        let theta = try initialized(PromptTuning(promptLength: 10, width: 4, initialization: .sampledVocabulary(population: 20)))
        let ids = stride(from: 0, to: 40, by: 4).map { Int(theta[$0]) }
        #expect(Set(ids).count == 10)
        #expect(ids.allSatisfy { $0 >= 3 && $0 < 20 })
        #expect(try initialized(PromptTuning(promptLength: 10, width: 4, initialization: .sampledVocabulary(population: 20))) == theta)
        #expect(try initialized(PromptTuning(promptLength: 10, width: 4, initialization: .sampledVocabulary(population: 20)), seed: 2) != theta)
    }

    @Test func sampledVocabularyRefusesTooSmallAPopulation() {
        #expect(throws: PromptMethodError.notEnoughVocabulary(needed: 10, available: 5)) {
            try initialized(PromptTuning(promptLength: 10, width: 4, initialization: .sampledVocabulary(population: 8)))
        }
    }

    @Test func classLabelRowsAreTheMeanOfTheirPiecesAndTheRestSampled() throws {
        let pieces: [String: [Int32]] = ["negative": [10, 20], "positive": [7]]
        let theta = try initialized(PromptTuning(promptLength: 4, width: 4,
                                                 initialization: .classLabels(["negative", "positive"], population: 50)),
                                    tokenize: { pieces[$0] ?? [] })
        #expect(Array(theta[0..<4]) == [15, 15, 15, 15])
        #expect(Array(theta[4..<8]) == [7, 7, 7, 7])
        #expect(theta[8...].allSatisfy { $0 >= 3 })
    }

    @Test func textInitialisationRepeatsThePiecesCyclically() throws {
        let theta = try initialized(PromptTuning(promptLength: 5, width: 4, initialization: .text("classify this")),
                                    tokenize: { _ in [11, 12] })
        #expect(stride(from: 0, to: 20, by: 4).map { theta[$0] } == [11, 12, 11, 12, 11])
    }

    @Test func randomUniformStaysInItsRange() throws {
        let theta = try initialized(PromptTuning(promptLength: 20, width: 4, initialization: .randomUniform(range: 0.5)))
        #expect(theta.allSatisfy { $0 >= -0.5 && $0 < 0.5 })
    }

    @Test func exportedPromptIsTheMaterialisedPrompt() {
        let method = PromptTuning(promptLength: 2, width: 4)
        var layout = ParameterLayout()
        method.declare(in: &layout)
        let theta = (0..<8).map(Float.init)
        #expect(method.exportPrompt(theta: theta).toArray() == theta)
    }
}
