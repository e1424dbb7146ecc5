// Debian's libopenblas-dev puts cblas.h (with openblas_set_num_threads) on the pkg-config include path.
#include <cblas.h>
#include <stdio.h>

/// Standard output line-buffered (Swift 6 cannot name the `stdout` global safely).
static inline void softprompt_line_buffer_stdout(void) { setvbuf(stdout, NULL, _IOLBF, 0); }

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
/// Flush-to-zero and denormals-are-zero for this thread's SSE/AVX arithmetic.
static inline void softprompt_flush_denormals(void) { _mm_setcsr(_mm_getcsr() | 0x8040); }
#else
static inline void softprompt_flush_denormals(void) {}
#endif
