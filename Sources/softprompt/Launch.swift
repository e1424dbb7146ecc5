import ArgumentParser
import Foundation
import SoftPromptLauncher

struct Launch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a softprompt command on N MPI ranks under mpirun and supervise it.",
        discussion: """
            Example: softprompt launch --np 2 -- train --task demo --steps 200
            Each rank gets OPENBLAS_NUM_THREADS=1 and the OPENBLAS_*/SOFTPROMPT_* variables set here; output \
            lines carry their rank ([1,r]); the exit status is the job's, and a failed rank is named.
            """)

    @Option(name: .customLong("np"), help: "Number of ranks.")
    var processes = 2

    @Option(help: "Open MPI hostfile (see hostfiles/). Default: this machine.")
    var hostfile: String?

    @Option(help: "mpirun --map-by (e.g. core, socket, node).")
    var mapBy: String?

    @Option(help: "mpirun --bind-to (e.g. core, none).")
    var bindTo: String?

    @Flag(help: "Allow more ranks than slots (mpirun --oversubscribe).")
    var oversubscribe = false

    @Option(help: "Restart a failed or hung job up to this many times, each time from its newest complete checkpoint (train gets --resume auto).")
    var maxRestarts = 0

    @Option(help: "Seconds without progress from any rank (a step, an evaluation chunk) after which the job counts as hung and is ended; counted from the start too, so leave room for loading.")
    var timeout: Double?

    @Option(help: "Folder for the ranks' progress beats (default: a temporary one; on several nodes, give a folder all nodes share).")
    var heartbeatDir: String?

    // Two words per use, so it reads like mpirun's own option; a value that starts with "-" cannot be given
    // here (use the OMPI_MCA_NAME environment variable for that).
    @Option(name: .customLong("mca"), parsing: .upToNextOption,
            help: ArgumentHelp("An Open MPI MCA parameter passed to mpirun, repeatable: --mca btl tcp,self.",
                               valueName: "name value"))
    var mca: [String] = []

    @Flag(help: "Print the mpirun command and exit.")
    var dryRun = false

    @Argument(parsing: .postTerminator, help: "The softprompt command each rank runs, after --.")
    var command: [String] = []

    func validate() throws {
        guard processes >= 1 else { throw ValidationError("--np must be at least 1") }
        guard maxRestarts >= 0 else { throw ValidationError("--max-restarts must be 0 or more") }
        if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be a positive number of seconds") }
        guard !command.isEmpty else { throw LaunchError.noCommand }
        guard LaunchPlan.mcaParameters(pairing: mca) != nil else {
            throw ValidationError("--mca takes a name and a value, e.g. --mca btl tcp,self")
        }
    }

    func run() throws {
        var plan = LaunchPlan(processes: processes, hostfile: try hostfile.map { try Hostfile(path: $0) },
                              program: [Self.executablePath()] + command)
        plan.mapBy = mapBy
        plan.bindTo = bindTo ?? (oversubscribe ? "none" : nil)
        plan.oversubscribe = oversubscribe
        plan.mcaParameters = LaunchPlan.mcaParameters(pairing: mca) ?? []
        plan.environment = MPIRunEnvironment.rankVariables()
        try plan.validate()
        let argv = plan.arguments(mpirun: "mpirun")
        let extra = MPIRunEnvironment.mpirunVariables()
        if dryRun {
            let prefix = extra.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            print((prefix + argv).map(Self.shellQuoted).joined(separator: " "))
            return
        }
        guard MPIRunEnvironment.mpirunAvailable() else { throw LaunchError.mpirunNotFound }
        func say(_ line: String) { FileHandle.standardError.write(Data("softprompt launch: \(line)\n".utf8)) }
        let job = RestartingJob(maxRestarts: maxRestarts, timeout: timeout, log: say)
        let (outcome, restarts) = try job.run(environment: extra, heartbeatDirectory: heartbeatDir.map { URL(fileURLWithPath: $0) }) { restart, variables in
            var started = plan
            started.environment += variables
            if restart > 0 { started.program = Self.resuming(started.program) }
            return started.arguments(mpirun: "mpirun")
        }
        if outcome.status != 0 {
            let cause = outcome.hung ? ": hung" : outcome.failure.map { ": \($0)" } ?? ""
            say("the job failed with exit status \(outcome.status)\(cause)" + (restarts > 0 ? " after \(restarts) restart(s)" : ""))
            throw ExitCode(outcome.status)
        }
        if restarts > 0 { say("the job completed after \(restarts) restart(s)") }
    }

    /// A restart's rank command: `train` continues from the newest complete checkpoint of its output.
    static func resuming(_ program: [String]) -> [String] {
        guard program.count > 1, program[1] == "train", !program.contains(where: { $0 == "--resume" || $0.hasPrefix("--resume=") })
        else { return program }
        return program + ["--resume", "auto"]
    }

    /// This binary's absolute path, so ranks run the same build.
    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    static func shellQuoted(_ word: String) -> String {
        word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,@+".contains($0) } ? word
            : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
