// Debian's libopenblas-dev puts cblas.h (with openblas_set_num_threads) on the pkg-config include path.
#include <cblas.h>
