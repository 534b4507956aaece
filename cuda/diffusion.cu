// CUDA twins of native/cpu/diffusion.cpp: one thread per latent element, the CPU's formula and order (FMA
// contraction and rounding: see common.cuh).
#include "common.cuh"

namespace {

__global__ void diffusion_noise_kernel(const float* y0, const float* xi, const float* eps, const float* a,
                                       const float* s, float* y_t, int64_t inner, int64_t n, float gamma) {
    DML_CUDA_LOOP(i, n) {
        int64_t b = i / inner;
        y_t[i] = a[b] * (y0[i] + gamma * xi[i]) + s[b] * eps[i];
    }
}

__global__ void ddim_step_kernel(const float* y_t, const float* x0, float* y_prev, int64_t n, float sqrt_abar_t,
                                 float sqrt_1m_abar_t, float sqrt_abar_prev, float sqrt_1m_abar_prev, int clip) {
    DML_CUDA_LOOP(i, n) {
        float eps_hat = (y_t[i] - sqrt_abar_t * x0[i]) / sqrt_1m_abar_t;
        float x0c = clip ? fminf(1.f, fmaxf(-1.f, x0[i])) : x0[i];
        y_prev[i] = sqrt_abar_prev * x0c + sqrt_1m_abar_prev * eps_hat;
    }
}

}  // namespace

DML_CUDA_API int dml_cuda_diffusion_noise(const float* y0, const float* xi, const float* eps, const float* a,
                                          const float* s, float* y_t, int64_t batch, int64_t inner, float gamma) {
    int64_t n = batch * inner;
    if (n == 0) return DML_OK;
    diffusion_noise_kernel<<<dml::cuda::grid_for(n), dml::cuda::kThreads, 0, dml::cuda::stream()>>>(y0, xi, eps, a, s, y_t, inner, n, gamma);
    return dml::cuda::check_launch("diffusion_noise");
}

DML_CUDA_API int dml_cuda_ddim_step(const float* y_t, const float* x0, float* y_prev, int64_t n, float sqrt_abar_t,
                                    float sqrt_1m_abar_t, float sqrt_abar_prev, float sqrt_1m_abar_prev, int clip) {
    if (!(sqrt_1m_abar_t > 0.f))
        return dml::cuda::fail(DML_ERR_ARGUMENT, "ddim_step: sqrt(1 - abar_t) must be positive, got %g",
                               sqrt_1m_abar_t);
    if (n == 0) return DML_OK;
    ddim_step_kernel<<<dml::cuda::grid_for(n), dml::cuda::kThreads, 0, dml::cuda::stream()>>>(y_t, x0, y_prev, n, sqrt_abar_t, sqrt_1m_abar_t,
                                                                      sqrt_abar_prev, sqrt_1m_abar_prev, clip);
    return dml::cuda::check_launch("ddim_step");
}
