#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed step of `AtomicFile.write`. Each names the destination, the file the call failed on, and the
/// system's reason; when one is thrown the destination still holds its previous content (or does not exist).
public enum AtomicFileError: Error, CustomStringConvertible, Equatable {
    case cannotCreateTemporary(destination: String, temporary: String, errno: Int32)
    case writeFailed(destination: String, temporary: String, errno: Int32)
    case syncFailed(destination: String, temporary: String, errno: Int32)
    case closeFailed(destination: String, temporary: String, errno: Int32)
    case renameFailed(destination: String, temporary: String, errno: Int32)
    /// The new content is in place, but the directory entry may not survive a power loss.
    case directorySyncFailed(destination: String, directory: String, errno: Int32)

    public var destination: String {
        switch self {
        case let .cannotCreateTemporary(destination, _, _), let .writeFailed(destination, _, _),
             let .syncFailed(destination, _, _), let .closeFailed(destination, _, _),
             let .renameFailed(destination, _, _), let .directorySyncFailed(destination, _, _):
            destination
        }
    }

    public var errno: Int32 {
        switch self {
        case let .cannotCreateTemporary(_, _, code), let .writeFailed(_, _, code), let .syncFailed(_, _, code),
             let .closeFailed(_, _, code), let .renameFailed(_, _, code), let .directorySyncFailed(_, _, code):
            code
        }
    }

    public var description: String {
        let reason = SafetensorsError.errnoText(errno)
        return switch self {
        case let .cannotCreateTemporary(destination, temporary, _):
            "\(destination): cannot create the temporary file \(temporary) to write it: \(reason); expected an existing, writable directory"
        case let .writeFailed(destination, temporary, _):
            "\(destination): writing the temporary file \(temporary) failed: \(reason); the destination was left unchanged"
        case let .syncFailed(destination, temporary, _):
            "\(destination): fsync of the temporary file \(temporary) failed: \(reason); the destination was left unchanged"
        case let .closeFailed(destination, temporary, _):
            "\(destination): closing the temporary file \(temporary) failed: \(reason); the destination was left unchanged"
        case let .renameFailed(destination, temporary, _):
            "\(destination): renaming \(temporary) over it failed: \(reason); the destination was left unchanged"
        case let .directorySyncFailed(destination, directory, _):
            "\(destination): written, but fsync of its directory \(directory) failed: \(reason); the new file may not survive a crash"
        }
    }
}
