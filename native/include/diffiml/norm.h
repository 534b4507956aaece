/* Normalisations and softmax.
 *
 * The three normalisations standardise a set of values with its mean and biased variance, then scale and shift
 * them per channel: y = (x - mean) * rstd * gamma[ch] + beta[ch], rstd = 1 / sqrt(var + eps). They differ in
 * which values form a set (share statistics):
 *   LayerNorm  x[rows, cols]       one set per row; gamma, beta are [cols];
 *   GroupNorm  x[n, c, spatial]    one set per (sample, group of c/groups consecutive channels);
 *   BatchNorm  x[n, c, spatial]    one set per channel, over all samples and positions.
 * Statistics are computed in two passes (mean, then squared deviations) accumulated in double. The forward
 * functions can save the statistics they used (mean and rstd as float) for the backward functions, which take
 * NULL for the gradients that are not wanted; dgamma and dbeta are written (not accumulated).
 */
#ifndef DIFFIML_NORM_H
#define DIFFIML_NORM_H
#ifdef __cplusplus
extern "C" {
#endif

/* LayerNorm over the last dim of x [rows, cols]. mean, rstd [rows] receive the row statistics; either may be
 * NULL when no backward follows. */
DML_API int dml_layernorm_forward(int dev, const float* x, const float* gamma, const float* beta, float* y,
                                  float* mean, float* rstd, int64_t rows, int64_t cols, float eps);
/* Gradients of dml_layernorm_forward from its saved mean and rstd. dx [rows, cols], dgamma, dbeta [cols]. */
DML_API int dml_layernorm_backward(int dev, const float* x, const float* gamma, const float* mean, const float* rstd,
                                   const float* dy, float* dx, float* dgamma, float* dbeta, int64_t rows,
                                   int64_t cols);

/* GroupNorm (PyTorch semantics) of x [n, c, spatial] with c divisible by groups. mean, rstd [n, groups] (either may
 * be NULL). gamma, beta [c]. */
DML_API int dml_groupnorm_forward(int dev, const float* x, const float* gamma, const float* beta, float* y,
                                  float* mean, float* rstd, int64_t n, int64_t c, int64_t spatial, int64_t groups,
                                  float eps);
/* Gradients of dml_groupnorm_forward from its saved mean and rstd. */
DML_API int dml_groupnorm_backward(int dev, const float* x, const float* gamma, const float* mean, const float* rstd,
                                   const float* dy, float* dx, float* dgamma, float* dbeta, int64_t n, int64_t c,
                                   int64_t spatial, int64_t groups);

/* BatchNorm (PyTorch semantics) of x [n, c, spatial]; gamma, beta, running_mean, running_var, save_mean,
 * save_rstd are [c].
 *  training != 0: normalises with the batch mean and biased variance over the m = n * spatial values of each
 *    channel (m >= 2). When running_mean and running_var are given (both or neither), they are updated in place:
 *    running_mean = (1 - momentum) * running_mean + momentum * mean,
 *    running_var  = (1 - momentum) * running_var  + momentum * var * m / (m - 1)   (unbiased).
 *  training == 0: normalises with running_mean and running_var (required, only read).
 * save_mean, save_rstd receive the statistics used, in both modes (either may be NULL). */
DML_API int dml_batchnorm_forward(int dev, const float* x, const float* gamma, const float* beta, float* running_mean,
                                  float* running_var, float* y, float* save_mean, float* save_rstd, int64_t n,
                                  int64_t c, int64_t spatial, int training, float momentum, float eps);
/* Gradients of dml_batchnorm_forward from its saved statistics. training != 0: through the batch statistics;
 * training == 0: the statistics are constants, dx = dy * gamma * rstd. */
DML_API int dml_batchnorm_backward(int dev, const float* x, const float* gamma, const float* save_mean,
                                   const float* save_rstd, const float* dy, float* dx, float* dgamma, float* dbeta,
                                   int64_t n, int64_t c, int64_t spatial, int training);

/* Softmax over the last dim of x [rows, cols], stabilised by subtracting the row max: y = exp(x - max) / sum.
 * y may alias x (in place). */
DML_API int dml_softmax_forward(int dev, const float* x, float* y, int64_t rows, int64_t cols);
/* Gradient of the softmax from its output y: dx = y * (dy - sum(dy * y)) per row. dx may alias dy. */
DML_API int dml_softmax_backward(int dev, const float* y, const float* dy, float* dx, int64_t rows, int64_t cols);

#ifdef __cplusplus
}
#endif
#endif
