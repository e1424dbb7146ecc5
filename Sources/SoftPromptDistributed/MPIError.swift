/// A failed MPI call, with the library's own explanation.
public enum MPIError: Error, CustomStringConvertible, Equatable {
    case call(function: String, code: Int32, message: String)
    case threadSupport(required: Int32, provided: Int32)
    case finalized(function: String)
    case sizeMismatch(function: String, expected: Int, got: Int)
    case invalidRoot(Int, size: Int)

    public var description: String {
        switch self {
        case let .call(function, code, message):
            return "\(function) failed with MPI error \(code): \(message)"
        case let .threadSupport(required, provided):
            return "MPI provides thread level \(provided), SoftPrompt needs at least \(required) (MPI_THREAD_SERIALIZED)"
        case let .finalized(function):
            return "\(function) called after MPI_Finalize"
        case let .sizeMismatch(function, expected, got):
            return "\(function): receive buffer holds \(got) elements, expected \(expected)"
        case let .invalidRoot(root, size):
            return "broadcast root \(root) is not a rank of a world of size \(size)"
        }
    }
}
