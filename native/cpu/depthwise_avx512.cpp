// The fast paths of the depthwise convolution on the CPU (the Mix-FFN's 3x3, the noise stem's SRM and energy 5x5):
// - forward, stride-1 rows: 16 outputs of a row in one vector accumulator, every tap an FMA from a masked load
//   (lanes whose input column falls in the padding read 0), one store per 16 outputs;
// - backward, stride 1 and padding below the kernel: the input gradient is the forward of dy with the flipped
//   kernel and padding k - 1 - p; the weight gradient keeps one vector accumulator per tap (at most 25) over a
//   plane's rows, each dy vector loaded once for all taps, and sums each plane's lanes into double.
// linalg.cpp keeps the row-axpy loops as the reference and for other geometries and CPUs without AVX-512; ConvTest
// checks both against double precision and finite differences.
#include <algorithm>
#include <cstdint>
#include <vector>
#include "core/dispatch.h"
#include "cpu/cpu_features.h"

#if defined(__x86_64__)
#include "cpu/vmath_avx512.h"
#endif

namespace dml::cpu {

#if defined(__x86_64__)
namespace {

// The lanes l < lanes of the vector at input column c0 whose column c0 + l lies in [0, w) (0: none).
inline __mmask16 tap_mask(int64_t c0, int64_t lanes, int64_t w) {
    const int64_t lo = std::max<int64_t>(0, -c0), hi = std::min<int64_t>(lanes, w - c0);
    return hi <= lo ? 0 : static_cast<__mmask16>(vmath::first_lanes(hi - lo) << lo);
}

DML_VMATH_TARGET void plane_forward(const float* xp, const float* wp, float b0, float* yp, int64_t h, int64_t w,
                                    int64_t oh, int64_t ow, int64_t kh, int64_t kw, int64_t sh, int64_t ph,
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
                    const int64_t c0 = q - pw + j;
                    const __mmask16 m = tap_mask(c0, lanes, w);
                    if (!m) continue;
                    acc = _mm512_fmadd_ps(_mm512_set1_ps(wp[i * kw + j]), _mm512_maskz_loadu_ps(m, xr + c0), acc);
                }
            }
            _mm512_mask_storeu_ps(yr + q, vmath::first_lanes(lanes), acc);
        }
    }
}

// dw[t] (t = i * kw + j) of one plane, added in double: sum over rows r, columns q of dy[r][q] x[r - ph + i][q - pw + j].
template <int KH, int KW>
DML_VMATH_TARGET void plane_weight_grad(const float* xp, const float* gp, int64_t h, int64_t w, int64_t oh, int64_t ow,
                                     int64_t ph, int64_t pw, double* dw) {
    __m512 acc[KH * KW];
    for (int t = 0; t < KH * KW; ++t) acc[t] = _mm512_setzero_ps();
    for (int64_t r = 0; r < oh; ++r) {
        const float* gr = gp + r * ow;
        for (int64_t q = 0; q < ow; q += 16) {
            const int64_t lanes = std::min<int64_t>(16, ow - q);
            const __m512 g = _mm512_maskz_loadu_ps(vmath::first_lanes(lanes), gr + q);
            for (int i = 0; i < KH; ++i) {
                const int64_t ih = r - ph + i;
                if (ih < 0 || ih >= h) continue;
                const float* xr = xp + ih * w;
                for (int j = 0; j < KW; ++j) {
                    const int64_t c0 = q - pw + j;
                    const __mmask16 m = tap_mask(c0, lanes, w);
                    if (!m) continue;
                    acc[i * KW + j] = _mm512_fmadd_ps(g, _mm512_maskz_loadu_ps(m, xr + c0), acc[i * KW + j]);
                }
            }
        }
    }
    for (int t = 0; t < KH * KW; ++t) dw[t] += _mm512_reduce_add_ps(acc[t]);
}

}  // namespace

bool depthwise_avx512_backward(const float* x, const float* wt, const float* dy, float* dx, float* dwt, int64_t n,
                               int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                               int64_t ph, int64_t pw) {
    const bool square = (kh == 3 && kw == 3) || (kh == 5 && kw == 5);
    if (sh != 1 || sw != 1 || ph >= kh || pw >= kw || !square || !has_avx512f()) return false;
    const int64_t oh = h + 2 * ph - kh + 1, ow = w + 2 * pw - kw + 1, planes = n * c, taps = kh * kw;
    const bool large = planes * oh * ow * taps > 32768;
    if (dx) {
        std::vector<float> flipped(c * taps);
        for (int64_t ci = 0; ci < c; ++ci)
            for (int64_t t = 0; t < taps; ++t) flipped[ci * taps + t] = wt[ci * taps + taps - 1 - t];
#pragma omp parallel for schedule(static) if (large)
        for (int64_t p = 0; p < planes; ++p)
            plane_forward(dy + p * oh * ow, flipped.data() + p % c * taps, 0.f, dx + p * h * w, oh, ow, h, w, kh, kw,
                          1, kh - 1 - ph, kw - 1 - pw);
    }
    if (dwt) {
#pragma omp parallel for schedule(static) if (large)
        for (int64_t ci = 0; ci < c; ++ci) {
            double dw[25] = {};
            for (int64_t b = 0; b < n; ++b) {
                const float* xp = x + (b * c + ci) * h * w;
                const float* gp = dy + (b * c + ci) * oh * ow;
                if (kh == 3)
                    plane_weight_grad<3, 3>(xp, gp, h, w, oh, ow, ph, pw, dw);
                else
                    plane_weight_grad<5, 5>(xp, gp, h, w, oh, ow, ph, pw, dw);
            }
            for (int64_t t = 0; t < taps; ++t) dwt[ci * taps + t] = static_cast<float>(dw[t]);
        }
    }
    return true;
}

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
bool depthwise_avx512_backward(const float*, const float*, const float*, float*, float*, int64_t, int64_t, int64_t,
                               int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t) {
    return false;
}
bool depthwise_avx512_forward(const float*, const float*, const float*, float*, int64_t, int64_t, int64_t, int64_t,
                              int64_t, int64_t, int64_t, int64_t, int64_t, int64_t) {
    return false;
}
#endif

}  // namespace dml::cpu
