/// Correlations of predicted scores with targets (STS-B), as scipy's `pearsonr` and `spearmanr`.
///
/// Where the coefficient is undefined (fewer than two pairs, a constant side, a non-finite value) the result is 0,
/// not NaN, as DePT's metric code does; a model whose outputs are all equal therefore scores 0.
extension TaskMetrics {
    public static func pearsonCorrelation(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == y.count, "\(x.count) predictions for \(y.count) targets")
        guard x.count >= 2, x.allSatisfy(\.isFinite), y.allSatisfy(\.isFinite) else { return 0 }
        let n = Double(x.count)
        let meanX = x.reduce(0, +) / n, meanY = y.reduce(0, +) / n
        var sxx = 0.0, syy = 0.0, sxy = 0.0
        for (a, b) in zip(x, y) {
            let dx = a - meanX, dy = b - meanY
            sxx += dx * dx
            syy += dy * dy
            sxy += dx * dy
        }
        guard sxx > 0, syy > 0 else { return 0 }
        return min(1, max(-1, sxy / (sxx * syy).squareRoot()))
    }

    /// Pearson correlation of the ranks, tied values sharing their average rank.
    public static func spearmanCorrelation(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == y.count, "\(x.count) predictions for \(y.count) targets")
        guard x.allSatisfy(\.isFinite), y.allSatisfy(\.isFinite) else { return 0 }
        return pearsonCorrelation(averageRanks(x), averageRanks(y))
    }

    /// Ranks from 1; a run of equal values gets the mean of the ranks it spans (scipy's `rankdata(method="average")`).
    public static func averageRanks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count, values[order[end]] == values[order[start]] { end += 1 }
            let rank = Double(start + 1 + end) / 2  // mean of start+1 … end
            for k in start..<end { ranks[order[k]] = rank }
            start = end
        }
        return ranks
    }
}
