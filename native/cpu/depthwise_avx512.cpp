// The fast path of the depthwise convolution's forward on the CPU for stride-1 rows (the Mix-FFN's 3x3, the noise
// stem's SRM and energy 5x5): 16 outputs of a row in one vector accumulator, every tap an FMA from a masked load
// (lanes whose input column falls in the padding read 0), one store per 16 outputs. linalg.cpp keeps the
// row-axpy loop as the reference and for other strides and CPUs without AVX-512; ConvTest checks both against
// double precision.
#include <algorithm>
#include <cstdint>
#include "core/dispatch.h"
#include "cpu/cpu_features.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace dml::cpu {

#if defined(__x86_64__)
namespace {

__attribute__((target("avx512f,avx2,fma"))) void plane_forward(const float* xp, const float* wp, float b0, float* yp,
                                                               int64_t h, int64_t w, int64_t oh, int64_t ow,
                                                               int64_t kh, int64_t kw, int64_t sh, int64_t ph,
                                                               int64_t pw) {
    for (int64_t r = 0; r < oh; ++r) {
        float* yr = yp + r * ow;
        for (int64_t q = 0; q < ow; q += 16) {
            const int64_t lanes = std::min<int64_t>(16, ow - q);
            __m512 acc = _mm512_set1_ps(b0);
            for (int64_t i = 0; i < kh; ++i) {
                const int64_t ih = r * sh - ph + i;
                if (ih < 0 || ih >= h) continue;
                const float* xr = xp + ih * w;
                for (int64_t j = 0; j < kw; ++j) {
                    // input columns q + l - pw + j of lanes l in [0, lanes) that lie in [0, w)
                    const int64_t c0 = q - pw + j;
                    const int64_t lo = std::max<int64_t>(0, -c0), hi = std::min<int64_t>(lanes, w - c0);
                    if (hi <= lo) continue;
                    const __mmask16 m = static_cast<__mmask16>(((1u << (hi - lo)) - 1u) << lo);
                    const __m512 xv = _mm512_maskz_loadu_ps(m, xr + c0);
                    acc = _mm512_fmadd_ps(_mm512_set1_ps(wp[i * kw + j]), xv, acc);
                }
            }
            _mm512_mask_storeu_ps(yr + q, static_cast<__mmask16>((1u << lanes) - 1u), acc);
        }
    }
}

}  // namespace

bool depthwise_avx512_forward(const float* x, const float* wt, const float* bias, float* y, int64_t n, int64_t c,
                              int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                              int64_t pw) {
    if (sw != 1 || !has_avx512f()) return false;
    const int64_t oh = (h + 2 * ph - kh) / sh + 1, ow = w + 2 * pw - kw + 1;
    const int64_t planes = n * c;
#pragma omp parallel for schedule(static) if (planes * oh * ow * kh * kw > 32768)
    for (int64_t p = 0; p < planes; ++p) {
        const int64_t ci = p % c;
        plane_forward(x + p * h * w, wt + ci * kh * kw, bias ? bias[ci] : 0.f, y + p * oh * ow, h, w, oh, ow, kh, kw,
                      sh, ph, pw);
    }
    return true;
}
#else
bool depthwise_avx512_forward(const float*, const float*, const float*, float*, int64_t, int64_t, int64_t, int64_t,
                              int64_t, int64_t, int64_t, int64_t, int64_t, int64_t) {
    return false;
}
#endif

}  // namespace dml::cpu
