// The fast path of permute on the CPU where it is a batch of 2-D transposes: one output axis `a` reads x's
// innermost axis (x stride 1) and y's innermost axis reads x at stride `step` (e.g. [B, C, HW] <-> [B, HW, C], the
// token <-> map conversions of the Mix Transformer and the UNet's attention). shape.cpp's row gather reads one
// float per load at stride `step`; here 16 x 16 tiles go through registers: 16 loads along x's rows, the 64-shuffle
// transpose, 16 stores along y's rows (masked at the edges). A transpose moves floats, so results are identical.
#include <algorithm>
#include <cstdint>
#include "core/dispatch.h"
#include "cpu/cpu_features.h"
#include "cpu/shape_math.h"

#if defined(__x86_64__)
#include "cpu/vmath_avx512.h"
#endif

namespace dml::cpu {

#if defined(__x86_64__)
namespace {

// In place: r[i] lane j <- r[j] lane i.
DML_VMATH_TARGET inline void transpose16(__m512 r[16]) {
    __m512 t[16], u[16];
    for (int i = 0; i < 8; ++i) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; ++i) {
        u[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        u[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int h = 0; h < 2; ++h)
        for (int i = 0; i < 4; ++i) {
            t[8 * h + i] = _mm512_shuffle_f32x4(u[8 * h + i], u[8 * h + 4 + i], 0x88);
            t[8 * h + 4 + i] = _mm512_shuffle_f32x4(u[8 * h + i], u[8 * h + 4 + i], 0xdd);
        }
    for (int i = 0; i < 8; ++i) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
        r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xdd);
    }
}

// y[i * ys + k] = x[i + k * step] for i < ni, k < nk (one tile, ni, nk <= 16).
DML_VMATH_TARGET inline void tile(const float* x, int64_t step, float* y, int64_t ys, int64_t ni, int64_t nk) {
    __m512 r[16];
    const __mmask16 mi = vmath::first_lanes(ni), mk = vmath::first_lanes(nk);
    for (int64_t k = 0; k < 16; ++k) r[k] = k < nk ? _mm512_maskz_loadu_ps(mi, x + k * step) : _mm512_setzero_ps();
    transpose16(r);
    for (int64_t i = 0; i < ni; ++i) _mm512_mask_storeu_ps(y + i * ys, mk, r[i]);
}

}  // namespace

bool permute_avx512_transpose(const float* x, float* y, const shape::PermuteGeometry& g) {
    const int rank = g.rank, last = rank - 1;
    if (rank < 2 || g.stride[last] == 1 || !has_avx512f()) return false;
    int a = -1;
    for (int j = 0; j < last; ++j)
        if (g.stride[j] == 1 && g.out_shape[j] > 1) a = j;
    if (a < 0) return false;
    int64_t ystride[shape::kMaxPermuteRank];
    ystride[last] = 1;
    for (int j = last - 1; j >= 0; --j) ystride[j] = ystride[j + 1] * g.out_shape[j + 1];
    const int64_t na = g.out_shape[a], nl = g.out_shape[last], step = g.stride[last], ys = ystride[a];
    const int64_t ta = (na + 15) / 16, tl = (nl + 15) / 16, blocks = g.n / (na * nl), items = blocks * ta * tl;
#pragma omp parallel for schedule(static) if (g.n > 32768)
    for (int64_t it = 0; it < items; ++it) {
        const int64_t kt = it % tl, at = it / tl % ta;
        int64_t rem = it / (ta * tl), xo = 0, yo = 0;
        for (int j = last - 1; j >= 0; --j) {  // the other output axes of block `rem`
            if (j == a) continue;
            const int64_t cj = rem % g.out_shape[j];
            rem /= g.out_shape[j];
            xo += cj * g.stride[j];
            yo += cj * ystride[j];
        }
        const int64_t i0 = at * 16, k0 = kt * 16;
        tile(x + xo + i0 + k0 * step, step, y + yo + i0 * ys + k0, ys, std::min<int64_t>(16, na - i0),
             std::min<int64_t>(16, nl - k0));
    }
    return true;
}
#else
bool permute_avx512_transpose(const float*, float*, const shape::PermuteGeometry&) { return false; }
#endif

}  // namespace dml::cpu
