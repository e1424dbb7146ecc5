import Foundation
import SoftPromptDistributed
import SoftPromptTestSupport
import Testing

@Suite struct CommunicatorTests {
    /// Values chosen so that Float32 addition in a different order would round differently.
    static func contribution(rank: Int, count: Int) -> [Float] {
        (0..<count).map { i in Float(rank + 1) * 0.1 + Float(i) * 1e-7 + (rank == 1 ? 1e7 : 0) }
    }

    @Test func allreduceGivesEveryRankTheRankOrderFloat64Sum() throws {
        let (size, count) = (3, 37)
        let results = try runRanks(size) { c -> [Float] in
            var buffer = Self.contribution(rank: c.rank, count: count)
            try buffer.withUnsafeMutableBufferPointer { try c.allreduceSum($0) }
            return buffer
        }
        let expected = (0..<count).map { i in
            Float((0..<size).reduce(0.0) { $0 + Double(Self.contribution(rank: $1, count: count)[i]) })
        }
        for r in 0..<size { #expect(results[r].map(\.bitPattern) == expected.map(\.bitPattern)) }
    }

    @Test func repeatedAllreducesDoNotMixRounds() throws {
        let results = try runRanks(2) { c -> [Float] in
            var sums: [Float] = []
            for round in 0..<50 {
                var buffer: [Float] = [Float(round * (c.rank + 1))]
                try buffer.withUnsafeMutableBufferPointer { try c.allreduceSum($0) }
                sums.append(buffer[0])
            }
            return sums
        }
        #expect(results[0] == (0..<50).map { Float($0 * 3) })
        #expect(results[1] == results[0])
    }

    @Test func broadcastCopiesTheRootsBuffer() throws {
        let results = try runRanks(3) { c -> [Float] in
            var buffer: [Float] = c.rank == 2 ? [4, 5, 6] : [0, 0, 0]
            try buffer.withUnsafeMutableBufferPointer { try c.broadcast($0, root: 2) }
            return buffer
        }
        #expect(results == Array(repeating: [4, 5, 6], count: 3))
    }

    @Test func mismatchedBufferSizesAreAnErrorOnEveryRank() throws {
        let results = try runRanks(2) { c -> String in
            var buffer = [Float](repeating: 1, count: c.rank == 0 ? 3 : 4)
            do {
                try buffer.withUnsafeMutableBufferPointer { try c.allreduceSum($0) }
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(results.allSatisfy { $0.contains("expected") })
    }

    @Test func singleProcessAllreduceLeavesTheBufferAlone() throws {
        var buffer: [Float] = [1, 2, 3]
        try buffer.withUnsafeMutableBufferPointer { try SingleProcessCommunicator().allreduceSum($0) }
        #expect(buffer == [1, 2, 3])
    }
}
