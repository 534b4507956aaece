/* Layout ops (permute, concat/slice/split), resizing, reductions, losses, dropout.
 *
 * Every op here sees its tensors through a few sizes rather than a full shape, so one kernel serves every rank and
 * axis: the axis ops view a tensor as [outer, len, inner] (len = the axis, outer/inner = the products of the dims
 * before/after it), resizing views NCHW as `planes` = N*C planes of h x w. All memory is contiguous float32 on
 * `dev`, except the small index arrays of dml_permute, which are host memory on either device.
 */
#ifndef DIFFIML_SHAPE_H
#define DIFFIML_SHAPE_H
#ifdef __cplusplus
extern "C" {
#endif

/* ---- Layout ---- */

/* Copies a block between two tensors viewed as [outer, src_axis, inner] and [outer, dst_axis, inner]:
 *   dst[o, dst_start + k, i] = src[o, src_start + k, i]   for o < outer, k < len, i < inner.
 * Elements of dst outside the block are left as they are. This one copy is concat (each input into its place),
 * slice and split (a block out), and all of their backwards. */
DML_API int dml_copy_block(int dev, const float* src, int64_t src_axis, int64_t src_start, float* dst,
                           int64_t dst_axis, int64_t dst_start, int64_t outer, int64_t len, int64_t inner);

/* y = x with its axes reordered: x has `rank` (1..6) dims `shape`; y's dim j is x's dim perm[j]
 * (y[o_0..o_{r-1}] = x[i] with i[perm[j]] = o_j). `shape` and `perm` are host arrays of `rank` entries. */
DML_API int dml_permute(int dev, const float* x, float* y, int rank, const int64_t* shape, const int64_t* perm);

/* y = x reversed along one axis: x and y are [outer, len, inner], y[o, i, k] = x[o, len - 1 - i, k].
 * Its own adjoint (the gradient is the flipped output gradient). Used by flip test-time augmentation. */
DML_API int dml_flip(int dev, const float* x, float* y, int64_t outer, int64_t len, int64_t inner);

/* ---- Resize (NCHW, as PyTorch's F.interpolate with sizes, no scale factors) ---- */

enum dml_resize_mode { DML_RESIZE_NEAREST = 0, DML_RESIZE_BILINEAR = 1 };

/* x is [planes, in_h, in_w], y is [planes, out_h, out_w]. With scale = (float)in / out per axis:
 *   nearest:  src = min(floorf(dst * scale), in - 1)   (PyTorch 'nearest', single-precision like PyTorch);
 *   bilinear: src = max(scale * (dst + 0.5) - 0.5, 0), i0 = floor(src), i1 = min(i0 + 1, in - 1),
 *             weights 1 - (src - i0) and src - i0 (PyTorch 'bilinear', align_corners=False). */
DML_API int dml_resize_forward(int dev, int mode, const float* x, float* y, int64_t planes, int64_t in_h,
                               int64_t in_w, int64_t out_h, int64_t out_w);
/* dx = gradient of dml_resize_forward for output gradient dy (written, not accumulated). */
DML_API int dml_resize_backward(int dev, int mode, const float* dy, float* dx, int64_t planes, int64_t in_h,
                                int64_t in_w, int64_t out_h, int64_t out_w);

/* ---- Reductions ---- */

/* y[o, i] = alpha * sum_k x[o, k, i]: x is [outer, len, inner], y is [outer, inner]. Accumulated and scaled in
 * double, rounded once. Sum of everything: outer = inner = 1. Mean: alpha = 1 / len. */
DML_API int dml_sum_axis(int dev, const float* x, float* y, int64_t outer, int64_t len, int64_t inner, double alpha);
/* x[o, k, i] = alpha * y[o, i]: the backward of dml_sum_axis (y [outer, inner] broadcast over len). */
DML_API int dml_broadcast_axis(int dev, const float* y, float* x, int64_t outer, int64_t len, int64_t inner,
                               float alpha);

/* ---- Losses (mean over n elements, one float out) ---- */

enum dml_loss_op {
    DML_LOSS_MSE = 0,        /* (p - t)^2 */
    DML_LOSS_L1 = 1,         /* |p - t| */
    DML_LOSS_BCE_LOGITS = 2  /* max(p, 0) - p * t + log1p(exp(-|p|)), p a logit */
};

/* loss[0] = (1/n) * sum_i l(pred[i], target[i]), accumulated in double; n >= 1. */
DML_API int dml_loss_forward(int dev, int op, const float* pred, const float* target, float* loss, int64_t n);
/* dpred[i] = dloss[0] / n * dl/dp, dtarget[i] = dloss[0] / n * dl/dt; dloss is one float on `dev`. Either output
 * may be NULL. L1's derivative at p == t is 0 (like sign). */
DML_API int dml_loss_backward(int dev, int op, const float* pred, const float* target, const float* dloss,
                              float* dpred, float* dtarget, int64_t n);

/* ---- Dropout ---- */

/* y[i] = keep(seed, i / group) ? x[i] / (1 - p) : 0, where keep is a counter-based hash of (seed, i / group)
 * (splitmix64), kept with probability 1 - p; p in [0, 1]. group = 1: dropout; group = elements per sample:
 * stochastic depth (one decision per sample). The mask depends only on (seed, index, group, p), so CPU and CUDA
 * drop the same elements, and the backward is this same call applied to dy. y may alias x. */
DML_API int dml_dropout(int dev, const float* x, float* y, int64_t n, int64_t group, float p, uint64_t seed);

#ifdef __cplusplus
}
#endif
#endif
