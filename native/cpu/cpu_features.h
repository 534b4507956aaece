// What the CPU running this process can do, asked once, and the argument checks the CPU-only direct convolutions
// (conv3x3.cpp, conv7x7.cpp) share. The AVX-512 fast paths test has_avx512f() before they run.
#pragma once
#include <cstdint>
#include "core/dispatch.h"

namespace dml::cpu {

inline bool has_avx512f() {
#if defined(__x86_64__)
    static const bool has = __builtin_cpu_supports("avx512f");
    return has;
#else
    return false;
#endif
}

// DML_OK when a direct convolution `what` ("3x3", "7x7") can run op here: the CPU device, AVX-512, positive sizes.
inline int direct_conv_check(const char* op, const char* what, int dev, int64_t n, int64_t c, int64_t h, int64_t w,
                             int64_t o) {
    if (dev != DML_CPU || !has_avx512f())
        return fail(DML_ERR_ARGUMENT, "%s: the direct %s convolution needs the CPU device and AVX-512", op, what);
    if (n < 1 || c < 1 || h < 1 || w < 1 || o < 1)
        return fail(DML_ERR_ARGUMENT, "%s: sizes must be positive, got n=%lld c=%lld h=%lld w=%lld o=%lld", op,
                    (long long)n, (long long)c, (long long)h, (long long)w, (long long)o);
    return DML_OK;
}

}  // namespace dml::cpu
