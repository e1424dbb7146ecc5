import Foundation

/// N ranks as N threads of one process, for tests that need a real multi-rank world without mpirun.
/// Make a group, hand `communicators[r]` to the thread playing rank r; every collective must be called by all
/// N threads, as with MPI.
public final class InProcessGroup: @unchecked Sendable {
    public let size: Int
    public private(set) var communicators: [InProcessCommunicator] = []
    private let condition = NSCondition()
    private var arrived = 0
    private var generation = 0
    private var slots: [[Float]]

    public init(size: Int) {
        precondition(size >= 1, "a group needs at least one rank")
        self.size = size
        self.slots = Array(repeating: [], count: size)
        self.communicators = (0..<size).map { InProcessCommunicator(rank: $0, group: self) }
    }

    fileprivate func publish(_ values: [Float], rank: Int) {
        condition.lock()
        slots[rank] = values
        condition.unlock()
    }

    fileprivate func published() -> [[Float]] {
        condition.lock()
        defer { condition.unlock() }
        return slots
    }

    /// Blocks until all `size` threads have arrived.
    fileprivate func wait() {
        condition.lock()
        defer { condition.unlock() }
        let myGeneration = generation
        arrived += 1
        if arrived == size {
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            while generation == myGeneration { condition.wait() }
        }
    }
}

public final class InProcessCommunicator: Communicator, @unchecked Sendable {
    public let rank: Int
    private unowned let group: InProcessGroup

    fileprivate init(rank: Int, group: InProcessGroup) {
        self.rank = rank
        self.group = group
    }

    public var size: Int { group.size }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        group.publish(Array(buffer), rank: rank)
        group.wait()  // every slot written
        let slots = group.published()
        group.wait()  // every slot read before anyone reuses it
        if let wrong = slots.first(where: { $0.count != buffer.count }) {
            throw MPIError.sizeMismatch(function: "allreduceSum", expected: buffer.count, got: wrong.count)
        }
        let gathered = Array(slots.joined())
        gathered.withUnsafeBufferPointer { RankOrderSum.reduce($0, ranks: size, into: buffer) }
    }

    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) throws {
        guard (0..<size).contains(root) else { throw MPIError.invalidRoot(root, size: size) }
        if rank == root { group.publish(Array(buffer), rank: root) }
        group.wait()
        let source = group.published()[root]
        group.wait()
        guard source.count == buffer.count else {
            throw MPIError.sizeMismatch(function: "broadcast", expected: buffer.count, got: source.count)
        }
        if rank != root { for i in 0..<buffer.count { buffer[i] = source[i] } }
    }

    public func barrier() throws {
        group.wait()
    }
}
