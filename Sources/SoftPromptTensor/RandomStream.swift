import RealModule

/// A seeded, splittable random stream (xoshiro256**, seeded through SplitMix64).
///
/// One run seed fans out into independent streams, one per purpose and rank, so that e.g. dropout on rank 1
/// never shares numbers with data shuffling on rank 0, and each stream is reproducible on its own. The
/// derivation uses FNV-1a on the purpose string (Swift's `Hasher` is randomised per process), so the same
/// seed gives the same numbers on every machine and every run. The state is four words: checkpoints store it.
public struct RandomStream: RandomNumberGenerator, Sendable, Equatable, Codable {
    public private(set) var state: [UInt64]

    public init(seed: UInt64) {
        var mixer = seed
        state = (0..<4).map { _ in splitMix64(&mixer) }
        if state.allSatisfy({ $0 == 0 }) { state[0] = 1 }  // the one state xoshiro never leaves
    }

    /// Restores a stream from its saved `state`; nil unless it is four words, not all zero.
    public init?(state: [UInt64]) {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
        self.state = state
    }

    /// An independent stream for `purpose` (e.g. "dropout", "shuffle", "init") and `index` (e.g. the rank).
    /// Depends only on this stream's current state, not on how many numbers were drawn from the split.
    public func split(_ purpose: String, _ index: Int = 0) -> RandomStream {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in purpose.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        var mixer = state[0] ^ rotl(state[1], 17) ^ h ^ (UInt64(bitPattern: Int64(index)) &* 0x9E37_79B9_7F4A_7C15)
        return RandomStream(seed: splitMix64(&mixer) ^ state[2] ^ rotl(state[3], 41))
    }

    public mutating func next() -> UInt64 {
        let result = rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotl(state[3], 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Standard normal by Box–Muller (one of the pair is used, so the stream position stays simple).
    public mutating func nextNormal() -> Double {
        let u1 = 1 - nextUniform()  // (0, 1]: log stays finite
        let u2 = nextUniform()
        return (-2 * Double.log(u1)).squareRoot() * Double.cos(2 * Double.pi * u2)
    }

    /// Fills with U[low, high).
    public mutating func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>, low: Float, high: Float) {
        let span = Double(high - low)
        for i in buffer.indices { buffer[i] = low + Float(nextUniform() * span) }
    }

    /// Fills with N(mean, std²).
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>, mean: Float = 0, std: Float = 1) {
        for i in buffer.indices { buffer[i] = mean + std * Float(nextNormal()) }
    }

    /// Inverted dropout mask: each entry is 0 with probability `p`, else 1/(1−p), so that mask ⊙ x keeps
    /// the expectation of x. `p` must be in [0, 1).
    public mutating func fillDropoutMask<T: BinaryFloatingPoint>(_ buffer: UnsafeMutableBufferPointer<T>, p: Double) {
        precondition(p >= 0 && p < 1, "dropout probability \(p) outside [0, 1)")
        let keep = T(1 / (1 - p))
        for i in buffer.indices { buffer[i] = nextUniform() < p ? 0 : keep }
    }
}

@inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

private func splitMix64(_ x: inout UInt64) -> UInt64 {
    x &+= 0x9E37_79B9_7F4A_7C15
    var z = x
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
