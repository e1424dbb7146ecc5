/// The deterministic reduction shared by every communicator.
public enum RankOrderSum {
    /// result[i] = Σ_r gathered[r·count + i], added in rank order in Float64 and rounded once to Float32.
    /// gathered (size, count); result (count).
    public static func reduce(_ gathered: UnsafeBufferPointer<Float>, ranks size: Int,
                              into result: UnsafeMutableBufferPointer<Float>) {
        let count = result.count
        precondition(gathered.count == size * count, "gathered \(gathered.count) ≠ \(size) × \(count)")
        guard let base = gathered.baseAddress else { return }
        for i in 0..<count {
            var sum = 0.0
            for r in 0..<size { sum += Double(base[r * count + i]) }
            result[i] = Float(sum)
        }
    }
}
