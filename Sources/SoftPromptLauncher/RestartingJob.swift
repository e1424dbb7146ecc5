import Foundation

/// Runs a job under a `Supervisor` and restarts it after a failure or a hang, up to `maxRestarts` times, as
/// torchrun does for elastic jobs: Open MPI 4 has no fault tolerance (ULFM), so one dead rank ends the job, and
/// the job starts again from its newest complete checkpoint. Each start gets its restart count in
/// SOFTPROMPT_RESTART and a fresh heartbeat folder in SOFTPROMPT_HEARTBEAT_DIR.
public struct RestartingJob {
    public var maxRestarts: Int
    /// Seconds without progress from any rank after which the job counts as hung (nil: no hang detection).
    public var timeout: Double?
    public var log: (String) -> Void

    public static let restartVariable = "SOFTPROMPT_RESTART"
    public static let heartbeatVariable = "SOFTPROMPT_HEARTBEAT_DIR"

    public init(maxRestarts: Int, timeout: Double?, log: @escaping (String) -> Void) {
        self.maxRestarts = maxRestarts
        self.timeout = timeout
        self.log = log
    }

    /// `argv(k, heartbeats)` is the mpirun command of start k (0 = first), which must pass the two variables
    /// to the ranks; returns the last start's outcome and how many restarts it took.
    /// `heartbeatDirectory`: where the per-job heartbeat folder is made (default: the temporary directory).
    public func run(environment: [String: String], heartbeatDirectory: URL? = nil,
                    argv: (_ restart: Int, _ variables: [(String, String)]) -> [String])
        throws -> (outcome: Supervisor.Outcome, restarts: Int)
    {
        let heartbeats = (heartbeatDirectory ?? FileManager.default.temporaryDirectory)
            .appendingPathComponent("softprompt-heartbeats-\(getpid())-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: heartbeats) }
        var restart = 0
        while true {
            try? FileManager.default.removeItem(at: heartbeats)
            try FileManager.default.createDirectory(at: heartbeats, withIntermediateDirectories: true)
            let variables = [(Self.restartVariable, String(restart)), (Self.heartbeatVariable, heartbeats.path)]
            let outcome = try Supervisor().run(argv(restart, variables), environment: environment,
                                               watchdog: timeout.map { .init(heartbeats: heartbeats, timeout: $0) },
                                               stopFile: heartbeats.appendingPathComponent("stop"))
            if outcome.status == 0 || outcome.interrupted { return (outcome, restart) }
            let cause = Self.cause(of: outcome, timeout: timeout)
            guard restart < maxRestarts else {
                if maxRestarts > 0 { log("giving up after \(restart) restart(s): \(cause)") }
                return (outcome, restart)
            }
            restart += 1
            log("restart \(restart)/\(maxRestarts) from the newest complete checkpoint: \(cause)")
        }
    }

    /// "rank 1 (PID 123) on node vm exited on signal 9 (Killed)", "no progress for 30 s (hung)", or the status.
    static func cause(of outcome: Supervisor.Outcome, timeout: Double?) -> String {
        if outcome.hung { return String(format: "no progress from any rank for %.0f s (hung)", timeout ?? 0) }
        if let failure = outcome.failure { return failure }
        return outcome.status > 128 ? "mpirun ended by signal \(outcome.status - 128)" : "exit status \(outcome.status)"
    }
}
