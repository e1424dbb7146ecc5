import Foundation
import SoftPromptCheckpoint
import Testing

/// Two "nodes" (network namespaces made by scripts/simulated-nodes, reached through scripts/netns-rsh) of two
/// ranks each, talking TCP only: the run must give exactly the θ of four ranks on one node, killing a whole
/// node must end the launch promptly, naming the node, with nothing left running, and under --max-restarts the
/// job must come back from its newest complete checkpoint with the θ of an uninterrupted run. Recipe:
/// docs/simulated-nodes.md.
@Suite(.serialized, .enabled(if: SimulatedNodes.available, "needs root, ip netns, mpirun and a built softprompt"))
struct SimulatedNodesTests {
    @Test func twoNodesOfTwoRanksOverTCPGiveTheThetaOfFourRanksOnOneNode() throws {
        try SimulatedNodes.withNodes {
            let spread = try SimulatedNodes.theta(launching: SimulatedNodes.acrossNodes)
            let local = try SimulatedNodes.theta(launching: ["--np", "4", "--oversubscribe"])
            #expect(spread.count == local.count)
            #expect(spread.map(\.bitPattern) == local.map(\.bitPattern))
        }
    }

    @Test func killingANodeEndsTheLaunchNamingTheNodeAndLeavesNoProcess() throws {
        try SimulatedNodes.withNodes {
            let job = try LaunchedJob(launch: SimulatedNodes.acrossNodes, steps: 100_000)
            defer { job.stop() }
            try job.waitForTraining(upTo: 120)
            let killed = try SimulatedNodes.killNode("spnode2")
            #expect(!killed.isEmpty)
            let end = try #require(job.wait(upTo: 60), "the launch still ran 60 s after its node was killed:\n\(job.log)")
            #expect(end.status != 0, "\(job.log)")
            #expect(job.log.contains("spnode2"), "the output does not name the lost node:\n\(job.log)")
            // mpirun ends the other node's daemon and ranks; give the kernel a moment to reap them.
            let deadline = Date().addingTimeInterval(10)
            while SimulatedNodes.leftovers(of: job).count > 0, Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
            #expect(SimulatedNodes.leftovers(of: job) == [], "processes left behind")
        }
    }

    @Test func aJobThatLosesANodeIsRestartedFromItsCheckpointAndEndsWithTheThetaOfAnUninterruptedRun() throws {
        try SimulatedNodes.withNodes {
            // Long enough (about 5 s of training) for the kill to land mid-run, after a few checkpoints.
            let steps = 60, train = ["--checkpoint-every", "3"]
            let clean = try LaunchedJob(launch: SimulatedNodes.acrossNodes, steps: steps, train: train)
            defer { clean.stop() }
            let cleanEnd = try #require(clean.wait(upTo: 300), "the uninterrupted run did not end:\n\(clean.log)")
            try #require(cleanEnd.status == 0, "the uninterrupted run failed:\n\(clean.log)")

            let job = try LaunchedJob(launch: ["--max-restarts", "1", "--timeout", "120"] + SimulatedNodes.acrossNodes,
                                      steps: steps, train: train)
            defer { job.stop() }
            try job.waitForTraining(upTo: 120, step: 10)
            let killed = try SimulatedNodes.killNode("spnode2")
            try #require(!killed.isEmpty, "nothing ran in spnode2 at step 10:\n\(job.log)")
            let end = try #require(job.wait(upTo: 300), "the restarted job did not end within 300 s:\n\(job.log)")
            #expect(end.status == 0, "\(job.log)")
            let restart = job.log.split(separator: "\n").first { $0.contains("restart 1/1 from the newest complete checkpoint:") }
            #expect(restart?.contains("spnode2") == true, "the restart message does not name the lost node:\n\(job.log)")
            #expect(job.log.contains("the job completed after 1 restart(s)"), "\(job.log)")

            // Bit for bit, whether the restart found a checkpoint or (a kill before the first) started from 0.
            #expect(try job.theta().map(\.bitPattern) == clean.theta().map(\.bitPattern))
            let summary = try job.summary(), cleanSummary = try clean.summary()
            #expect(summary["theta_sha256"] as? String == cleanSummary["theta_sha256"] as? String)
            #expect(summary["restarts"] as? Int == 1)
            if let resumed = summary["resumed_from_step"] as? Int {
                #expect(resumed % 3 == 0 && resumed > 0 && resumed < steps, "resumed from step \(resumed)")
            }
            // The resumed run's metrics log holds each step once.
            let logged = try String(contentsOf: job.output.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
                .split(separator: "\n").filter { $0.contains("\"event\":\"train\"") }
            #expect(logged.count == steps)

            let deadline = Date().addingTimeInterval(10)
            while SimulatedNodes.leftovers(of: job).count > 0, Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
            #expect(SimulatedNodes.leftovers(of: job) == [], "processes left behind")
        }
    }
}

enum SimulatedNodes {
    static let root = MPIRun.packageRoot
    static let script = root.appendingPathComponent("scripts/simulated-nodes").path
    static let nodes = ["spnode1", "spnode2"]

