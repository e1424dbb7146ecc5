/// How a global batch is dealt to the ranks so that every rank's share costs about the same.
///
/// Units go, most costly first, to the rank whose share costs least so far (the lower rank on ties): the
/// greedy longest-processing-time rule, never worse than 4/3 of the best split. Every rank computes the same
/// deal from the same batch, so it needs no communication, and each rank keeps its units in batch order, so
/// one rank's share is the whole batch as it was. Dealing r, r+N, … instead leaves the ranks 4 % apart on
/// SST-2's global batches of 32 (13–86 rows each), and the step waits for the slowest rank.
public enum RankShares {
    /// The units of `batch` that `rank` of `ranks` computes, in batch order; `cost(unit)` > 0 estimates a
    /// unit's work (its rows).
    public static func share(of batch: [Int], rank: Int, ranks: Int, cost: (Int) -> Int) -> [Int] {
        guard ranks > 1 else { return batch }
        let costs = batch.map(cost)
        // Most costly first; equal costs keep batch order, so the deal does not depend on the sort's stability.
        let order = batch.indices.sorted { costs[$0] != costs[$1] ? costs[$0] > costs[$1] : $0 < $1 }
        var load = [Int](repeating: 0, count: ranks)
        var owner = [Int](repeating: 0, count: batch.count)
        for i in order {
            var least = 0
            for r in 1..<ranks where load[r] < load[least] { least = r }
            owner[i] = least
            load[least] += costs[i]
        }
        return batch.indices.filter { owner[$0] == rank }.map { batch[$0] }
    }
}
