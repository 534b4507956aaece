// The fast paths of the unary GELU and SiLU ops on the CPU, 16 lanes with AVX-512 (elementwise.cpp keeps the
// scalar loops over std::erf and std::exp as the reference and for CPUs without AVX-512).
// - GELU (the exact, erf form: x Phi(x)) and its gradient. Phi(x) = 1 - erfc(|x| / sqrt 2) / 2 for x >= 0 and
//   erfc(|x| / sqrt 2) / 2 below, so the left tail keeps its relative precision; erfc and the density's
//   e^(-x^2 / 2) come from vmath_avx512.h.
// - SiLU x s(x), s the logistic sigmoid 1 / (1 + e^-x), and its gradient s (1 + x (1 - s)).
// ActivationsTest compares both against a double-precision reference.
#include <algorithm>
#include <cstdint>
#include "core/dispatch.h"
#include "cpu/cpu_features.h"

#if defined(__x86_64__)
#include "cpu/vmath_avx512.h"
#endif

namespace dml::cpu {

#if defined(__x86_64__)
namespace {

constexpr float kInvSqrt2 = 0.70710678118654752440f;
constexpr float kInvSqrt2Pi = 0.39894228040143267794f;

// Phi(x) of 16 lanes; *density (when not null) gets phi(x) = e^(-x^2 / 2) / sqrt(2 pi).
DML_VMATH_TARGET inline __m512 gaussian_cdf(__m512 x, __m512* density) {
    const __m512 z = _mm512_mul_ps(_mm512_abs_ps(x), _mm512_set1_ps(kInvSqrt2));
    __m512 gauss;
    const __m512 half_tail = _mm512_mul_ps(_mm512_set1_ps(0.5f), vmath::erfc_nonneg_ps(z, density ? &gauss : nullptr));
    if (density) *density = _mm512_mul_ps(gauss, _mm512_set1_ps(kInvSqrt2Pi));
    const __mmask16 right = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ);
    return _mm512_mask_sub_ps(half_tail, right, _mm512_set1_ps(1.f), half_tail);
}

using VectorFn = __m512 (*)(__m512);

// y = f(x) over [begin, end), 16 lanes at a time (the last vector masked); f a template argument, so it inlines.
template <VectorFn f>
DML_VMATH_TARGET void map_range(const float* x, float* y, int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i += 16) {
        const __mmask16 m = vmath::first_lanes(end - i);
        _mm512_mask_storeu_ps(y + i, m, f(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

// dx = dy * slope(x) over [begin, end).
template <VectorFn slope>
DML_VMATH_TARGET void grad_range(const float* x, const float* dy, float* dx, int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i += 16) {
        const __mmask16 m = vmath::first_lanes(end - i);
        const __m512 g = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, dy + i), slope(_mm512_maskz_loadu_ps(m, x + i)));
        _mm512_mask_storeu_ps(dx + i, m, g);
    }
}

DML_VMATH_TARGET inline __m512 gelu(__m512 v) { return _mm512_mul_ps(v, gaussian_cdf(v, nullptr)); }

DML_VMATH_TARGET inline __m512 gelu_slope(__m512 v) {
    __m512 density;
    const __m512 cdf = gaussian_cdf(v, &density);
    return _mm512_fmadd_ps(v, density, cdf);  // d/dx x Phi(x) = Phi(x) + x phi(x)
}

// The logistic sigmoid of 16 lanes; exp_ps clamps -x to 88, so below x = -88 s is ~6e-39 rather than 0.
DML_VMATH_TARGET inline __m512 sigmoid(__m512 x) {
    const __m512 one = _mm512_set1_ps(1.f);
    return _mm512_div_ps(one, _mm512_add_ps(one, vmath::exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

DML_VMATH_TARGET inline __m512 silu(__m512 v) { return _mm512_mul_ps(v, sigmoid(v)); }

DML_VMATH_TARGET inline __m512 silu_slope(__m512 v) {
    const __m512 one = _mm512_set1_ps(1.f), s = sigmoid(v);
    return _mm512_mul_ps(s, _mm512_fmadd_ps(v, _mm512_sub_ps(one, s), one));  // s (1 + x (1 - s))
}

constexpr int64_t kGrain = 16 * 1024;  // elements per work item

// body(begin, end) over [0, n) in kGrain pieces, threaded above 32768 elements.
template <typename Body>
void for_grains(int64_t n, Body body) {
    const int64_t items = (n + kGrain - 1) / kGrain;
#pragma omp parallel for schedule(static) if (n > 32768)
    for (int64_t it = 0; it < items; ++it) body(it * kGrain, std::min(n, (it + 1) * kGrain));
}

}  // namespace

bool gelu_avx512_forward(const float* x, float* y, int64_t n) {
    if (!has_avx512f()) return false;
    for_grains(n, [&](int64_t b, int64_t e) { map_range<gelu>(x, y, b, e); });
    return true;
}

bool gelu_avx512_backward(const float* x, const float* dy, float* dx, int64_t n) {
    if (!has_avx512f()) return false;
    for_grains(n, [&](int64_t b, int64_t e) { grad_range<gelu_slope>(x, dy, dx, b, e); });
    return true;
}

bool silu_avx512_forward(const float* x, float* y, int64_t n) {
    if (!has_avx512f()) return false;
    for_grains(n, [&](int64_t b, int64_t e) { map_range<silu>(x, y, b, e); });
    return true;
}

bool silu_avx512_backward(const float* x, const float* dy, float* dx, int64_t n) {
    if (!has_avx512f()) return false;
    for_grains(n, [&](int64_t b, int64_t e) { grad_range<silu_slope>(x, dy, dx, b, e); });
    return true;
}
#else
bool gelu_avx512_forward(const float*, float*, int64_t) { return false; }
bool gelu_avx512_backward(const float*, const float*, float*, int64_t) { return false; }
bool silu_avx512_forward(const float*, float*, int64_t) { return false; }
bool silu_avx512_backward(const float*, const float*, float*, int64_t) { return false; }
#endif

}  // namespace dml::cpu
