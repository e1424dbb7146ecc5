import SoftPromptTensor
import SoftPromptTestSupport
import Testing

@Suite struct RandomStreamTests {
    @Test func sameSeedGivesSameNumbers() {
        var a = RandomStream(seed: 42), b = RandomStream(seed: 42)
        #expect((0..<100).map { _ in a.next() } == (0..<100).map { _ in b.next() })
    }

    @Test func splitsByPurposeAndRankAreDistinctAndReproducible() {
        let root = RandomStream(seed: 42)
        var streams = [root.split("dropout", 0), root.split("dropout", 1), root.split("shuffle", 0)]
        let firsts = (0..<3).map { streams[$0].next() }
        #expect(Set(firsts).count == 3)
        var again = root.split("dropout", 1)
        #expect(again.next() == firsts[1])
    }

    @Test func stateRoundTripsForCheckpoints() {
        var a = RandomStream(seed: 9)
        _ = (0..<10).map { _ in a.next() }
        var b = RandomStream(state: a.state)!
        #expect(a.next() == b.next())
        #expect(RandomStream(state: [0, 0, 0, 0]) == nil)
    }

    @Test func uniformAndNormalHaveTheRightMoments() {
        var rng = RandomStream(seed: 1)
        let n = 200_000
        var buffer = [Float](repeating: 0, count: n)
        buffer.withUnsafeMutableBufferPointer { rng.fillUniform($0, low: -0.5, high: 0.5) }
        #expect(buffer.allSatisfy { $0 >= -0.5 && $0 < 0.5 })
        #expect(abs(buffer.reduce(0, +) / Float(n)) < 0.005)
        buffer.withUnsafeMutableBufferPointer { rng.fillNormal($0, mean: 1, std: 2) }
        let mean = buffer.reduce(0, +) / Float(n)
        let variance = buffer.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(n)
        #expect(abs(mean - 1) < 0.02)
        #expect(abs(variance - 4) < 0.06)
    }

    @Test func dropoutMaskKeepsTheExpectation() {
        var rng = RandomStream(seed: 3)
        var mask = [Float](repeating: 0, count: 100_000)
        mask.withUnsafeMutableBufferPointer { rng.fillDropoutMask($0, p: 0.1) }
        #expect(Set(mask) == [0, Float(1) / Float(0.9)])
        let dropped = Double(mask.filter { $0 == 0 }.count) / Double(mask.count)
        #expect(abs(dropped - 0.1) < 0.005)
        #expect(abs(mask.reduce(0, +) / Float(mask.count) - 1) < 0.01)
    }
}
