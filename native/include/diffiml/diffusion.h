/* Diffusion kernels: forward noising with the error prior (training) and one DDIM step (sampling).
 * Both are elementwise over latents [B, inner] and carry no gradient: the latents they read come from the frozen
 * LightVAE or from the sampler, never from a trainable op. */
#ifndef DIFFIML_DIFFUSION_H
#define DIFFIML_DIFFUSION_H
#ifdef __cplusplus
extern "C" {
#endif

/* y_t[b, i] = a[b] * (y0[b, i] + gamma * xi[b, i]) + s[b] * eps[b, i], with a = sqrt(abar_t), s = sqrt(1 - abar_t)
 * per sample (a and s are [B] arrays on `dev`). gamma is the error-prior rate (0 gives plain DDPM noising). */
DML_API int dml_diffusion_noise(int dev, const float* y0, const float* xi, const float* eps, const float* a,
                                const float* s, float* y_t, int64_t batch, int64_t inner, float gamma);

/* One DDIM (eta 0) step for x0-prediction, all chains at the same t:
 *   eps_hat = (y_t - sqrt_abar_t * x0) / sqrt_1m_abar_t          (from the unclipped x0)
 *   x0c     = clip ? clamp(x0, -1, 1) : x0
 *   y_prev  = sqrt_abar_prev * x0c + sqrt_1m_abar_prev * eps_hat
 * y_prev may alias y_t. */
DML_API int dml_ddim_step(int dev, const float* y_t, const float* x0, float* y_prev, int64_t n, float sqrt_abar_t,
                          float sqrt_1m_abar_t, float sqrt_abar_prev, float sqrt_1m_abar_prev, int clip);

#ifdef __cplusplus
}
#endif
#endif
