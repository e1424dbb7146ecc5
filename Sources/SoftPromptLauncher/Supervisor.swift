import Foundation

/// Runs one mpirun job to its end: output passes through (mpirun's --tag-output prefixes every line with
/// [job,rank]), SIGINT/SIGTERM are forwarded, and a failed rank is named from mpirun's own report.
public final class Supervisor: @unchecked Sendable {
    public struct Outcome: Sendable, Equatable {
        public var status: Int32
        /// "rank 1 … exited on signal 9 (Killed)" when mpirun said which rank failed.
        public var failure: String?
    }

    private let lock = NSLock()
    private var failure: String?
    private var pending = Data()  // stderr bytes after the last newline

    public init() {}

    /// Runs `argv` (argv[0] looked up on PATH) with `environment` added to this process's, and waits.
    public func run(_ argv: [String], environment: [String: String]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let errors = Pipe()
        process.standardError = errors
        errors.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let chunk = handle.availableData
            guard !chunk.isEmpty else { return }
            FileHandle.standardError.write(chunk)
            self?.consume(chunk)
        }
        try process.run()
        let forwarding = [SIGINT, SIGTERM].map { signalNumber -> DispatchSourceSignal in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber)
            source.setEventHandler { kill(process.processIdentifier, signalNumber) }
            source.resume()
            return source
        }
        process.waitUntilExit()
        forwarding.forEach { $0.cancel() }
        errors.fileHandleForReading.readabilityHandler = nil
        let rest = errors.fileHandleForReading.readDataToEndOfFile()
        FileHandle.standardError.write(rest)
        consume(rest, flush: true)
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return Outcome(status: status, failure: lock.withLock { failure })
    }

    /// Splits stderr into lines and remembers the first in which mpirun names a failed rank.
    private func consume(_ chunk: Data, flush: Bool = false) {
        lock.withLock {
            pending.append(chunk)
            var lines: [String] = []
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                pending.removeSubrange(pending.startIndex...newline)
            }
            if flush, !pending.isEmpty {
                lines.append(String(decoding: pending, as: UTF8.self))
                pending.removeAll()
            }
            if failure == nil { failure = lines.lazy.compactMap(Supervisor.failedRank(in:)).first }
        }
    }

    /// "rank 1 (PID 123) on node vm exited on signal 9 (Killed)" from mpirun's lines such as
    /// "mpirun noticed that process rank 1 with PID 123 on node vm exited on signal 9 (Killed)."
    public static func failedRank(in line: String) -> String? {
        guard let range = line.range(of: "process rank ") else { return nil }
        let tail = line[range.upperBound...]
        let rank = tail.prefix { $0.isNumber }
        guard !rank.isEmpty else { return nil }
        let rest = tail.dropFirst(rank.count).trimmingCharacters(in: CharacterSet(charactersIn: " ."))
        return "rank \(rank) " + rest.replacingOccurrences(of: "with PID", with: "(PID")
            .replacingOccurrences(of: " on node", with: ") on node")
    }
}
