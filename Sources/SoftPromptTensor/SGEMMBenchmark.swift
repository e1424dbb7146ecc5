import CBLASBackend
import Foundation

/// Measures this machine's one-thread sgemm rate: the denominator of every MFU figure SoftPrompt reports.
public enum SGEMMBenchmark {
    public struct Result: Sendable {
        public let m: Int, n: Int, k: Int
        public let repeats: Int
        public let bestSeconds: Double
        public let medianSeconds: Double
        public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
        public var bestGFLOPS: Double { flops / bestSeconds / 1e9 }
        public var medianGFLOPS: Double { flops / medianSeconds / 1e9 }
    }

    /// C (m,n) = A (m,k) · B (n,k)ᵀ, the layout of a linear layer, on fixed uniform operands: what the rate is
    /// measured on, and what `bench --sgemm --ranks` repeats in lockstep.
    public final class Problem {
        public let m: Int, n: Int, k: Int
        let a: Tensor, b: Tensor, c: Tensor
        public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

        public init(m: Int, n: Int, k: Int) {
            (self.m, self.n, self.k) = (m, n, k)
            a = Tensor(zeros: [m, k])
            b = Tensor(zeros: [n, k])
            c = Tensor(zeros: [m, n])
            var rng = RandomStream(seed: 1)
            rng.fillUniform(a.buffer, low: -1, high: 1)
            rng.fillUniform(b.buffer, low: -1, high: 1)
        }

        /// One product on the serving BLAS, or with `openBLAS` on OpenBLAS even when MKL serves.
        public func run(openBLAS: Bool = false) {
            if openBLAS {
                softprompt_openblas_sgemm(0, 1, Int32(m), Int32(n), Int32(k), 1, a.pointer, Int32(k), b.pointer,
                                          Int32(k), 0, c.pointer, Int32(n))
            } else {
                gemm(transposeB: true, m: m, n: n, k: k, a: a.pointer, lda: k, b: b.pointer, ldb: k, c: c.pointer, ldc: n)
            }
        }
    }

    /// Times `Problem` after one warm-up call; BLAS must already be on one thread. `openBLAS`: time OpenBLAS even
    /// when MKL serves (the reference the M8 goals state MFU against).
    public static func measure(m: Int, n: Int, k: Int, repeats: Int, openBLAS: Bool = false) -> Result {
        let problem = Problem(m: m, n: n, k: k)
        problem.run(openBLAS: openBLAS)
        var times: [Double] = []
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            problem.run(openBLAS: openBLAS)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        return Result(m: m, n: n, k: k, repeats: times.count, bestSeconds: times[0], medianSeconds: median(times))
    }
}
