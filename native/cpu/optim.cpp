// CPU reference of the optimiser kernels: the fused AdamW update and the sum of squares behind gradient-norm
// clipping. Both are flat loops over one contiguous tensor (layout plays no part). AdamW follows torch.optim.AdamW
// step by step (decay, moments, bias-corrected update) in float, with the step-dependent scalars computed once in
// double; the sum of squares accumulates in double because gradients of whole layers are summed at once.
#include <cmath>
#include "core/dispatch.h"

namespace dml::cpu {

int adamw_step(float* p, const float* g, float* m, float* v, int64_t n, float lr, float beta1, float beta2, float eps,
               float weight_decay, int64_t step) {
    if (n < 0) return fail(DML_ERR_ARGUMENT, "adamw_step: negative size %lld", (long long)n);
    if (!(beta1 >= 0.f && beta1 < 1.f) || !(beta2 >= 0.f && beta2 < 1.f))
        return fail(DML_ERR_ARGUMENT, "adamw_step: betas must lie in [0, 1), got %g and %g", beta1, beta2);
    if (!(eps > 0.f)) return fail(DML_ERR_ARGUMENT, "adamw_step: eps must be positive, got %g", eps);
    if (step < 1) return fail(DML_ERR_ARGUMENT, "adamw_step: step must be >= 1, got %lld", (long long)step);
    const float decay = (float)(1.0 - (double)lr * weight_decay);
    const float step_size = (float)(lr / (1.0 - std::pow((double)beta1, (double)step)));
    const float bc2_sqrt = (float)std::sqrt(1.0 - std::pow((double)beta2, (double)step));
    const float one_minus_b1 = 1.f - beta1, one_minus_b2 = 1.f - beta2;
#pragma omp parallel for schedule(static) if (n > 32768)
    for (int64_t i = 0; i < n; ++i) {
        const float gi = g[i];
        const float mi = beta1 * m[i] + one_minus_b1 * gi;
        const float vi = beta2 * v[i] + one_minus_b2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * decay - step_size * (mi / (std::sqrt(vi) / bc2_sqrt + eps));
    }
    return DML_OK;
}

int sum_squares(const float* x, int64_t n, float* out) {
    if (n < 0) return fail(DML_ERR_ARGUMENT, "sum_squares: negative size %lld", (long long)n);
    double acc = 0.0;
#pragma omp parallel for schedule(static) reduction(+ : acc) if (n > 65536)
    for (int64_t i = 0; i < n; ++i) acc += (double)x[i] * x[i];
    out[0] = (float)acc;
    return DML_OK;
}

}  // namespace dml::cpu

extern "C" {

int dml_adamw_step(int dev, float* p, const float* g, float* m, float* v, int64_t n, float lr, float beta1, float beta2,
                   float eps, float weight_decay, int64_t step) {
    DML_DISPATCH(adamw_step, p, g, m, v, n, lr, beta1, beta2, eps, weight_decay, step);
}
int dml_sum_squares(int dev, const float* x, int64_t n, float* out) { DML_DISPATCH(sum_squares, x, n, out); }

}  // extern "C"
