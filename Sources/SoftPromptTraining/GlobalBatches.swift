import SoftPromptTensor

/// The global batches of a run: consecutive slices of seeded per-epoch permutations of the training units, the
/// same on every rank and the same as `PromptTrainer`'s for the same seed, so a task's data order does not depend
/// on the backbone or on the number of ranks.
struct GlobalBatches {
    let seed: UInt64
    let batchSize: Int
    let units: Int
    private var cached: (epoch: Int, order: [Int])?

    init(seed: UInt64, batchSize: Int, units: Int) {
        self.seed = seed
        self.batchSize = batchSize
        self.units = units
    }

    /// Unit positions of global batch `k`.
    mutating func batch(_ k: Int) -> [Int] {
        (k * batchSize..<(k + 1) * batchSize).map { position in
            order(epoch: position / units)[position % units]
        }
    }

    private mutating func order(epoch: Int) -> [Int] {
        if let cached, cached.epoch == epoch { return cached.order }
        var random = RandomStream(seed: seed).split("shuffle", epoch)
        var order = Array(0..<units)
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(random.next() % UInt64(i + 1)))
        }
        cached = (epoch, order)
        return order
    }
}
