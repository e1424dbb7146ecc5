import Foundation

/// A fault a test asks for through the environment, torchrun-style:
/// `SOFTPROMPT_FAULT=rank=1,step=37,signal=KILL,restart=0` makes rank 1 kill itself with SIGKILL when it is
/// about to run step 37, only in the job's first start (restart 0; the launcher counts restarts in
/// SOFTPROMPT_RESTART). `signal=hang` makes the rank sleep forever instead, which only a timeout catches.
public struct FaultInjection: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        case signal(Int32)
        case hang
    }

    public static let variable = "SOFTPROMPT_FAULT"
    public static let restartVariable = "SOFTPROMPT_RESTART"

    public var rank: Int
    public var step: Int
    public var action: Action
    public var restart: Int

    static let signals: [String: Int32] = ["KILL": SIGKILL, "TERM": SIGTERM, "SEGV": SIGSEGV, "ABRT": SIGABRT,
                                           "INT": SIGINT, "BUS": SIGBUS]

    /// Parses `rank=R,step=S[,signal=NAME|hang][,restart=K]` (signal defaults to KILL, restart to 0).
    public init(parsing text: String) throws(FaultInjectionError) {
        var fields: [String: String] = [:]
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, ["rank", "step", "signal", "restart"].contains(pair[0]) else {
                throw FaultInjectionError(text: text, problem: "\"\(part)\" is not one of rank=, step=, signal=, restart=")
            }
            fields[pair[0]] = pair[1]
        }
        guard let rank = fields["rank"].flatMap(Int.init), rank >= 0 else {
            throw FaultInjectionError(text: text, problem: "rank= must be a rank number")
        }
        guard let step = fields["step"].flatMap(Int.init), step >= 1 else {
            throw FaultInjectionError(text: text, problem: "step= must be a step number (1 or more)")
        }
        let name = (fields["signal"] ?? "KILL").uppercased().replacingOccurrences(of: "SIG", with: "")
        if name == "HANG" {
            action = .hang
        } else if let number = Self.signals[name] ?? Int32(name) {
            action = .signal(number)
        } else {
            throw FaultInjectionError(text: text, problem: "signal=\(name) is not KILL, TERM, SEGV, ABRT, INT, BUS, a number or hang")
        }
        guard let restart = Int(fields["restart"] ?? "0"), restart >= 0 else {
            throw FaultInjectionError(text: text, problem: "restart= must be 0 or more")
        }
        self.rank = rank
        self.step = step
        self.restart = restart
    }

    /// The fault of this process's environment, if any.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(FaultInjectionError) -> FaultInjection? {
        guard let text = environment[variable], !text.isEmpty else { return nil }
        return try FaultInjection(parsing: text)
    }

    /// The job's restart count from the launcher (0 when run directly).
    public static func restartCount(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        environment[restartVariable].flatMap(Int.init) ?? 0
    }

    /// Strikes when `rank` is about to run `step` in restart `restart`.
    public func strikeIfDue(rank: Int, step: Int, restart: Int) {
        guard rank == self.rank, step == self.step, restart == self.restart else { return }
        FileHandle.standardError.write(Data("softprompt: fault injection (\(Self.variable)): rank \(rank) at step \(step)\n".utf8))
        switch action {
        case .signal(let number):
            kill(getpid(), number)
            while true { sleep(1) }  // a caught or ignored signal must still end this rank's progress
        case .hang:
            while true { sleep(3600) }
        }
    }
}

public struct FaultInjectionError: Error, CustomStringConvertible, Equatable {
    public var text: String
    public var problem: String
    public var description: String { "\(FaultInjection.variable)=\(text): \(problem)" }
}
