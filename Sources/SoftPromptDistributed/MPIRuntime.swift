import CMPI
#if canImport(Glibc)
import Glibc
#endif

/// Element types that have an MPI datatype.
public protocol MPIElement {
    static var mpiDatatype: MPI_Datatype { get }
}
extension Float: MPIElement { public static var mpiDatatype: MPI_Datatype { cmpi_float() } }
extension Double: MPIElement { public static var mpiDatatype: MPI_Datatype { cmpi_double() } }
extension Int32: MPIElement { public static var mpiDatatype: MPI_Datatype { cmpi_int32() } }
extension Int64: MPIElement { public static var mpiDatatype: MPI_Datatype { cmpi_int64() } }
extension UInt8: MPIElement { public static var mpiDatatype: MPI_Datatype { cmpi_byte() } }

/// The process's MPI library: initialised once, on first use of `shared`, for MPI_COMM_WORLD.
///
/// Errors come back as `MPIError` rather than aborting the job (the world communicator's handler is set to
/// MPI_ERRORS_RETURN), so a rank can say what failed before it exits. Calls must not overlap in time
/// (MPI_THREAD_SERIALIZED); the training loop makes them from one thread.
public final class MPIRuntime: @unchecked Sendable {
    public let rank: Int
    public let size: Int
    private var isFinalized = false

    /// Initialises MPI the first time it is read; later reads return the same runtime.
    public static func shared() throws -> MPIRuntime {
        try sharedResult.get()
    }

    private static let sharedResult: Result<MPIRuntime, MPIError> = Result { () throws(MPIError) in try MPIRuntime() }

    private init() throws(MPIError) {
        var provided: Int32 = 0
        try check("MPI_Init_thread", MPI_Init_thread(nil, nil, cmpi_thread_serialized(), &provided))
        guard provided >= cmpi_thread_serialized() else {
            throw .threadSupport(required: cmpi_thread_serialized(), provided: provided)
        }
        try check("MPI_Comm_set_errhandler", MPI_Comm_set_errhandler(cmpi_comm_world(), cmpi_errors_return()))
        var r: Int32 = 0, s: Int32 = 0
        try check("MPI_Comm_rank", MPI_Comm_rank(cmpi_comm_world(), &r))
        try check("MPI_Comm_size", MPI_Comm_size(cmpi_comm_world(), &s))
        rank = Int(r)
        size = Int(s)
    }

    /// Element-wise sum over all ranks, in place. MPI does not promise the same bits on every rank or every
    /// run; `MPICommunicator.allreduceSum` is the deterministic one.
    public func allreduceSum<T: MPIElement>(_ buffer: UnsafeMutableBufferPointer<T>) throws(MPIError) {
        try live("MPI_Allreduce")
        try check("MPI_Allreduce", MPI_Allreduce(cmpi_in_place(), buffer.baseAddress, Int32(buffer.count),
                                                 T.mpiDatatype, cmpi_sum(), cmpi_comm_world()))
    }

    /// Every rank's `send` (same length everywhere), concatenated in rank order into `receive`.
    public func allgather<T: MPIElement>(_ send: UnsafeBufferPointer<T>,
                                         into receive: UnsafeMutableBufferPointer<T>) throws(MPIError) {
        try live("MPI_Allgather")
        guard receive.count == send.count * size else {
            throw .sizeMismatch(function: "MPI_Allgather", expected: send.count * size, got: receive.count)
        }
        try check("MPI_Allgather", MPI_Allgather(send.baseAddress, Int32(send.count), T.mpiDatatype,
                                                 receive.baseAddress, Int32(send.count), T.mpiDatatype,
                                                 cmpi_comm_world()))
    }

    /// Root's `buffer` copied into every rank's `buffer`.
    public func broadcast<T: MPIElement>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int) throws(MPIError) {
        try live("MPI_Bcast")
        guard (0..<size).contains(root) else { throw .invalidRoot(root, size: size) }
        try check("MPI_Bcast", MPI_Bcast(buffer.baseAddress, Int32(buffer.count), T.mpiDatatype, Int32(root),
                                         cmpi_comm_world()))
    }

    public func barrier() throws(MPIError) {
        try live("MPI_Barrier")
        try check("MPI_Barrier", MPI_Barrier(cmpi_comm_world()))
    }

    /// Ends every rank of the job with `code` (mpirun reports it); for failures other ranks cannot see.
    public func abort(code: Int32) -> Never {
        MPI_Abort(cmpi_comm_world(), code)
        // MPI_Abort does not return; should the library ever do so, leave anyway.
        exit(code)
    }

    /// Call once, after the last collective; mpirun treats a rank that exits without it as failed.
    public func finalize() throws(MPIError) {
        if isFinalized { return }
        isFinalized = true
        try check("MPI_Finalize", MPI_Finalize())
    }

    private func live(_ function: String) throws(MPIError) {
        if isFinalized { throw .finalized(function: function) }
    }
}

private func check(_ function: String, _ code: Int32) throws(MPIError) {
    guard code != cmpi_success() else { return }
    var text = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
    var length: Int32 = 0
    MPI_Error_string(code, &text, &length)
    let message = String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    throw .call(function: function, code: code, message: message)
}
