/* Direct 3x3 convolution, stride 1, padding 1, groups 1, on NCHW float32: a CPU-only fast path (AVX-512) for
 * full-resolution layers with few channels, where im2col + GEMM is bound by memory (native/cpu/conv3x3.cpp).
 * There is no CUDA version: every function fails with DML_ERR_ARGUMENT unless dev is DML_CPU and
 * dml_conv3x3_supported() is 1. x [n, c, h, w], wt [o, c, 3, 3], y and dy [n, o, h, w]. */
#ifndef DIFFIML_CONV3X3_H
#define DIFFIML_CONV3X3_H

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when this CPU runs the direct kernels (AVX-512F), else 0. */
DML_API int dml_conv3x3_supported(void);

/* y = conv3x3(x, wt) + bias (bias [o] or NULL); y is written. */
DML_API int dml_conv3x3_forward(int dev, const float* x, const float* wt, const float* bias, float* y, int64_t n,
                                int64_t c, int64_t h, int64_t w, int64_t o);

/* dx [n, c, h, w] = the input gradient of dml_conv3x3_forward for output gradient dy; dx is written. */
DML_API int dml_conv3x3_backward_data(int dev, const float* dy, const float* wt, float* dx, int64_t n, int64_t c,
                                      int64_t h, int64_t w, int64_t o);

/* dwt [o, c, 3, 3] = the weight gradient summed over the batch (float sums per chunk of rows, the chunks added in
 * double in a fixed order: the result does not depend on the thread count); dwt is written. */
DML_API int dml_conv3x3_backward_weight(int dev, const float* x, const float* dy, float* dwt, int64_t n,
                                        int64_t c, int64_t h, int64_t w, int64_t o);

#ifdef __cplusplus
}
#endif
#endif
