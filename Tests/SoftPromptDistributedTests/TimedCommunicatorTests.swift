import Foundation
import SoftPromptDistributed
import SoftPromptTestSupport
import Testing

@Suite struct TimedCommunicatorTests {
    @Test func collectivesPassThroughUnchanged() throws {
        let results = try runRanks(2) { c -> [Float] in
            let timed = TimedCommunicator(c)
            #expect(timed.rank == c.rank && timed.size == 2)
            var buffer: [Float] = [Float(c.rank + 1), 0.5]
            try buffer.withUnsafeMutableBufferPointer { try timed.allreduceSum($0) }
            var root: [Float] = [Float(10 * (c.rank + 1))]
            try root.withUnsafeMutableBufferPointer { try timed.broadcast($0, root: 1) }
            try timed.barrier()
            return buffer + root
        }
        #expect(results == [[3, 1, 20], [3, 1, 20]])
    }

    @Test func theEarlyRankCountsItsWaitForTheLateOne() throws {
        let seconds = try runRanks(2) { c -> Double in
            let timed = TimedCommunicator(c)
            if c.rank == 1 { Thread.sleep(forTimeInterval: 0.3) }
            var buffer: [Float] = [1]
            try buffer.withUnsafeMutableBufferPointer { try timed.allreduceSum($0) }
            return timed.seconds
        }
        #expect(seconds[0] > 0.1, "rank 0 entered the allreduce about 0.3 s before rank 1 and waited there")
        #expect(seconds[1] < seconds[0])
    }
}
