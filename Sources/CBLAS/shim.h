// Debian's libopenblas-dev puts cblas.h (with openblas_set_num_threads) on the pkg-config include path.
#include <cblas.h>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
/// Flush-to-zero and denormals-are-zero for this thread's SSE/AVX arithmetic.
static inline void softprompt_flush_denormals(void) { _mm_setcsr(_mm_getcsr() | 0x8040); }
#else
static inline void softprompt_flush_denormals(void) {}
#endif
