import ArgumentParser
import Foundation
import SoftPromptTensor

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure performance; --sgemm measures this machine's one-thread sgemm rate (the MFU denominator).")

    @Flag(help: "Measure one-thread sgemm GFLOP/s.")
    var sgemm = false

    @Option(help: "Matrix sizes M,N,K for --sgemm (C[M,N] = A[M,K]·B[N,K]ᵀ).")
    var shape = "1024,1024,1024"

    @Option(help: "Timed repeats after one warm-up.")
    var repeats = 20

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard sgemm else {
            throw ValidationError("nothing to measure: pass --sgemm (model step benchmarks need a model and method)")
        }
        guard parsedShape != nil else { throw ValidationError("--shape must be three positive integers M,N,K, got \(shape)") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
    }

    private var parsedShape: (Int, Int, Int)? {
        let parts = shape.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, parts.allSatisfy({ $0 > 0 && $0 <= 16384 }) else { return nil }
        return (parts[0], parts[1], parts[2])
    }

    func run() throws {
        guard let (m, n, k) = parsedShape else { return }
        let result = SGEMMBenchmark.measure(m: m, n: n, k: k, repeats: repeats)
        if json {
            let object: [String: Any] = [
                "benchmark": "sgemm", "m": m, "n": n, "k": k, "repeats": result.repeats, "blas_threads": BLAS.threadCount, "blas_core": BLAS.coreName,
                "best_seconds": result.bestSeconds, "median_seconds": result.medianSeconds,
                "best_gflops": result.bestGFLOPS, "median_gflops": result.medianGFLOPS,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(String(format: "sgemm %d×%d×%d, %d BLAS thread, OpenBLAS core %@: best %.1f GFLOP/s, median %.1f GFLOP/s (%d repeats)",
                         m, n, k, BLAS.threadCount, BLAS.coreName, result.bestGFLOPS, result.medianGFLOPS, result.repeats))
        }
    }
}
