import CKernels

/// The C row kernels (softmax, GELU) come in one family per instruction set; the best this CPU has runs.
public enum RowKernels {
    /// "AVX-512", "AVX2" or "SSE2": the family in use, for benchmark reports.
    public static var familyName: String {
        switch sp_kernels_best() {
        case sp_kernels_avx512: "AVX-512"
        case sp_kernels_avx2: "AVX2"
        default: "SSE2"
        }
    }
}
