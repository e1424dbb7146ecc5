import CBLASBackend
import RealModule

/// The element types the kernels are written for. Production runs use `Float`; the gradient checks run the
/// very same kernel code in `Double`, so finite differences can be accurate to 1e-6 and beyond.
public protocol KernelScalar: Real, BinaryFloatingPoint, Sendable {
    /// Row-major C[m,n] = alpha · op(A) · op(B) + beta · C through the BLAS that serves (see `BLAS.library`).
    static func blasGEMM(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                         alpha: Self, a: UnsafePointer<Self>, lda: Int,
                         b: UnsafePointer<Self>, ldb: Int,
                         beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
}

extension Float: KernelScalar {
    @inlinable
    public static func blasGEMM(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                                alpha: Float, a: UnsafePointer<Float>, lda: Int,
                                b: UnsafePointer<Float>, ldb: Int,
                                beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        softprompt_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(m), Int32(n), Int32(k),
                         alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension Double: KernelScalar {
    @inlinable
    public static func blasGEMM(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                                alpha: Double, a: UnsafePointer<Double>, lda: Int,
                                b: UnsafePointer<Double>, ldb: Int,
                                beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        softprompt_dgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(m), Int32(n), Int32(k),
                         alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
