import Foundation
import SoftPromptTestSupport
import Testing

/// The binary's choice of BLAS (SOFTPROMPT_BLAS, SOFTPROMPT_MKL_LIBRARY): a refused setting stops the command
/// with a message that names it, and MKL, where scripts/setup installed it, trains to OpenBLAS's result and keeps
/// the N-ranks == 1-rank equivalence and the bit-identical reruns.
@Suite(.serialized, .enabled(if: MPIRun.binary != nil, "needs mpirun on PATH and a built softprompt (scripts/setup)"))
struct BLASCommandTests {
    static let sgemm = ["bench", "--sgemm", "--shape", "16,16,16", "--json"]

    /// Where scripts/setup installs MKL (Intel CPUs only).
    static let installedMKL: String? = {
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache")
        let path = cache + "/softprompt/mkl/lib/libmkl_rt.so.2"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }()

    @Test func anUnknownSettingStopsTheCommandAndSaysWhatItTakes() throws {
        let (status, _, error) = try T5CommandTests.capture(Self.sgemm, environment: ["SOFTPROMPT_BLAS": "atlas"])
        #expect(status != 0)
        #expect(error.contains("SOFTPROMPT_BLAS must be auto, openblas or mkl; got \"atlas\""))
    }

    @Test func anMKLThatCannotBeLoadedIsNamedNeverReplaced() throws {
        let missing = "/nonexistent/libmkl_rt.so.2"
        let (status, _, error) = try T5CommandTests.capture(Self.sgemm, environment: ["SOFTPROMPT_BLAS": "mkl",
                                                                                      "SOFTPROMPT_MKL_LIBRARY": missing])
        #expect(status != 0)
        #expect(error.contains("\(missing): no such file"))

        let notALibrary = FileManager.default.temporaryDirectory.appendingPathComponent("libmkl_rt-\(UUID().uuidString).so.2")
        try Data("not a shared library".utf8).write(to: notALibrary)
        defer { try? FileManager.default.removeItem(at: notALibrary) }
        let (status2, _, error2) = try T5CommandTests.capture(Self.sgemm, environment: ["SOFTPROMPT_MKL_LIBRARY": notALibrary.path])
        #expect(status2 != 0)
        #expect(error2.contains("cannot load \(notALibrary.path)"))
    }

    @Test func commandsThatComputeNoProductsNeverLoadABLAS() throws {
        let broken = ["SOFTPROMPT_BLAS": "mkl", "SOFTPROMPT_MKL_LIBRARY": "/nonexistent/libmkl_rt.so.2"]
        let (status, output, error) = try T5CommandTests.capture(["inspect", "--model", BenchCommandTests.model], environment: broken)
        #expect(status == 0, "inspect reads files only, so the MKL it cannot load does not stop it: \(error)")
        #expect(output.contains("hidden"))
        let (benchStatus, _, _) = try T5CommandTests.capture(Self.sgemm, environment: broken)
        #expect(benchStatus != 0, "bench computes products, so the same setting stops it")
    }

    @Test func openblasServesWhenAskedAndReportsItself() throws {
        let report = try T5CommandTests.json(Self.sgemm, environment: ["SOFTPROMPT_BLAS": "openblas"])
        #expect((report["blas"] as? String)?.hasPrefix("OpenBLAS ") == true)
        #expect(report["openblas_best_gflops"] == nil)
    }

    @Test(.enabled(if: installedMKL != nil, "oneMKL is not installed (scripts/setup installs it on Intel CPUs)"))
    func mklServesAndReportsOpenBLASsRateBeside() throws {
        let report = try T5CommandTests.json(Self.sgemm, environment: ["SOFTPROMPT_BLAS": "mkl"])
        #expect((report["blas"] as? String)?.hasPrefix("MKL 20") == true)
        #expect((report["openblas_best_gflops"] as? Double ?? 0) > 0)
        let step = try T5CommandTests.json(["bench"] + BenchCommandTests.shape, environment: ["SOFTPROMPT_BLAS": "mkl"])
        let gflops = try #require(step["gflops"] as? Double), openBLAS = try #require(step["openblas_sgemm_gflops"] as? Double)
        #expect(abs((step["mfu_openblas"] as? Double ?? 0) - gflops / openBLAS) < 1e-12)
    }

    @Test(.enabled(if: installedMKL != nil, "oneMKL is not installed (scripts/setup installs it on Intel CPUs)"))
    func aRunRecordsTheLibraryItRanOn() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("blas-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        try T5CommandTests.run(["launch", "--np", "2", "--", "train", "--model", BenchCommandTests.model, "--task", "demo",
                                "--steps", "1", "--batch-size", "4", "--prompt-length", "4", "--max-length", "36", "--eval-every", "0",
                                "--output", output.path])
        let config = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: output.appendingPathComponent("config.json"))) as? [String: Any])
        #expect((config["blas"] as? String)?.hasPrefix("MKL 20") == true)
    }

    @Test(.enabled(if: installedMKL != nil, "oneMKL is not installed (scripts/setup installs it on Intel CPUs)"))
    func theLauncherHandsItsChoiceToEveryRank() throws {
        let command = try T5CommandTests.capture(["launch", "--np", "2", "--dry-run", "--", "train", "--task", "demo"],
                                                 unsetting: ["SOFTPROMPT_BLAS"]).output
        #expect(command.contains("-x SOFTPROMPT_BLAS=mkl"), "\(command)")
    }

    @Test(.enabled(if: installedMKL != nil, "oneMKL is not installed (scripts/setup installs it on Intel CPUs)"))
    func everyRankOfASelfTestSaysItRunsOnMKL() throws {
        let output = try T5CommandTests.run(["launch", "--np", "2", "--", "selftest"])
        let lines = output.split(separator: "\n").filter { $0.contains("allreduce, allgather, broadcast, barrier ok") }
        #expect(lines.count == 2, "\(output)")
        #expect(lines.allSatisfy { $0.contains("(MKL 20") }, "\(output)")
    }

    @Test(.enabled(if: installedMKL != nil, "oneMKL is not installed (scripts/setup installs it on Intel CPUs)"))
    func trainingOnMKLReachesOpenBLASsResultAndKeepsTheRankEquivalence() throws {
        let mkl = ["SOFTPROMPT_BLAS": "mkl"]
        let openBLAS = try MPIRun.train(ranks: 1, environment: ["SOFTPROMPT_BLAS": "openblas"])
        let one = try MPIRun.train(ranks: 1, environment: mkl)
        #expect(relativeError(one.doubles, openBLAS.doubles) < 1e-4)
        let two = try MPIRun.train(ranks: 2, environment: mkl)
        #expect(relativeError(two.doubles, one.doubles) < 1e-6)
        #expect(try MPIRun.train(ranks: 2, environment: mkl) == two)
    }
}
