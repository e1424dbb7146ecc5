// One source for every kernel family: the bodies are written once on 16-float vectors (clang's vector
// extension) and inlined into three entry points with different target attributes, so the compiler emits
// zmm code for AVX-512, pairs of ymm for AVX2 and xmm quads for the baseline. Each family's exp is the same
// function in the forward softmax and its rebuild, which is what makes the rebuild bit-exact.
#include "CKernels.h"
#include <string.h>

// The bodies pass 16-float vectors between always-inlined helpers; no such value crosses a real call, so
// the ABI note clang gives for them in the non-AVX-512 families does not apply.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float v16 __attribute__((ext_vector_type(16)));
typedef int i16 __attribute__((ext_vector_type(16)));

#define BODY static inline __attribute__((always_inline))

BODY v16 splat(float x) { return (v16)x; }
BODY v16 load(const float *p) { v16 v; memcpy(&v, p, sizeof v); return v; }
BODY void store(float *p, v16 v) { memcpy(p, &v, sizeof v); }

/// The first n (< 16) floats of p, the other lanes `fill`.
BODY v16 load_partial(const float *p, long n, float fill) {
    float t[16];
    for (int i = 0; i < 16; i++) t[i] = i < n ? p[i] : fill;
    return load(t);
}

BODY void store_partial(float *p, v16 v, long n) {
    float t[16];
    store(t, v);
    for (long i = 0; i < n; i++) p[i] = t[i];
}

BODY float sum_lanes(v16 v) {
    v = v + v.s89abcdef01234567;
    v = v + v.s45670123456789ab;  // lanes 0..3 now hold the sums of lanes ≡ 0..3 mod 4 (and so on)
    return (v.s0 + v.s1) + (v.s2 + v.s3);
}

