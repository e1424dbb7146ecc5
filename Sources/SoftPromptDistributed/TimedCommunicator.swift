import Dispatch

/// A communicator that counts the seconds its collectives take, passing each call on to `inner`.
///
/// A collective returns when the last rank has arrived, so on a rank that finished its share early these seconds
/// are mostly waiting for the others: what a rank loses to its slower peers, beside the exchange itself.
/// `bench --ranks` reads them to split the step into computing and waiting.
public final class TimedCommunicator: Communicator, @unchecked Sendable {
    public let inner: any Communicator
    /// Seconds spent in `allreduceSum`, `broadcast` and `barrier` since this communicator was made.
    public private(set) var seconds = 0.0

    public init(_ inner: any Communicator) {
        self.inner = inner
    }

    public var rank: Int { inner.rank }
    public var size: Int { inner.size }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try timed { try inner.allreduceSum(buffer) }
    }

    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) throws {
        try timed { try inner.broadcast(buffer, root: root) }
    }

    public func barrier() throws {
        try timed { try inner.barrier() }
    }

    private func timed(_ collective: () throws -> Void) rethrows {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        try collective()
    }
}
