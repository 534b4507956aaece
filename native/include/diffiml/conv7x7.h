/* Direct 7x7 convolution with any stride and padding (< 7), groups 1, on NCHW float32, vectorised over channels: a
 * CPU-only fast path (AVX-512) for the Mix Transformer's 7x7 stride-4 patch embeddings (and the noise stem's
 * projection beside the first), whose im2col buffer is 49 / 16 of the input and goes through DRAM
 * (native/cpu/conv7x7.cpp). There is no CUDA version: every function fails with DML_ERR_ARGUMENT unless dev is
 * DML_CPU and dml_conv7x7_supported() is 1. x [n, c, h, w], wt [o, c, 7, 7], y and dy [n, o, oh, ow] with
 * oh = (h + 2 pad - 7) / stride + 1 (and ow likewise), both at least 1. */
#ifndef DIFFIML_CONV7X7_H
#define DIFFIML_CONV7X7_H

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when this CPU runs the direct kernels (AVX-512F), else 0. */
DML_API int dml_conv7x7_supported(void);

/* y = conv7x7(x, wt, stride, pad) + bias (bias [o] or NULL); y is written. */
DML_API int dml_conv7x7_forward(int dev, const float* x, const float* wt, const float* bias, float* y, int64_t n,
                                int64_t c, int64_t h, int64_t w, int64_t o, int64_t stride, int64_t pad);

/* dx [n, c, h, w] = the input gradient for output gradient dy; dx is written. */
DML_API int dml_conv7x7_backward_data(int dev, const float* dy, const float* wt, float* dx, int64_t n, int64_t c,
                                      int64_t h, int64_t w, int64_t o, int64_t stride, int64_t pad);

/* dwt [o, c, 7, 7] = the weight gradient summed over the batch (float sums per chunk of output rows, the chunks
 * added in double in a fixed order: the result does not depend on the thread count); dwt is written. */
DML_API int dml_conv7x7_backward_weight(int dev, const float* x, const float* dy, float* dwt, int64_t n, int64_t c,
                                        int64_t h, int64_t w, int64_t o, int64_t stride, int64_t pad);

#ifdef __cplusplus
}
#endif
#endif
