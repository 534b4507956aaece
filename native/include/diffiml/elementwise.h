/* Elementwise ops: unary activations, broadcast add/mul, scale, accumulate. */
#ifndef DIFFIML_ELEMENTWISE_H
#define DIFFIML_ELEMENTWISE_H
#ifdef __cplusplus
extern "C" {
#endif

enum dml_unary_op { DML_RELU = 0, DML_SILU = 1, DML_GELU = 2, DML_SIGMOID = 3, DML_TANH = 4, DML_LOG1P = 5,
                    DML_LOG_SIGMOID = 6 };
#define DML_UNARY_LAST DML_LOG_SIGMOID
enum dml_binary_op { DML_ADD = 0, DML_MUL = 1, DML_MAX = 2 };

/* y = f(x) over n elements. GELU is the exact (erf) form. LOG1P is log(1 + x) (x > -1: the noise stem's log
 * energies); LOG_SIGMOID is log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), stable for any x (weighted BCE). */
DML_API int dml_unary_forward(int dev, int op, const float* x, float* y, int64_t n);
/* dx = dy * f'(x); y is f(x) from the forward (sigmoid and tanh use it). */
DML_API int dml_unary_backward(int dev, int op, const float* x, const float* y, const float* dy, float* dx,
                               int64_t n);

/* Broadcast binary op: x and y are [outer, mid, inner], v is [mid] broadcast over outer and inner.
 * Same-shape operands: outer = inner = 1. Bias over channels of NCHW: outer = N, mid = C, inner = H*W. */
DML_API int dml_binary_forward(int dev, int op, const float* x, const float* v, float* y,
                               int64_t outer, int64_t mid, int64_t inner);
/* Gradients of dml_binary_forward; dx or dv may be NULL when not wanted, and x may be NULL for DML_ADD (its
 * gradient does not depend on x). dv is summed over outer and inner.
 * DML_MAX sends each gradient element to the larger operand, to x on ties (x >= v). */
DML_API int dml_binary_backward(int dev, int op, const float* x, const float* v, const float* dy, float* dx,
                                float* dv, int64_t outer, int64_t mid, int64_t inner);

/* y = alpha * x (y may alias x). */
DML_API int dml_scale(int dev, const float* x, float* y, int64_t n, float alpha);
/* y += alpha * x: gradient accumulation. */
DML_API int dml_accumulate(int dev, const float* x, float* y, int64_t n, float alpha);

#ifdef __cplusplus
}
#endif
#endif
