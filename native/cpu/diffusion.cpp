// CPU reference of the diffusion kernels (noising with the error prior, DDIM step) and their C entry points.
// Elementwise; the arithmetic order matches the CUDA twins so both devices round alike.
#include <algorithm>
#include "core/dispatch.h"

namespace dml::cpu {

int diffusion_noise(const float* y0, const float* xi, const float* eps, const float* a, const float* s, float* y_t,
                    int64_t batch, int64_t inner, float gamma) {
#pragma omp parallel for schedule(static) if (batch * inner > 65536)
    for (int64_t b = 0; b < batch; ++b) {
        const int64_t o = b * inner;
        for (int64_t i = 0; i < inner; ++i) y_t[o + i] = a[b] * (y0[o + i] + gamma * xi[o + i]) + s[b] * eps[o + i];
    }
    return DML_OK;
}

int ddim_step(const float* y_t, const float* x0, float* y_prev, int64_t n, float sqrt_abar_t, float sqrt_1m_abar_t,
              float sqrt_abar_prev, float sqrt_1m_abar_prev, int clip) {
    if (!(sqrt_1m_abar_t > 0.f))
        return fail(DML_ERR_ARGUMENT, "ddim_step: sqrt(1 - abar_t) must be positive, got %g", sqrt_1m_abar_t);
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; ++i) {
        float eps_hat = (y_t[i] - sqrt_abar_t * x0[i]) / sqrt_1m_abar_t;
        float x0c = clip ? std::min(1.f, std::max(-1.f, x0[i])) : x0[i];
        y_prev[i] = sqrt_abar_prev * x0c + sqrt_1m_abar_prev * eps_hat;
    }
    return DML_OK;
}

}  // namespace dml::cpu

extern "C" {

int dml_diffusion_noise(int dev, const float* y0, const float* xi, const float* eps, const float* a, const float* s,
                        float* y_t, int64_t batch, int64_t inner, float gamma) {
    DML_DISPATCH(diffusion_noise, y0, xi, eps, a, s, y_t, batch, inner, gamma);
}

int dml_ddim_step(int dev, const float* y_t, const float* x0, float* y_prev, int64_t n, float sqrt_abar_t,
                  float sqrt_1m_abar_t, float sqrt_abar_prev, float sqrt_1m_abar_prev, int clip) {
    DML_DISPATCH(ddim_step, y_t, x0, y_prev, n, sqrt_abar_t, sqrt_1m_abar_t, sqrt_abar_prev, sqrt_1m_abar_prev, clip);
}

}  // extern "C"
