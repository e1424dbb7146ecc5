import Foundation

/// Progress beats for the launcher's hang detection: after every step a rank rewrites
/// `$SOFTPROMPT_HEARTBEAT_DIR/rank-R` with its step. The launcher watches the files' modification times; when
/// none changes within its --timeout, the job is declared hung. Without the variable it does nothing.
public struct Heartbeat: Sendable {
    public static let variable = "SOFTPROMPT_HEARTBEAT_DIR"
    public let file: URL?

    public init(rank: Int, environment: [String: String] = ProcessInfo.processInfo.environment) {
        file = environment[Self.variable].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0).appendingPathComponent("rank-\(rank)") }
    }

    /// Best effort: a full disk must not stop training, it only makes the launcher's timeout fire.
    public func beat(step: Int) {
        guard let file else { return }
        try? Data("\(step)\n".utf8).write(to: file)
    }
}
