/// One mpirun invocation, built as an argument vector (never a shell string).
public struct LaunchPlan: Sendable, Equatable {
    public var processes: Int
    public var hostfile: Hostfile?
    public var mapBy: String?
    public var bindTo: String?
    public var oversubscribe = false
    /// Open MPI MCA parameters (--mca NAME VALUE), in order: transports, interfaces, the rsh agent.
    public var mcaParameters: [(String, String)] = []
    /// Variables every rank gets (passed with -x).
    public var environment: [(String, String)] = []
    /// The rank program and its arguments.
    public var program: [String]

    public init(processes: Int, hostfile: Hostfile? = nil, program: [String]) {
        self.processes = processes
        self.hostfile = hostfile
        self.program = program
    }

    public static func == (a: LaunchPlan, b: LaunchPlan) -> Bool {
        a.arguments(mpirun: "mpirun") == b.arguments(mpirun: "mpirun")
    }

    /// Pairs the words of repeated `--mca NAME VALUE` options; nil when one lacks its value.
    public static func mcaParameters(pairing words: [String]) -> [(String, String)]? {
        guard words.count % 2 == 0 else { return nil }
        return stride(from: 0, to: words.count, by: 2).map { (words[$0], words[$0 + 1]) }
    }

    /// Checks the plan against its hostfile.
    public func validate() throws(LaunchError) {
        guard !program.isEmpty else { throw .noCommand }
        if let hostfile, !oversubscribe, hostfile.totalSlots < processes {
            throw .notEnoughSlots(path: hostfile.path, slots: hostfile.totalSlots, processes: processes)
        }
    }

    /// The argv: mpirun [--hostfile F] -np N [--map-by X] [--bind-to Y] [--oversubscribe] [--mca NAME VALUE …]
    /// --tag-output -x NAME=VALUE … program args…
    public func arguments(mpirun: String) -> [String] {
        var argv = [mpirun]
        if let hostfile { argv += ["--hostfile", hostfile.path] }
        argv += ["-np", String(processes)]
        if let mapBy { argv += ["--map-by", mapBy] }
        if let bindTo { argv += ["--bind-to", bindTo] }
        if oversubscribe { argv.append("--oversubscribe") }
        for (name, value) in mcaParameters { argv += ["--mca", name, value] }
        argv.append("--tag-output")
        for (name, value) in environment { argv += ["-x", "\(name)=\(value)"] }
        return argv + program
    }
}
