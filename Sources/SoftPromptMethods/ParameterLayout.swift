/// Which learning-rate group a trainable tensor belongs to (DePT trains its prompt and its low-rank pair
/// with different rates; the task head has its own).
public enum ParameterGroup: String, Sendable, Codable, CaseIterable {
    case prompt
    case lowRank = "low_rank"
    case head
}

/// One trainable tensor: a named view into the flat θ buffer.
public struct ParameterSpec: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public let group: ParameterGroup
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
    public var range: Range<Int> { offset..<offset + count }
}

/// All trainable tensors of a run, packed one after another into one Float32 buffer θ, so the communicator and
/// the optimizer see a single buffer (DESIGN.md §4).
public struct ParameterLayout: Sendable, Equatable {
    public private(set) var specs: [ParameterSpec] = []
    public private(set) var count = 0

    public init() {}

    /// Appends a tensor and returns its spec (its offset into θ).
    @discardableResult
    public mutating func add(_ name: String, shape: [Int], group: ParameterGroup) -> ParameterSpec {
        precondition(!specs.contains { $0.name == name }, "parameter \(name) declared twice")
        let spec = ParameterSpec(name: name, shape: shape, group: group, offset: count)
        specs.append(spec)
        count += spec.count
        return spec
    }

    public subscript(name: String) -> ParameterSpec? { specs.first { $0.name == name } }

    /// Parameters per group, for the report and the optimizer.
    public func count(in group: ParameterGroup) -> Int {
        specs.filter { $0.group == group }.reduce(0) { $0 + $1.count }
    }

    /// Writes tensor `name`'s entries of θ (e.g. from an exported adapter); false when the layout has no such
    /// tensor or its size differs.
    public func set(_ name: String, values: [Float], in theta: inout [Float]) -> Bool {
        guard let spec = self[name], spec.count == values.count else { return false }
        theta.replaceSubrange(spec.range, with: values)
        return true
    }
}
