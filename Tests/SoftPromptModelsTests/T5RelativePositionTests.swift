import Foundation
import SoftPromptCheckpoint
import SoftPromptModels
import Testing

@Suite struct T5RelativePositionTests {
    /// transformers' T5Attention._relative_position_bucket for relative positions −300…300, both directions,
    /// for the fixtures' (8 buckets, distance 16) and T5's own (32, 128): far beyond max_distance both ways.
    @Test(arguments: [(8, 16), (32, 128)])
    func bucketsMatchTransformers(buckets: Int, maxDistance: Int) throws {
        let file = try SafetensorsFile(url: fixture("t5_relative_position_reference.safetensors"))
        let positions: [Float] = try file.tensor("relative_position").toArray()
        #expect(positions.first == -300 && positions.last == 300)
        for bidirectional in [true, false] {
            let name = "\(bidirectional ? "bidirectional" : "unidirectional")_\(buckets)_\(maxDistance)"
            let expected: [Float] = try file.tensor(name).toArray()
            let mismatches = zip(positions, expected).filter { position, bucket in
                T5RelativePosition.bucket(Int(position), bidirectional: bidirectional, buckets: buckets,
                                          maxDistance: maxDistance) != Int(bucket)
            }
            #expect(mismatches.isEmpty, "\(name): (position, expected bucket) \(mismatches.prefix(5))")
        }
    }

    @Test func distancesBeyondTheMaximumShareTheLastBucketOfTheirDirection() {
        func bucket(_ r: Int, _ bidirectional: Bool) -> Int {
            T5RelativePosition.bucket(r, bidirectional: bidirectional, buckets: 32, maxDistance: 128)
        }
        #expect(bucket(128, true) == 31 && bucket(5000, true) == 31)
        #expect(bucket(-128, true) == 15 && bucket(-5000, true) == 15)
        #expect(bucket(-5000, false) == 31 && bucket(7, false) == 0)  // the causal decoder never looks ahead
    }
}
