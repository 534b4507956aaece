/* Fused multi-head attention (flash-style): out_h = softmax(scale * q_h k_h^T) v_h per head h, computed with an
 * online softmax one key at a time, so the [Lq, Lk] score matrix is never stored; the backward pass recomputes
 * the probabilities from the saved log-sum-exp instead of reading them back.
 *
 * Layout: q and out [B, Lq, H*D], k and v [B, Lk, H*D] (token layout; head h is the column block [h*D, (h+1)*D)
 * of every token), lse and delta [B, H, Lq]. scale is usually 1/sqrt(D).
 * CUDA supports head_dim 8, 16, 32 and 64; the CPU twin any head_dim >= 1. Status of the CUDA kernels: compiled,
 * not yet run on a GPU. */
#ifndef DIFFIML_ATTENTION_H
#define DIFFIML_ATTENTION_H
#ifdef __cplusplus
extern "C" {
#endif

/* Whether `dev` has a fused kernel for head_dim (1 or 0). */
DML_API int dml_attention_supported(int dev, int64_t head_dim);

/* Forward: writes out and lse[b, h, i] = m + log(l), the log of the softmax denominator of query row i. */
DML_API int dml_attention_forward(int dev, const float* q, const float* k, const float* v, float* out, float* lse,
                                  int64_t batch, int64_t heads, int64_t lq, int64_t lk, int64_t head_dim, float scale);

/* Backward from dout: delta[b, h, i] = dout_i . out_i is written first (scratch of [B, H, Lq] floats), then
 * dq = scale * sum_j ds_ij k_j, dk = scale * sum_i ds_ij q_i, dv = sum_i p_ij dout_i with
 * p_ij = exp(scale q_i . k_j - lse_i) and ds_ij = p_ij (dout_i . v_j - delta_i). dq, dk or dv may be null (not
 * wanted). Each gradient element is written once, with no atomics. */
DML_API int dml_attention_backward(int dev, const float* q, const float* k, const float* v, const float* out,
                                   const float* dout, const float* lse, float* delta, float* dq, float* dk, float* dv,
                                   int64_t batch, int64_t heads, int64_t lq, int64_t lk, int64_t head_dim, float scale);

/* The CPU's vectorised kernels (AVX-512F; head_dim 8, 16, 32 or 64): the same functions as dml_attention_forward and
 * dml_attention_backward, tiled (blocks of 64 keys against 4 query rows in registers), where the CPU device's
 * dml_attention_* calls are the scalar twin of the CUDA kernels. */
DML_API int dml_attention_cpu_vector_supported(int64_t head_dim);
DML_API int dml_attention_cpu_vector_forward(const float* q, const float* k, const float* v, float* out, float* lse,
                                             int64_t batch, int64_t heads, int64_t lq, int64_t lk, int64_t head_dim,
                                             float scale);
DML_API int dml_attention_cpu_vector_backward(const float* q, const float* k, const float* v, const float* out,
                                              const float* dout, const float* lse, float* delta, float* dq, float* dk,
                                              float* dv, int64_t batch, int64_t heads, int64_t lq, int64_t lk,
                                              int64_t head_dim, float scale);

#ifdef __cplusplus
}
#endif
#endif