/// e^x as the Swift `fastExp`: relative error below 2e-7, 0 below −87.3.
BODY v16 exp16(v16 x) {
    v16 c = __builtin_elementwise_min(__builtin_elementwise_max(x, splat(-87.3f)), splat(88.7f));
    v16 shifted = c * 1.442695041f + 12582912.0f;  // n = round(c·log2 e) in the low mantissa bits
    v16 n = shifted - 12582912.0f;
    v16 r = c - n * 0.693359375f + n * 2.12194440e-4f;
    v16 p = splat(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    i16 bits = ((i16)shifted - 0x4B400000 + 127) << 23;
    v16 result = p * (v16)bits;
    i16 underflow = x < -87.3f;
    return (v16)((i16)result & ~underflow);
}

/// erf(x) as the Swift `fastErf`: absolute error below 1e-6.
BODY v16 erf16(v16 x) {
    v16 c = __builtin_elementwise_min(__builtin_elementwise_max(x, splat(-4.0f)), splat(4.0f));
    v16 x2 = c * c;
    v16 p = splat(-2.72614225801306e-10f);
    p = p * x2 + 2.77068142495902e-08f;
    p = p * x2 + -2.10102402082508e-06f;
    p = p * x2 + -5.69250639462346e-05f;
    p = p * x2 + -7.34990630326855e-04f;
    p = p * x2 + -2.95459980854025e-03f;
    p = p * x2 + -1.60960333262415e-02f;
    v16 q = splat(-1.45660718464996e-05f);
    q = q * x2 + -2.13374055278905e-04f;
    q = q * x2 + -1.68282697438203e-03f;
    q = q * x2 + -7.37332916720468e-03f;
    q = q * x2 + -1.42647390514189e-02f;
    return c * p / q;
}

BODY void softmax_body(float *p, long rows, long cols, float *statistics) {
    long full = cols & ~15L, tail = cols - full;
    for (long r = 0; r < rows; r++) {
        float *row = p + r * cols;
        v16 m = splat(-__builtin_inff());
        for (long j = 0; j < full; j += 16) m = __builtin_elementwise_max(m, load(row + j));
        if (tail) m = __builtin_elementwise_max(m, load_partial(row + full, tail, -__builtin_inff()));
        float maximum = __builtin_reduce_max(m);
        if (maximum == -__builtin_inff()) {
            memset(row, 0, (size_t)cols * sizeof(float));
            if (statistics) statistics[2 * r] = -__builtin_inff(), statistics[2 * r + 1] = 0;
            continue;
        }
        v16 s = splat(0);
        for (long j = 0; j < full; j += 16) {
            v16 e = exp16(load(row + j) - maximum);
            store(row + j, e);
            s += e;
        }
        if (tail) {
            v16 e = exp16(load_partial(row + full, tail, -__builtin_inff()) - maximum);
            store_partial(row + full, e, tail);
            s += e;
        }
        float inv = 1 / sum_lanes(s);
        for (long j = 0; j < full; j += 16) store(row + j, load(row + j) * inv);
        for (long j = full; j < cols; j++) row[j] *= inv;
        if (statistics) statistics[2 * r] = maximum, statistics[2 * r + 1] = inv;
    }
}

BODY void softmax_rebuilt_body(float *p, long rows, long cols, const float *statistics) {
    long full = cols & ~15L, tail = cols - full;
    for (long r = 0; r < rows; r++) {
        float *row = p + r * cols;
        float maximum = statistics[2 * r], inv = statistics[2 * r + 1];
        if (inv == 0) {
            memset(row, 0, (size_t)cols * sizeof(float));
            continue;
        }
        // exp, then × inv as a separate rounding: the forward's two steps, so the same bits.
        for (long j = 0; j < full; j += 16) {
            v16 e = exp16(load(row + j) - maximum);
            store(row + j, e * inv);
        }
        if (tail) {
            v16 e = exp16(load_partial(row + full, tail, -__builtin_inff()) - maximum);
            store_partial(row + full, e * inv, tail);
        }
    }
}

BODY void softmax_backward_body(float *ds, const float *p, long rows, long cols) {
    long full = cols & ~15L, tail = cols - full;
    for (long r = 0; r < rows; r++) {
        float *d = ds + r * cols;
        const float *y = p + r * cols;
        v16 s = splat(0);
        for (long j = 0; j < full; j += 16) s += load(d + j) * load(y + j);
        if (tail) s += load_partial(d + full, tail, 0) * load_partial(y + full, tail, 0);
        float dot = sum_lanes(s);
        for (long j = 0; j < full; j += 16) store(d + j, load(y + j) * (load(d + j) - dot));
        if (tail) {
            v16 v = load_partial(y + full, tail, 0) * (load_partial(d + full, tail, 0) - dot);
            store_partial(d + full, v, tail);
        }
    }
}

BODY v16 gelu_keeping_slope16(v16 f, v16 *slope) {
    v16 cdf = 0.5f * (1.0f + erf16(f * 0.70710678118654752440f));
    *slope = cdf + f * 0.39894228040143267794f * exp16(-0.5f * f * f);
    return f * cdf;
}

BODY void gelu_keeping_slope_body(float *out, float *x, const float *bias, long rows, long cols) {
    long full = cols & ~15L, tail = cols - full;
    for (long r = 0; r < rows; r++) {
        float *row = x + r * cols, *y = out + r * cols;
        v16 slope;
        for (long j = 0; j < full; j += 16) {
            v16 f = bias ? load(row + j) + load(bias + j) : load(row + j);
            store(y + j, gelu_keeping_slope16(f, &slope));
            store(row + j, slope);
        }
        if (tail) {
            v16 f = load_partial(row + full, tail, 0) + (bias ? load_partial(bias + full, tail, 0) : splat(0));
            store_partial(y + full, gelu_keeping_slope16(f, &slope), tail);
            store_partial(row + full, slope, tail);
        }
    }
}

#define FAMILY(NAME, TARGET)                                                                                    \
    TARGET static void softmax_##NAME(float *p, long rows, long cols, float *statistics) {  \
        softmax_body(p, rows, cols, statistics);                                           \
    }                                                                                                         \
    TARGET static void softmax_rebuilt_##NAME(float *p, long rows, long cols, const float *statistics) {       \
        softmax_rebuilt_body(p, rows, cols, statistics);                                                      \
    }                                                                                                         \
    TARGET static void softmax_backward_##NAME(float *ds, const float *p, long rows, long cols) {              \
        softmax_backward_body(ds, p, rows, cols);                                                             \
    }                                                                                                         \
    TARGET static void gelu_keeping_slope_##NAME(float *out, float *x, const float *bias, long rows, long cols) { \
        gelu_keeping_slope_body(out, x, bias, rows, cols);                                                    \
    }                                                                                                         \
    static const sp_kernel_family NAME = {sp_kernels_##NAME, softmax_##NAME,               \
                                          softmax_rebuilt_##NAME, softmax_backward_##NAME,                    \
                                          gelu_keeping_slope_##NAME};

FAMILY(baseline, )
FAMILY(avx2, __attribute__((target("avx2,fma"))))
FAMILY(avx512, __attribute__((target("avx512f"))))

static const sp_kernel_family *const families[] = {&baseline, &avx2, &avx512};
static sp_kernels_level best_level = sp_kernels_baseline;
static const sp_kernel_family *best = &baseline;

// Before main, so every later call sees one family (and the forward softmax and its rebuild the same one).
__attribute__((constructor)) static void choose_family(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) best_level = sp_kernels_avx512;
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best_level = sp_kernels_avx2;
    best = families[best_level];
}

sp_kernels_level sp_kernels_best(void) { return best_level; }

const sp_kernel_family *sp_kernels_family(sp_kernels_level level) {
    return families[level < best_level ? level : best_level];
}

void sp_softmax_rows(float *p, long rows, long cols, float *statistics) {
    best->softmax_rows(p, rows, cols, statistics);
}

void sp_softmax_rows_rebuilt(float *p, long rows, long cols, const float *statistics) {
    best->softmax_rows_rebuilt(p, rows, cols, statistics);
}

void sp_softmax_rows_backward(float *ds, const float *p, long rows, long cols) {
    best->softmax_rows_backward(ds, p, rows, cols);
}

void sp_gelu_keeping_slope(float *out, float *x, const float *bias, long rows, long cols) {
    best->gelu_keeping_slope(out, x, bias, rows, cols);
}
