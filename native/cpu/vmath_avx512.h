// What the AVX-512 kernels share: the target attribute, lane masks, and vector math (attention's softmax, GELU,
// SiLU): single-precision functions on 16 lanes, each within a few ulp of the libm function it replaces. x86-64
// only; callers compile these into functions with the same target attribute.
#pragma once
#if defined(__x86_64__)
#include <cstdint>
#include <immintrin.h>
// GCC 12 flags the intrinsics' own _mm512_undefined_ps() (`__m512 __Y = __Y;`) as maybe-uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace dml::cpu::vmath {

#define DML_VMATH_TARGET __attribute__((target("avx512f,avx2,fma")))

// The first k of 16 lanes (all 16 for k >= 16, none for k <= 0): the mask of a partial vector.
inline __mmask16 first_lanes(int64_t k) {
    return static_cast<__mmask16>(k >= 16 ? 0xFFFFu : k <= 0 ? 0u : (1u << k) - 1u);
}

// e^x: Cephes' single-precision polynomial after range reduction by ln 2; x is clamped to [-87.34, 88] (so e^x
// stays a normal float; below, the result is e^-87.34 rather than a subnormal or 0).
DML_VMATH_TARGET inline __m512 exp_ps(__m512 x) {
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.33654f)), _mm512_set1_ps(88.0f));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    const __m512 y = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.f));
    return _mm512_scalef_ps(y, n);
}

// 2^x for finite x <= 128 (below -150 it is 0): x = n + f with n = round(x), |f| <= 1/2 exact, and 2^f by a degree-5
// polynomial fitted for relative error (2.3e-7 evaluated in single precision), scaled by 2^n. Five instructions
// fewer than exp_ps: the attention forward feeds it scores already in base-2 units.
DML_VMATH_TARGET inline __m512 exp2_ps(__m512 x) {
    const __m512 n = _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m512 f = _mm512_sub_ps(x, n);
    __m512 p = _mm512_set1_ps(1.327646430581808e-3f);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.675540961325169e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.550713464617729e-2f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.4022120237350464e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.931469440460205e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0000001192092896f));
    return _mm512_scalef_ps(p, n);
}

// erfc(z) for z >= 0: the Chebyshev fit of Numerical Recipes (fractional error below 1.2e-7 in exact arithmetic),
// erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z / 2). Also returns e^(-z^2) (the GELU gradient's density term).
DML_VMATH_TARGET inline __m512 erfc_nonneg_ps(__m512 z, __m512* gauss) {
    const __m512 t = _mm512_div_ps(_mm512_set1_ps(1.f), _mm512_fmadd_ps(z, _mm512_set1_ps(0.5f), _mm512_set1_ps(1.f)));
    __m512 p = _mm512_set1_ps(0.17087277f);
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.82215223f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.48851587f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.13520398f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.27886807f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.18628806f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.09678418f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.37409196f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.00002368f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.26551223f));
    const __m512 z2 = _mm512_mul_ps(z, z);
    if (gauss) *gauss = exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), z2));
    return _mm512_mul_ps(t, exp_ps(_mm512_sub_ps(p, z2)));
}

}  // namespace dml::cpu::vmath
#endif
