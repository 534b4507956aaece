/* Optimiser kernels: AdamW update, gradient norms. */
#ifndef DIFFIML_OPTIM_H
#define DIFFIML_OPTIM_H
#ifdef __cplusplus
extern "C" {
#endif

/* One AdamW step on one parameter tensor of n elements, in place, with torch.optim.AdamW's arithmetic:
 *   p  = p * (1 - lr * weight_decay)                         (decoupled weight decay)
 *   m  = beta1 * m + (1 - beta1) * g
 *   v  = beta2 * v + (1 - beta2) * g * g
 *   p -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps)
 * p (parameter), m (first moment), v (second moment) are updated; g (gradient) is read. step is the 1-based
 * count of updates this parameter has received including this one; the bias corrections are computed from it
 * in double. Requires 0 <= beta1, beta2 < 1, eps > 0, step >= 1. */
DML_API int dml_adamw_step(int dev, float* p, const float* g, float* m, float* v, int64_t n, float lr, float beta1,
                           float beta2, float eps, float weight_decay, int64_t step);

/* out[0] = sum of x[i]^2 over n elements, accumulated in double and rounded to float once. out is one float on
 * the same device as x (a norm's building block: gradient clipping sums these over tensors). n == 0 gives 0. */
DML_API int dml_sum_squares(int dev, const float* x, int64_t n, float* out);

#ifdef __cplusplus
}
#endif
#endif
