// Float32 row kernels of the encoder's non-GEMM work, compiled three times (AVX-512, AVX2 + FMA, baseline
// SSE2) and chosen once at start-up by what the CPU supports. Swift can only target one instruction set per
// build, and the release build targets AVX2 so that it runs everywhere; these kernels let a machine with
// AVX-512 use it for the exp/erf-heavy rows (softmax, GELU), where the width doubles the throughput.
// All matrices are row-major with rows back to back (stride = cols).
#ifndef SOFTPROMPT_CKERNELS_H
#define SOFTPROMPT_CKERNELS_H

/// The instruction sets a kernel family is compiled for, best last.
typedef enum {
    sp_kernels_baseline = 0,
    sp_kernels_avx2 = 1,
    sp_kernels_avx512 = 2,
} sp_kernels_level;

/// The best level this CPU (and its OS) supports: the one the sp_* functions below run.
sp_kernels_level sp_kernels_best(void);

/// The kernels of one family, as function pointers with the signatures of the sp_* functions below.
typedef struct {
    sp_kernels_level level;
    void (*softmax_rows)(float *p, long rows, long cols, float *statistics);
    void (*softmax_rows_rebuilt)(float *p, long rows, long cols, const float *statistics);
    void (*softmax_rows_backward)(float *ds, const float *p, long rows, long cols);
    void (*gelu_keeping_slope)(float *out, float *x, const float *bias, long rows, long cols);
} sp_kernel_family;

/// The family compiled for `level`, or for the best level this CPU supports if that is lower: lets the tests
/// run every family this machine can.
const sp_kernel_family *sp_kernels_family(sp_kernels_level level);

/// Each row of p (rows,cols) := softmax of itself; statistics (rows,2), unless NULL, := (max, 1/Σ exp(x − max)).
/// A row of all −∞ becomes 0 with statistics (−∞, 0).
void sp_softmax_rows(float *p, long rows, long cols, float *statistics);

/// Each row of p (rows,cols) := exp(p − max)·inv from its statistics: bit for bit the probabilities
/// `sp_softmax_rows` gave for the same scores (same kernel family).
void sp_softmax_rows_rebuilt(float *p, long rows, long cols, const float *statistics);

/// The softmax backward in place: each row of ds (rows,cols) := p ⊙ (ds − Σ_j ds_j·p_j).
void sp_softmax_rows_backward(float *ds, const float *p, long rows, long cols);

/// out (rows,cols) = GELU(x + bias) (the exact, erf form) and x := GELU′(x + bias); bias (cols), or NULL for none.
void sp_gelu_keeping_slope(float *out, float *x, const float *bias, long rows, long cols);

#endif
