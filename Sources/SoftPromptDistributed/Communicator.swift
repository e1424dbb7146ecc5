/// What the training loop needs from the ranks of a job (DESIGN.md §5).
///
/// `allreduceSum` is deterministic: every rank gets the same bits, and a rerun gets the same bits, because the
/// buffers are gathered and added in rank order in Float64 (`RankOrderSum`). Prompt gradients are kilobytes, so
/// gathering costs nothing measurable, and N ranks reproduce 1 rank's arithmetic order exactly.
public protocol Communicator: AnyObject, Sendable {
    var rank: Int { get }
    var size: Int { get }
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws
    func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) throws
    func barrier() throws
}

/// The one-process world.
public final class SingleProcessCommunicator: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {}
    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) throws {
        guard root == 0 else { throw MPIError.invalidRoot(root, size: 1) }
    }
    public func barrier() throws {}
}
