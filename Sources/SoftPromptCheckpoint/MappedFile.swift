#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only and private. Tensor views retain this object rather than the
/// `SafetensorsFile`, so the file's tensor cache never forms a retain cycle and a view stays valid after
/// the `SafetensorsFile` itself is gone.
final class MappedFile: @unchecked Sendable {  // immutable after init; the mapping is read-only
    let bytes: UnsafeRawBufferPointer

    init(path: String) throws(SafetensorsError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        // The mapping keeps the file's pages alive on its own; keeping the descriptor would only use up fds
        // when many ranks or shards open many files.
        defer { close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .cannotOpen(path: path, errno: errno) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .notARegularFile(path: path) }
        let size = Int(info.st_size)
        // mmap of length 0 fails, and fewer than 8 bytes cannot hold the header length anyway.
        guard size >= 8 else { throw .fileTooShort(path: path, size: size) }

        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw .cannotMap(path: path, errno: errno)
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }
}
