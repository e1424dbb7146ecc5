import Foundation

/// Runs one mpirun job to its end: output passes through (mpirun's --tag-output prefixes every line with
/// [job,rank]), a failed rank is named from mpirun's own report, and a job that stops making progress is
/// ended (see `Watchdog`). SIGINT is forwarded at once; the first SIGTERM asks the ranks to checkpoint and stop
/// (the `stop` file of the heartbeat folder) when there is one, a second is forwarded.
public final class Supervisor: @unchecked Sendable {
    public struct Outcome: Sendable, Equatable {
        public var status: Int32
        /// "rank 1 … exited on signal 9 (Killed)" when mpirun said which rank failed.
        public var failure: String?
        /// The watchdog ended the job: no rank made progress for its timeout.
        public var hung = false
        /// This launcher was told to stop (SIGINT/SIGTERM): not a failure to restart from.
        public var interrupted = false
    }

    /// Hang detection: the job is hung when no file in `heartbeats` (one per rank, rewritten every step) has
    /// changed for `timeout` seconds, counting from the job's start.
    public struct Watchdog: Sendable {
        public var heartbeats: URL
        public var timeout: Double
        public init(heartbeats: URL, timeout: Double) {
            self.heartbeats = heartbeats
            self.timeout = timeout
        }

        /// The newest modification time of the heartbeat files.
        func lastBeat() -> Date? {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: heartbeats.path)) ?? []
            return names.filter { $0.hasPrefix("rank-") }.compactMap {
                try? FileManager.default.attributesOfItem(atPath: heartbeats.appendingPathComponent($0).path)[.modificationDate] as? Date
            }.max()
        }
    }

    private let lock = NSLock()
    private var failure: String?
    private var pending = Data()  // stderr bytes after the last newline
    private var hung = false, interrupted = false, terminations = 0

    public init() {}

    /// Runs `argv` (argv[0] looked up on PATH) with `environment` added to this process's, and waits.
    /// `stopFile`: created on the first SIGTERM instead of forwarding it, so ranks checkpoint before ending.
    public func run(_ argv: [String], environment: [String: String], watchdog: Watchdog? = nil,
                    stopFile: URL? = nil) throws -> Outcome {
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
        let pid = process.processIdentifier
        let forwarding = [SIGINT, SIGTERM].map { signalNumber -> DispatchSourceSignal in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber)
            source.setEventHandler { [self] in
                let first = lock.withLock {
                    interrupted = true
                    terminations += signalNumber == SIGTERM ? 1 : 0
                    return terminations == 1
                }
                if signalNumber == SIGTERM, first, let stopFile {
                    FileManager.default.createFile(atPath: stopFile.path, contents: Data())
                    FileHandle.standardError.write(Data("softprompt launch: SIGTERM: the ranks checkpoint and stop after their current step (again to end them now)\n".utf8))
                } else {
                    kill(pid, signalNumber)
                }
            }
            source.resume()
            return source
        }
        let timer = watchdog.map { watchdog -> DispatchSourceTimer in
            let started = Date()
            let timer = DispatchSource.makeTimerSource(queue: .global())
            timer.schedule(deadline: .now() + 1, repeating: 1)
            timer.setEventHandler { [self] in
                let last = max(started, watchdog.lastBeat() ?? started)
                guard Date().timeIntervalSince(last) > watchdog.timeout, lock.withLock({ !hung }) else { return }
                lock.withLock { hung = true }
                FileHandle.standardError.write(Data(String(format: "softprompt launch: no progress from any rank for %.0f s: ending the job\n", watchdog.timeout).utf8))
                Self.end(pid)
            }
            timer.resume()
            return timer
        }
        process.waitUntilExit()
        timer?.cancel()
        forwarding.forEach { $0.cancel() }
        errors.fileHandleForReading.readabilityHandler = nil
        let rest = errors.fileHandleForReading.readDataToEndOfFile()
        FileHandle.standardError.write(rest)
        consume(rest, flush: true)
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return lock.withLock { Outcome(status: status, failure: failure, hung: hung, interrupted: interrupted) }
    }

    /// Ends a job whose ranks may not answer: SIGTERM to mpirun and everything below it, SIGKILL 5 s later.
    /// The tree is listed once, before anything dies: orphaned ranks are re-parented and could not be found again.
    static func end(_ pid: pid_t) {
        let members = ProcessTree.members(of: pid)
        for member in members { kill(member, SIGTERM) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 5) { for member in members { kill(member, SIGKILL) } }
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

    /// What failed, from one line of mpirun's stderr, or nil:
    /// - "rank 1 (PID 123) on node vm exited on signal 9 (Killed)" from mpirun's
    ///   "mpirun noticed that process rank 1 with PID 123 on node vm exited on signal 9 (Killed).";
    /// - a whole node: "node spnode2 lost (netns-rsh: its command was killed by signal 9)" from the rsh agent's
    ///   "netns-rsh: connection to spnode2 lost: its command was killed by signal 9" (scripts/netns-rsh), and
    ///   "node spnode2 lost (mpirun lost communication with its daemon [[5,0],2])" from the
    ///   "  Remote daemon: [[5,0],2] on node spnode2" line of mpirun's "ORTE has lost communication with a remote
    ///   daemon" report (not its "HNP daemon" line: that is mpirun's own node).
    public static func failedRank(in line: String) -> String? {
        if let range = line.range(of: ": connection to "), let lost = line.range(of: " lost", range: range.upperBound..<line.endIndex) {
            // The agent's own line ("netns-rsh: connection to …"), not a rank's ("[1,2]<stderr>:…").
            let host = line[range.upperBound..<lost.lowerBound], agent = line[..<range.lowerBound]
            guard !host.isEmpty, !host.contains(" "), !agent.isEmpty, !agent.contains(" "), !agent.hasPrefix("[") else { return nil }
            let why = line[lost.upperBound...].drop { $0 == ":" || $0 == " " }
            return "node \(host) lost (\(agent)" + (why.isEmpty ? "" : ": \(why)") + ")"
        }
        if let range = line.range(of: "Remote daemon:") {
            let tail = line[range.upperBound...].trimmingCharacters(in: .whitespaces)
            guard let on = tail.range(of: " on node ") else { return nil }
            let host = tail[on.upperBound...].trimmingCharacters(in: .whitespaces)
            guard !host.isEmpty else { return nil }
            let daemon = tail[..<on.lowerBound]
            return "node \(host) lost (mpirun lost communication with its daemon" + (daemon.isEmpty ? "" : " \(daemon)") + ")"
        }
        guard let range = line.range(of: "process rank ") else { return nil }
        let tail = line[range.upperBound...]
        let rank = tail.prefix { $0.isNumber }
        guard !rank.isEmpty else { return nil }
        let rest = tail.dropFirst(rank.count).trimmingCharacters(in: CharacterSet(charactersIn: " ."))
        return "rank \(rank) " + rest.replacingOccurrences(of: "with PID", with: "(PID")
            .replacingOccurrences(of: " on node", with: ") on node")
    }
}