    /// `launch` options for 2 nodes × 2 ranks: TCP only (no shared memory even between ranks of one node), on the
    /// test network only, daemons started in the nodes by the netns rsh agent.
    static let acrossNodes = [
        "--np", "4", "--hostfile", root.appendingPathComponent("hostfiles/simulated-2x2").path,
        "--mca", "btl", "tcp,self",
        "--mca", "btl_tcp_if_include", "10.77.0.0/24",
        "--mca", "oob_tcp_if_include", "10.77.0.0/24",
        "--mca", "plm_rsh_agent", root.appendingPathComponent("scripts/netns-rsh").path,
    ]

    /// The softprompt of the build these tests belong to (its release binary, as scripts/setup builds, else its
    /// debug one), else the one the MPI tests use.
    static let binary: String? = {
        guard let tests = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return MPIRun.binary }
        let build = URL(fileURLWithPath: tests).deletingLastPathComponent()  // <scratch>/<triple>/debug
        return [build.deletingLastPathComponent().appendingPathComponent("release/softprompt").path,
                build.appendingPathComponent("softprompt").path]
            .first { FileManager.default.isExecutableFile(atPath: $0) } ?? MPIRun.binary
    }()

    /// Root, mpirun and a binary, and this kernel lets us make network namespaces (tried without keeping one).
    static let available: Bool = {
        guard getuid() == 0, binary != nil else { return false }
        return [["mpirun", "--version"], ["ip", "-V"], ["unshare", "--net", "true"]].allSatisfy { (try? run($0).status) == 0 }
    }()

    /// Brings the nodes up, runs `body`, and always takes them down again. Test runs in other processes on this
    /// machine (another checkout's `swift test`) use the same namespaces, so they take turns through a lock file.
    static func withNodes(_ body: () throws -> Void) throws {
        let lock = open("/tmp/softprompt-simulated-nodes.lock", O_CREAT | O_RDWR, 0o600)
        guard lock >= 0 else { throw SimulatedNodesError.failed("cannot open the lock file", errno) }
        defer { close(lock) }
        let deadline = Date().addingTimeInterval(600)
        while flock(lock, LOCK_EX | LOCK_NB) != 0 {
            guard Date() < deadline else { throw SimulatedNodesError.failed("simulated nodes busy for 10 minutes", 0) }
            Thread.sleep(forTimeInterval: 0.5)
        }
        defer { _ = try? run([script, "down"]) }
        let up = try run([script, "up", String(nodes.count)])
        guard up.status == 0 else { throw SimulatedNodesError.failed("simulated-nodes up: \(up.output)", up.status) }
        try body()
    }

    /// Final θ of the 12-step demo run of MPIEquivalenceTests (global batch 8, so 2 examples a rank) under `launch`.
    static func theta(launching launch: [String]) throws -> [Float] {
        let job = try LaunchedJob(launch: launch, steps: 12)
        defer { job.stop() }
        guard let end = job.wait(upTo: 300), end.status == 0 else {
            throw SimulatedNodesError.failed("launch \(launch.joined(separator: " ")):\n\(job.log)", -1)
        }
        return try SafetensorsFile(url: job.output.appendingPathComponent("theta.safetensors")).tensor("theta").toArray()
    }

    /// SIGKILLs every process inside the node, as if it lost power; returns their ids.
    static func killNode(_ node: String) throws -> [pid_t] {
        let listed = try run(["ip", "netns", "pids", node])
        let pids = listed.output.split(whereSeparator: \.isWhitespace).compactMap { pid_t($0) }
        for pid in pids { kill(pid, SIGKILL) }
        return pids
    }

