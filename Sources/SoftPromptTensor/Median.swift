/// The median of `values`: the middle one, or the mean of the two middle ones for an even count; 0 when empty.
public func median(_ values: [Double]) -> Double {
    let sorted = values.sorted(), middle = sorted.count / 2
    if sorted.isEmpty { return 0 }
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
