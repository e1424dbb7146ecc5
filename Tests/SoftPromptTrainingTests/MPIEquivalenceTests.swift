import Foundation
import SoftPromptCheckpoint
import SoftPromptTestSupport
import Testing

/// The whole command under real mpirun: `softprompt launch --np 2 -- train` on the tiny BERT (with its
/// character tokenizer) must reproduce `softprompt train` on one rank, and two 2-rank runs must agree bit for bit.
@Suite(.serialized, .enabled(if: MPIRun.binary != nil, "needs mpirun on PATH and a built softprompt (scripts/setup)"))
struct MPIEquivalenceTests {
    @Test func twoRanksUnderMpirunReproduceOneRank() throws {
        let one = try MPIRun.train(ranks: 1)
        let two = try MPIRun.train(ranks: 2)
        #expect(relativeError(two.doubles, one.doubles) < 1e-6)
    }

    @Test func twoRankRunsWithTheSameSeedAreBitIdentical() throws {
        #expect(try MPIRun.train(ranks: 2) == MPIRun.train(ranks: 2))
    }
}

enum MPIRun {
    static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return url
    }()

    /// The release binary scripts/setup builds (or a debug one), when mpirun is there to start it.
    static let binary: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard path.split(separator: ":").contains(where: { FileManager.default.isExecutableFile(atPath: "\($0)/mpirun") })
        else { return nil }
        return [".build/release/softprompt", ".build/debug/softprompt"].map { packageRoot.appendingPathComponent($0).path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Final θ of a 12-step demo-task run on the tiny BERT; `environment` is added to this process's.
    static func train(ranks: Int, environment: [String: String] = [:]) throws -> [Float] {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("mpi-equivalence-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let train = ["train", "--model", packageRoot.appendingPathComponent("Tests/SoftPromptModelsTests/Fixtures/tiny-bert").path,
                     "--task", "demo", "--steps", "12", "--batch-size", "6", "--prompt-length", "4", "--max-length", "36",
                     "--prompt-init", "random", "--lr", "0.05", "--eval-every", "0", "--output", output.path]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary!)
        process.arguments = ranks == 1 ? train : ["launch", "--np", String(ranks), "--"] + train
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw MPIRunError.failed(ranks, process.terminationStatus) }
        return try SafetensorsFile(url: output.appendingPathComponent("theta.safetensors")).tensor("theta").toArray()
    }
}

enum MPIRunError: Error, Equatable { case failed(Int, Int32) }
