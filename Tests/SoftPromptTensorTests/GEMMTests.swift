import SoftPromptTensor
import SoftPromptTestSupport
import Testing

@Suite struct GEMMTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func rowMajorProductWithTranspositionsMatchesNaive(transposeA: Bool, transposeB: Bool) {
        let (m, n, k) = (5, 3, 7)
        let a = randomValues(m * k, seed: 1), b = randomValues(k * n, seed: 2)
        // Stored as op(A) (m,k) when not transposed, (k,m) when transposed; same for B.
        func aAt(_ i: Int, _ p: Int) -> Double { transposeA ? a[p * m + i] : a[i * k + p] }
        func bAt(_ p: Int, _ j: Int) -> Double { transposeB ? b[j * k + p] : b[p * n + j] }
        var c = [Double](repeating: 1, count: m * n)
        gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 2,
             a: a, lda: transposeA ? m : k, b: b, ldb: transposeB ? k : n, beta: 0.5, c: &c, ldc: n)
        var expected = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { expected[i * n + j] = 0.5 + 2 * (0..<k).reduce(0) { $0 + aAt(i, $1) * bAt($1, j) } } }
        #expect(relativeError(c, expected) < 1e-14)
    }

    @Test func oneBLASThreadCanBeSet() {
        BLAS.useOneThread()
        #expect(BLAS.threadCount == 1)
    }

    @Test func genericOpenBLASKernelsAreReplacedOnCPUsWithFasterOnes() {
        let avx512: Set = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]
        #expect(BLAS.fasterCoreType(cpuFlags: avx512, current: "Prescott") == "SkylakeX")
        #expect(BLAS.fasterCoreType(cpuFlags: ["avx2", "fma"], current: "Prescott") == "Haswell")
        #expect(BLAS.fasterCoreType(cpuFlags: ["sse3"], current: "Prescott") == nil)
        #expect(BLAS.fasterCoreType(cpuFlags: avx512, current: "SkylakeX") == nil)
        #expect(BLAS.fasterCoreType(cpuFlags: avx512, current: "Zen") == nil)
    }
}
