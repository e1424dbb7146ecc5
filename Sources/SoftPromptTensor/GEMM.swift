import CBLAS

/// Row-major `C[m,n] = alpha · op(A)[m,k] · op(B)[k,n] + beta · C`, where op transposes when asked.
/// Every matrix product in SoftPrompt goes through here, and so through BLAS.
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

    /// The number of threads OpenBLAS will use.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }
}
