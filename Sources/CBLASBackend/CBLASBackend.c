#define _GNU_SOURCE  // RTLD_DEEPBIND
#include "CBLASBackend.h"

#include <cblas.h>
#include <dlfcn.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

// cblas_sgemm's and cblas_dgemm's type. MKL's take the same arguments with the same CBLAS enum values, so one
// pointer per product serves either library.
typedef void (*sgemm_function)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint, blasint,
                               blasint, float, const float *, blasint, const float *, blasint, float, float *, blasint);
typedef void (*dgemm_function)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint, blasint,
                               blasint, double, const double *, blasint, const double *, blasint, double, double *,
                               blasint);

// OpenBLAS's until softprompt_blas_load_mkl, once at start-up; read by every product after: no lock needed.
static sgemm_function serving_sgemm = cblas_sgemm;
static dgemm_function serving_dgemm = cblas_dgemm;
static char mkl_version[256] = "";

static enum CBLAS_TRANSPOSE operation(int transposed) { return transposed ? CblasTrans : CblasNoTrans; }

void softprompt_sgemm(int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                      const float *b, int ldb, float beta, float *c, int ldc) {
    serving_sgemm(CblasRowMajor, operation(transA), operation(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void softprompt_dgemm(int transA, int transB, int m, int n, int k, double alpha, const double *a, int lda,
                      const double *b, int ldb, double beta, double *c, int ldc) {
    serving_dgemm(CblasRowMajor, operation(transA), operation(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void softprompt_openblas_sgemm(int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                               const float *b, int ldb, float beta, float *c, int ldc) {
    cblas_sgemm(CblasRowMajor, operation(transA), operation(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
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
    serving_sgemm = sgemm;
    serving_dgemm = dgemm;
    return 0;
}

int softprompt_blas_uses_mkl(void) { return serving_sgemm != cblas_sgemm; }

const char *softprompt_blas_mkl_version(void) { return mkl_version; }
