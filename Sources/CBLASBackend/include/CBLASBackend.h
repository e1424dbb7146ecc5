#ifndef SOFTPROMPT_CBLAS_BACKEND_H
#define SOFTPROMPT_CBLAS_BACKEND_H

// Which library serves SoftPrompt's matrix products. OpenBLAS is linked and serves by default; Intel's
// oneMKL can be loaded at run time (dlopen, so the build never needs it) and then serves every product.
// Switch once at start-up, before the first product and before any thread starts.

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Row-major C[m,n] = alpha · op(A)[m,k] · op(B)[k,n] + beta · C, by the library that serves now.
/// transA / transB: 0 for op(X) = X, 1 for op(X) = Xᵀ.
void softprompt_sgemm(int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                      const float *b, int ldb, float beta, float *c, int ldc);
void softprompt_dgemm(int transA, int transB, int m, int n, int k, double alpha, const double *a, int lda,
                      const double *b, int ldb, double beta, double *c, int ldc);

/// The same product by OpenBLAS, whichever library serves (the reference rate a benchmark reports beside MKL's).
void softprompt_openblas_sgemm(int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                               const float *b, int ldb, float beta, float *c, int ldc);

/// Loads oneMKL's single dynamic library (libmkl_rt.so.2) from `path`, sequential (one thread: ranks are the
/// parallelism) and in strict reproducibility mode (results independent of the operands' alignment), and makes
/// it serve every product. Returns 0 on success; otherwise 1 and a message in `message`, and OpenBLAS keeps
/// serving.
int softprompt_blas_load_mkl(const char *path, char *message, size_t capacity);

/// 1 when MKL serves, 0 when OpenBLAS does.
int softprompt_blas_uses_mkl(void);

/// MKL's version string ("Intel(R) oneAPI Math Kernel Library Version 2025.3 …") when MKL serves; else "".
const char *softprompt_blas_mkl_version(void);

#ifdef __cplusplus
}
#endif

#endif
