/* Linear algebra helpers: im2col/col2im for convolutions as GEMM, depthwise convolution. */
#ifndef DIFFIML_LINALG_H
#define DIFFIML_LINALG_H
#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
