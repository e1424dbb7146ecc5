import Foundation
import SoftPromptCheckpoint
import SoftPromptTestSupport
import Testing

/// Never lose a run (M7), under real mpirun on the tiny BERT: a killed rank, a torn checkpoint and a hung rank
/// all end in the θ of an uninterrupted run, bit for bit; a checkpoint of another world size is refused.
@Suite(.serialized, .enabled(if: MPIRun.binary != nil, "needs mpirun on PATH and a built softprompt (scripts/setup)"))
struct FaultToleranceTests {
    static let arguments = ["--task", "demo", "--steps", "12", "--batch-size", "6", "--prompt-length", "4", "--max-length", "36",
                            "--prompt-init", "random", "--lr", "0.05", "--eval-every", "4", "--checkpoint-every", "3"]

    struct Run {
        var status: Int32
        var output: URL
        var log: String
        func summary() throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(contentsOf: output.appendingPathComponent("summary.json"))) as! [String: Any]
        }
        func theta() throws -> [Float] {
            try SafetensorsFile(url: output.appendingPathComponent("theta.safetensors")).tensor("theta").toArray()
        }
    }

    /// `softprompt [launch …] -- train …` into a fresh (or the given) output folder; stdout and stderr kept.
    static func run(launch: [String]?, train extra: [String] = [], environment: [String: String] = [:],
                    output: URL? = nil) throws -> Run {
        let output = output ?? FileManager.default.temporaryDirectory.appendingPathComponent("fault-\(UUID().uuidString)")
        let train = ["train", "--model", MPIRun.packageRoot.appendingPathComponent("Tests/SoftPromptModelsTests/Fixtures/tiny-bert").path]
            + arguments + extra + ["--output", output.path]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: MPIRun.binary!)
        process.arguments = launch.map { ["launch"] + $0 + ["--"] + train } ?? train
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("fault-log-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        // Nothing here may hang the test run: a job still alive after two minutes is killed.
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline { usleep(100_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try handle.close()
        return Run(status: process.terminationStatus, output: output,
                   log: (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    static let clean: Run? = try? run(launch: ["--np", "2"])

    @Test func aRankKilledMidRunIsRestartedAndTheRunEndsBitIdentical() throws {
        let clean = try #require(Self.clean)
        let faulty = try Self.run(launch: ["--np", "2", "--max-restarts", "2"],
                                  environment: ["SOFTPROMPT_FAULT": "rank=1,step=7,signal=KILL,restart=0"])
        #expect(faulty.status == 0, "\(faulty.log)")
        #expect(faulty.log.contains("restart 1/2 from the newest complete checkpoint: rank 1"), "\(faulty.log)")
        #expect(try faulty.theta() == clean.theta())
        let summary = try faulty.summary()
        #expect(summary["restarts"] as? Int == 1)
        #expect(summary["resumed_from_step"] as? Int == 6)
        #expect(summary["theta_sha256"] as? String == (try clean.summary())["theta_sha256"] as? String)
        // The resumed run's metrics log holds each step once.
        let steps = try String(contentsOf: faulty.output.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").filter { $0.contains("\"event\":\"train\"") }
        #expect(steps.count == 12)
    }

    @Test func aTruncatedNewestCheckpointIsSkippedForThePreviousOne() throws {
        let clean = try #require(Self.clean)
        let partial = try Self.run(launch: ["--np", "2"], train: ["--steps", "9"])
        #expect(partial.status == 0)
        let newest = partial.output.appendingPathComponent("checkpoints/step-00000009/state.safetensors")
        let size = try FileManager.default.attributesOfItem(atPath: newest.path)[.size] as! Int
        let handle = try FileHandle(forWritingTo: newest)
        try handle.truncate(atOffset: UInt64(size / 2))
        try handle.close()
        let resumed = try Self.run(launch: ["--np", "2"], train: ["--resume", "auto"], output: partial.output)
        #expect(resumed.status == 0, "\(resumed.log)")
        #expect(resumed.log.contains("skipping \(partial.output.path)/checkpoints/step-00000009"), "\(resumed.log)")
        #expect(resumed.log.contains("resumed from \(partial.output.path)/checkpoints/step-00000006 at step 6"))
        #expect(try resumed.theta() == clean.theta())
    }

    @Test func aHungRankIsDetectedByTheTimeoutAndTheJobRestarted() throws {
        let clean = try #require(Self.clean)
        let started = Date()
        let hung = try Self.run(launch: ["--np", "2", "--max-restarts", "1", "--timeout", "5"],
                                environment: ["SOFTPROMPT_FAULT": "rank=0,step=5,signal=hang,restart=0"])
        #expect(hung.status == 0, "\(hung.log)")
        #expect(hung.log.contains("no progress from any rank for 5 s (hung)"), "\(hung.log)")
        #expect(Date().timeIntervalSince(started) < 90)
        #expect(try hung.theta() == clean.theta())
    }

    @Test func resumingWithAnotherWorldSizeIsRefusedWithAClearMessage() throws {
        let two = try Self.run(launch: ["--np", "2"], train: ["--steps", "6"])
        #expect(two.status == 0)
        let one = try Self.run(launch: nil, train: ["--resume", "auto"], output: two.output)
        #expect(one.status != 0)
        #expect(one.log.contains("cannot resume this run from it: it was written by 2 rank(s) and this run has 1; resume with --np 2"),
                "\(one.log)")
    }

    @Test func withoutRestartsAKilledRankFailsTheJobAndIsNamed() throws {
        let failed = try Self.run(launch: ["--np", "2"], environment: ["SOFTPROMPT_FAULT": "rank=1,step=3,signal=KILL"])
        #expect(failed.status != 0)
        #expect(failed.log.contains("the job failed with exit status"), "\(failed.log)")
        #expect(failed.log.contains("rank 1"), "\(failed.log)")
    }
}