    /// What still runs of a job: anything inside a node, and any process (mpirun, a rank) naming its output folder.
    static func leftovers(of job: LaunchedJob) -> [String] {
        var found: [String] = []
        for node in nodes {
            let pids = (try? run(["ip", "netns", "pids", node]).output) ?? ""
            found += pids.split(whereSeparator: \.isWhitespace).map { "\(node): pid \($0)" }
        }
        let proc = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for pid in proc where Int32(pid) != nil {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
            let command = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\0", with: " ")
            if command.contains(job.output.path) { found.append("pid \(pid): \(command)") }
        }
        return found
    }

    /// Runs a short command (through PATH, with the sbin folders where `ip` may live) and collects its output.
    @discardableResult
    static func run(_ argv: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = (environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin"
        process.environment = environment
        process.arguments = argv
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}

/// One `softprompt launch … -- train` (the demo task on the tiny BERT) running in the background, its stdout and
/// stderr in a log file, its output folder unique. Whatever happens, `stop()` ends it and removes both.
final class LaunchedJob {
    let output: URL
    private let logFile: URL
    private let process = Process()
    private let started = Date()

    /// `train`: more options for `train`, after the common ones.
    init(launch: [String], steps: Int, train extra: [String] = []) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("simulated-nodes-\(UUID().uuidString)")
        output = base.appendingPathComponent("run")
        logFile = base.appendingPathComponent("launch.log")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        try Data().write(to: logFile)
        guard let binary = SimulatedNodes.binary else { throw SimulatedNodesError.failed("no softprompt binary", -1) }
        let train = ["train", "--model", MPIRun.packageRoot.appendingPathComponent("Tests/SoftPromptModelsTests/Fixtures/tiny-bert").path,
                     "--task", "demo", "--steps", String(steps), "--batch-size", "8", "--prompt-length", "4",
                     "--max-length", "36", "--prompt-init", "random", "--lr", "0.05", "--eval-every", "0",
                     "--output", output.path] + extra
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["launch"] + launch + ["--"] + train
        process.currentDirectoryURL = MPIRun.packageRoot
        let log = try FileHandle(forWritingTo: logFile)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try? log.close()
    }

    /// Everything the launcher, mpirun and the ranks printed so far.
    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// Waits until rank 0 has logged training step `step` (or a later one).
    func waitForTraining(upTo seconds: TimeInterval, step: Int = 1) throws {
        let metrics = output.appendingPathComponent("metrics.jsonl")
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let text = try? String(contentsOf: metrics, encoding: .utf8), Self.lastStep(in: text) >= step { return }
            guard process.isRunning else { throw SimulatedNodesError.failed("the launch ended before training step \(step):\n\(log)", process.terminationStatus) }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw SimulatedNodesError.failed("no training step \(step) within \(Int(seconds)) s:\n\(log)", -1)
    }

    /// The highest step of the `train` events of a metrics log (0: none yet).
    static func lastStep(in metrics: String) -> Int {
        metrics.split(separator: "\n").filter { $0.contains("\"event\":\"train\"") }.compactMap { line -> Int? in
            guard let range = line.range(of: "\"step\":") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }.max() ?? 0
    }

    /// The final θ and the summary of a completed run.
    func theta() throws -> [Float] {
        try SafetensorsFile(url: output.appendingPathComponent("theta.safetensors")).tensor("theta").toArray()
    }

    func summary() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: output.appendingPathComponent("summary.json"))) as? [String: Any] ?? [:]
    }

    /// The launcher's exit status and run time, or nil when it still runs after `seconds`.
    func wait(upTo seconds: TimeInterval) -> (status: Int32, seconds: TimeInterval)? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            guard Date() < deadline else { return nil }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return (process.terminationStatus, Date().timeIntervalSince(started))
    }

    /// Ends the job if it still runs (SIGTERM, which the launcher forwards to mpirun, then SIGKILL) and removes
    /// its files. Whatever survives in a node is killed by `simulated-nodes down`.
    func stop() {
        if process.isRunning {
            process.terminate()
            if wait(upTo: 15) == nil { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: output.deletingLastPathComponent())
    }
}

enum SimulatedNodesError: Error { case failed(String, Int32) }
