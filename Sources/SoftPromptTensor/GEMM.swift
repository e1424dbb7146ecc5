import CBLAS

/// Row-major `C[m,n] = alpha · op(A)[m,k] · op(B)[k,n] + beta · C`, where op transposes when asked.
/// Every matrix product in SoftPrompt goes through here, and so through BLAS: OpenBLAS, or MKL once loaded
/// (`BLAS.select`).
@inlinable
public func gemm<S: KernelScalar>(transposeA: Bool = false, transposeB: Bool = false,
                                  m: Int, n: Int, k: Int, alpha: S = 1,
                                  a: UnsafePointer<S>, lda: Int,
                                  b: UnsafePointer<S>, ldb: Int,
                                  beta: S = 0, c: UnsafeMutablePointer<S>, ldc: Int) {
    if m == 0 || n == 0 { return }
    S.blasGEMM(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
               alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
}

/// Process-wide BLAS settings.
public enum BLAS {
    /// One BLAS thread per process: parallelism comes from MPI ranks, and a threaded BLAS inside every rank
    /// would oversubscribe the cores. Call once at start-up, before the first GEMM.
    public static func useOneThread() {
        openblas_set_num_threads(1)
    }

    /// The number of threads the serving BLAS will use (MKL is always loaded sequential).
    public static var threadCount: Int { library == .mkl ? 1 : Int(openblas_get_num_threads()) }
}

extension BLAS {
    /// The kernel family OpenBLAS picked at load time, e.g. "Haswell", "SkylakeX", "Prescott".
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// A faster OpenBLAS core type than the one in use, when this CPU has one; nil when the choice is already good.
    ///
    /// Debian 12's OpenBLAS (0.3.21) does not recognise recent Intel server CPUs and falls back to its
    /// generic SSE3 "Prescott" kernels: 4–5× slower sgemm than the AVX-512 ones the CPU can run. The core type
    /// is read from OPENBLAS_CORETYPE when the library loads, so the fix has to be an environment variable
    /// set before the process starts (see the CLI's start-up).
    public static func fasterCoreType(cpuFlags: Set<String>, current: String) -> String? {
        let generic: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "katmai",
                                    "coppermine", "northwood", "banias", "sandybridge", "unknown"]
        guard generic.contains(current.lowercased()) else { return nil }
        if cpuFlags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]) { return "SkylakeX" }
        if cpuFlags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }
}

extension BLAS {
    /// For benchmarks that compare with a multi-threaded baseline; training keeps one thread per rank.
    /// OpenBLAS only: MKL is loaded sequential.
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }
}
