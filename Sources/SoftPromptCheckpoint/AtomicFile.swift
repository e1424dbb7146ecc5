import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file replacement that a crash cannot tear: readers see the old file or the new one, never a
/// prefix. Write a temporary file in the same directory (rename is atomic only within one file system),
/// fsync it, rename it over the destination, then fsync the directory so the rename itself is durable.
public enum AtomicFile {
    /// Writes `data` as the whole new content of `url`.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { output in
            try data.withUnsafeBytes { try output.write($0) }
        }
    }

    /// Streams the new content of `url` from `body`, which may call `output.write` any number of times;
    /// large tensors go straight from their memory to the file without being gathered into one `Data`.
    /// If `body` throws, the temporary file is removed, the destination is untouched, and the error rethrown.
    public static func write(to url: URL, _ body: (borrowing Output) throws -> Void) throws {
        let destination = url.path
        let directory = url.deletingLastPathComponent().path
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(String(UInt64.random(in: .min ... .max), radix: 16))")
            .path

        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw AtomicFileError.cannotCreateTemporary(destination: destination, temporary: temporary, errno: errno)
        }
        var isOpen = true
        do {
            // Replacing a file should not silently change who may read it.
            var existing = stat()
            if stat(destination, &existing) == 0 { _ = fchmod(fd, existing.st_mode & 0o7777) }

            try body(Output(fd: fd, destination: destination, temporary: temporary))
            guard fsync(fd) == 0 else {
                throw AtomicFileError.syncFailed(destination: destination, temporary: temporary, errno: errno)
            }
            isOpen = false
            // close can report a deferred write error (NFS); the descriptor is released either way.
            guard close(fd) == 0 else {
                throw AtomicFileError.closeFailed(destination: destination, temporary: temporary, errno: errno)
            }
            guard rename(temporary, destination) == 0 else {
                throw AtomicFileError.renameFailed(destination: destination, temporary: temporary, errno: errno)
            }
        } catch {
            if isOpen { close(fd) }
            unlink(temporary)
            throw error
        }
        try syncDirectory(directory, destination: destination)
    }

    private static func syncDirectory(_ directory: String, destination: String) throws {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw AtomicFileError.directorySyncFailed(destination: destination, directory: directory, errno: errno)
        }
        defer { close(fd) }
        // Some file systems cannot fsync a directory (EINVAL); there is nothing more durable to ask of them.
        if fsync(fd) != 0 && errno != EINVAL {
            throw AtomicFileError.directorySyncFailed(destination: destination, directory: directory, errno: errno)
        }
    }

    /// The sink handed to `write(to:_:)`'s body; valid only during that call.
    public struct Output: ~Copyable {
        fileprivate let fd: Int32
        fileprivate let destination: String
        fileprivate let temporary: String

        /// Appends `bytes`, retrying short writes and interrupted calls.
        public func write(_ bytes: UnsafeRawBufferPointer) throws {
            guard var next = bytes.baseAddress else { return }
            var remaining = bytes.count
            while remaining > 0 {
                let written = systemWrite(fd, next, remaining)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw AtomicFileError.writeFailed(destination: destination, temporary: temporary, errno: errno)
                }
                next += written
                remaining -= written
            }
        }

        public func write(_ data: Data) throws {
            try data.withUnsafeBytes { try write($0) }
        }
    }
}

/// `write(2)`, reachable from inside `Output.write`, whose own name shadows it.
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}
