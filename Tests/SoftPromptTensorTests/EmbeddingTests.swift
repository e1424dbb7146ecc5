import SoftPromptTensor
import SoftPromptTestSupport
import Testing

@Suite struct EmbeddingTests {
    let vocabulary = 11
    let width = 5
    let ids: [Int32] = [3, 0, 10, 3, 7, 3]  // repeats must accumulate in the backward

    @Test func forwardCopiesTheRowsOfTheIds() {
        let table = randomValues(vocabulary * width, seed: 1).floats
        var out = [Float](repeating: .nan, count: ids.count * width)
        embeddingForward(out: &out, ids: ids, table: table, rows: ids.count, width: width)
        for (r, id) in ids.enumerated() {
            #expect(Array(out[r * width..<(r + 1) * width]) == Array(table[Int(id) * width..<(Int(id) + 1) * width]))
        }
    }

    @Test func tableGradientMatchesFiniteDifferences() {
        let ids = self.ids, width = self.width
        let error = finiteDifferenceError(input: randomValues(vocabulary * width, seed: 1),
                                          outputCount: ids.count * width,
            forward: { table, out in embeddingForward(out: out, ids: ids, table: table, rows: ids.count, width: width) },
            backward: { dout, _, dtable in
                embeddingBackward(dtable: dtable, dout: dout, ids: ids, rows: ids.count, width: width)
            })
        #expect(error < gradientTolerance)
    }
}
