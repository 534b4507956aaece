/* Linear algebra helpers: im2col/col2im for convolutions as GEMM, depthwise convolution.
 * GEMM itself is BLAS (OpenBLAS / cuBLAS), called from Java (ai.diffiml.backend.Blas).
 *
 * Convolution geometry shared by every function here (dilation 1):
 *   images x are [n, c, h, w] (NCHW); the kernel is kh x kw, stride sh x sw, zero padding ph x pw;
 *   the output is oh x ow with oh = (h + 2*ph - kh) / sh + 1 and ow = (w + 2*pw - kw) / sw + 1 (floor).
 *   Output position (r, q) reads input (r*sh - ph + i, q*sw - pw + j) for kernel tap (i, j).
 */
#ifndef DIFFIML_LINALG_H
#define DIFFIML_LINALG_H
#ifdef __cplusplus
extern "C" {
#endif

/* im2col of output rows [row0, row0 + rows) of n images: col is [n, c*kh*kw, rows*ow]; row (ci*kh + i)*kw + j,
 * column (r - row0)*ow + q of image b holds x[b, ci, r*sh - ph + i, q*sw - pw + j], or 0 where that lies in the
 * padding. Requires 0 <= row0, row0 + rows <= oh. Taking a band of rows bounds the col buffer on big images. */
DML_API int dml_im2col(int dev, const float* x, float* col, int64_t n, int64_t c, int64_t h, int64_t w,
                       int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t row0,
                       int64_t rows);

/* Adjoint of dml_im2col: x[b, ci, y, z] += every col entry of image b that dml_im2col would have read from
 * (ci, y, z), over the same band of output rows. Accumulates into x (so bands and biases add up); entries that
 * fall into the padding are dropped. Same arguments and layout as dml_im2col. */
DML_API int dml_col2im_accumulate(int dev, const float* col, float* x, int64_t n, int64_t c, int64_t h, int64_t w,
                                  int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                                  int64_t row0, int64_t rows);

/* Depthwise convolution (groups == channels, one filter per channel): x [n, c, h, w], weight [c, kh, kw],
 * bias [c] or NULL, y [n, c, oh, ow]:  y[b, ci, r, q] = bias[ci] + sum_ij wt[ci, i, j] * x[b, ci, r*sh-ph+i, q*sw-pw+j]. */
DML_API int dml_depthwise_conv2d_forward(int dev, const float* x, const float* wt, const float* bias, float* y,
                                         int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw,
                                         int64_t sh, int64_t sw, int64_t ph, int64_t pw);

/* Gradients of dml_depthwise_conv2d_forward from dy [n, c, oh, ow]: dx [n, c, h, w] and dwt [c, kh, kw] (summed
 * over the batch, in double), each NULL when not wanted; both are written. The bias gradient is the ADD
 * reduction of dml_binary_backward. */
DML_API int dml_depthwise_conv2d_backward(int dev, const float* x, const float* wt, const float* dy, float* dx,
                                          float* dwt, int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh,
                                          int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw);

#ifdef __cplusplus
}
#endif
#endif
