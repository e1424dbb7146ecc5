/// The communicator of a job started by mpirun: one rank per process.
public final class MPICommunicator: Communicator, @unchecked Sendable {
    public let runtime: MPIRuntime
    private var gathered: [Float] = []  // (size, count) scratch, grown once to the gradient's size

    public init(runtime: MPIRuntime) {
        self.runtime = runtime
    }

    public var rank: Int { runtime.rank }
    public var size: Int { runtime.size }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        if size == 1 { return }
        let needed = buffer.count * size
        if gathered.count != needed { gathered = [Float](repeating: 0, count: needed) }
        try gathered.withUnsafeMutableBufferPointer { all in
            try runtime.allgather(UnsafeBufferPointer(buffer), into: all)
            RankOrderSum.reduce(UnsafeBufferPointer(all), ranks: size, into: buffer)
        }
    }

    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) throws {
        try runtime.broadcast(buffer, root: root)
    }

    public func barrier() throws {
        try runtime.barrier()
    }
}
