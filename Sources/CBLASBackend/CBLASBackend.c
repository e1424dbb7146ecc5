#define _GNU_SOURCE  // RTLD_DEEPBIND
#include "CBLASBackend.h"

#include <cblas.h>
#include <dlfcn.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef void (*sgemm_function)(int, int, int, int, int, int, float, const float *, int, const float *, int, float,
                               float *, int);
typedef void (*dgemm_function)(int, int, int, int, int, int, double, const double *, int, const double *, int,
                               double, double *, int);

// Set once at start-up (softprompt_blas_load_mkl), read by every product after: no lock needed.
static sgemm_function mkl_sgemm = NULL;
static dgemm_function mkl_dgemm = NULL;
static char mkl_version[256] = "";

// CBLAS's enum values, which MKL shares: row-major 101, no transpose 111, transpose 112.
enum { row_major = 101, no_transpose = 111, transpose = 112 };

void softprompt_openblas_sgemm(int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                               const float *b, int ldb, float beta, float *c, int ldc) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k,
                alpha, a, lda, b, ldb, beta, c, ldc);
}

void softprompt_sgemm(int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                      const float *b, int ldb, float beta, float *c, int ldc) {
    if (mkl_sgemm) {
        mkl_sgemm(row_major, transA ? transpose : no_transpose, transB ? transpose : no_transpose, m, n, k, alpha,
                  a, lda, b, ldb, beta, c, ldc);
    } else {
        softprompt_openblas_sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
}

void softprompt_dgemm(int transA, int transB, int m, int n, int k, double alpha, const double *a, int lda,
                      const double *b, int ldb, double beta, double *c, int ldc) {
    if (mkl_dgemm) {
        mkl_dgemm(row_major, transA ? transpose : no_transpose, transB ? transpose : no_transpose, m, n, k, alpha,
                  a, lda, b, ldb, beta, c, ldc);
    } else {
        cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k,
                    alpha, a, lda, b, ldb, beta, c, ldc);
    }
}

int softprompt_blas_load_mkl(const char *path, char *message, size_t capacity) {
    // DEEPBIND: MKL's own calls must bind to MKL, not to the OpenBLAS symbols (sgemm_, cblas_sgemm) that this
    // process already has in its global scope.
    void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!library) {
        snprintf(message, capacity, "cannot load %s: %s", path, dlerror());
        return 1;
    }
    int (*set_threading_layer)(int) = (int (*)(int))dlsym(library, "MKL_Set_Threading_Layer");
    void (*version)(char *, int) = (void (*)(char *, int))dlsym(library, "MKL_Get_Version_String");
    sgemm_function sgemm = (sgemm_function)dlsym(library, "cblas_sgemm");
    dgemm_function dgemm = (dgemm_function)dlsym(library, "cblas_dgemm");
    if (!set_threading_layer || !version || !sgemm || !dgemm) {
        snprintf(message, capacity, "%s is not oneMKL's libmkl_rt (no MKL_Set_Threading_Layer, "
                 "MKL_Get_Version_String, cblas_sgemm or cblas_dgemm in it)", path);
        dlclose(library);
        return 1;
    }
    // libmkl_rt loads its parts from its own folder at the first product, and exits the process when one is
    // missing: check them now, while a clear error is still possible.
    Dl_info info;
    if (dladdr((void *)sgemm, &info) && info.dli_fname) {
        char folder[4096];
        snprintf(folder, sizeof folder, "%s", info.dli_fname);
        const char *directory = dirname(folder);
        const char *parts[] = {"libmkl_core.so.2", "libmkl_sequential.so.2"};
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
            char part[4352];
            snprintf(part, sizeof part, "%s/%s", directory, parts[i]);
            if (access(part, R_OK) != 0) {
                snprintf(message, capacity, "%s was found but %s is missing beside it", info.dli_fname, part);
                dlclose(library);
                return 1;
            }
        }
    }
    // Before any other MKL call: the sequential layer (MKL_THREADING_SEQUENTIAL = 1) starts no threads and
    // needs no OpenMP runtime.
    const int sequential = 1;
    if (set_threading_layer(sequential) != sequential) {
        snprintf(message, capacity, "%s refused its sequential threading layer", path);
        dlclose(library);
        return 1;
    }
    // A rerun must reproduce the bits. MKL's kernels may round differently for operands at another memory
    // alignment, and malloc's alignment (Swift arrays) follows the heap's history: strict conditional numerical
    // reproducibility makes ?gemm independent of it, on the code path this CPU chose (AUTO).
    int (*set_reproducibility)(int) = (int (*)(int))dlsym(library, "MKL_CBWR_Set");
    const int automatic_strict = 2 | 0x10000;  // MKL_CBWR_AUTO | MKL_CBWR_STRICT
    if (!set_reproducibility || set_reproducibility(automatic_strict) != 0) {
        snprintf(message, capacity, "%s refused strict reproducibility (MKL_CBWR_Set(AUTO | STRICT))", path);
        dlclose(library);
        return 1;
    }
    version(mkl_version, (int)sizeof mkl_version);
    mkl_sgemm = sgemm;
    mkl_dgemm = dgemm;
    return 0;
}

int softprompt_blas_uses_mkl(void) { return mkl_sgemm != NULL; }

const char *softprompt_blas_mkl_version(void) { return mkl_version; }
