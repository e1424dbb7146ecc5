import SoftPromptTensor
import SoftPromptTraining
import Testing

@Suite struct RankSharesTests {
    @Test func oneRankComputesTheWholeBatchInItsOrder() {
        let batch = [7, 3, 9, 1]
        #expect(RankShares.share(of: batch, rank: 0, ranks: 1) { $0 } == batch)
    }

    @Test func theSharesPartitionTheBatchAndKeepBatchOrder() {
        let batch = [5, 0, 8, 2, 6, 4, 1]
        let shares = (0..<3).map { RankShares.share(of: batch, rank: $0, ranks: 3) { 10 + $0 % 4 } }
        #expect(shares.flatMap { $0 }.sorted() == batch.sorted())
        for share in shares {
            let positions = share.map { batch.firstIndex(of: $0)! }
            #expect(positions == positions.sorted(), "a share keeps the batch's order")
        }
    }

    @Test func costlyUnitsGoFirstToTheLeastLoadedRankAndTiesToTheLowerRank() {
        // Costs 10, 9, 8, 1, 1, 1: 10 → rank 0, 9 → rank 1, 8 → rank 1 (9 < 10), then the 1s to rank 0.
        let cost = [10, 9, 8, 1, 1, 1]
        #expect(RankShares.share(of: [0, 1, 2, 3, 4, 5], rank: 0, ranks: 2) { cost[$0] } == [0, 3, 4, 5])
        #expect(RankShares.share(of: [0, 1, 2, 3, 4, 5], rank: 1, ranks: 2) { cost[$0] } == [1, 2])
        // Equal costs alternate, starting with rank 0.
        #expect(RankShares.share(of: [4, 2, 6, 0], rank: 0, ranks: 2) { _ in 3 } == [4, 6])
    }

    /// Greedy dealing of most costly first leaves no rank more than one unit above the mean load, which is
    /// what matters when every rank waits for the slowest: round-robin dealing has no such bound.
    @Test(arguments: [2, 3, 4])
    func noRankCarriesMoreThanTheMeanPlusOneUnit(ranks: Int) {
        var random = RandomStream(seed: 11)
        for _ in 0..<200 {
            let rows = (0..<32).map { _ in 22 + Int(random.next() % 66) }  // SST-2-like: 20 prompt + 2…67 text rows
            let loads = (0..<ranks).map { r in
                RankShares.share(of: Array(0..<32), rank: r, ranks: ranks) { rows[$0] }.reduce(0) { $0 + rows[$1] }
            }
            #expect(loads.reduce(0, +) == rows.reduce(0, +))
            #expect(Double(loads.max()!) <= Double(rows.reduce(0, +)) / Double(ranks) + Double(rows.max()!))
        }
    }
}
