// Fused multi-head attention (flash-style, online softmax), CUDA twins of native/cpu/attention.cpp; the formulas
// are in native/include/diffiml/attention.h. Status: compiled (sm_80/86/90), not yet run on a GPU.
//
// Forward: one thread per query row (grid: query blocks x (batch * heads)); the thread keeps its scaled-free query
// row, the running maximum m, the denominator l and the output accumulator in registers, while the block stages
// tiles of kTileK key and value rows in shared memory (every thread reads the same row at a time: broadcasts, no
// bank conflicts). The accumulator is rescaled only when a new maximum appears. No [Lq, Lk] score tensor exists;
// the forward writes the output and lse = m + log(l) per row.
// Backward, deterministic (no atomics): kernel 1, one thread per query row, writes delta = dout . out and dq,
// recomputing p from lse; kernel 2, one thread per key row, writes dk and dv, with the block's own key and value
// rows in padded shared memory (row stride D + 1: consecutive threads hit consecutive banks) and tiles of query,
// dout, lse and delta rows staged as the forward stages keys.
// Head dims 8, 16, 32, 64 are compiled (templates; the UNet uses 8, the Mix Transformer 32 (b0) or 64 (b1..b5)).
#include "common.cuh"

namespace {

constexpr int kRowsQ = 128;   // query rows per block (forward, dq)
constexpr int kTileK = 32;    // key rows per shared-memory tile
constexpr int kRowsK = 64;    // key rows per block (dk, dv)
constexpr int kTileQ = 16;    // query rows per shared-memory tile (dk, dv)

template <int D>
__device__ __forceinline__ float dot_row(const float (&a)[D], const float* b) {
    float s = 0.f;
#pragma unroll
    for (int e = 0; e < D; ++e) s += a[e] * b[e];
    return s;
}

// Copies rows [r0, r0 + n) of head h of x [B, L, C] (sample b) into tile[n][stride]; all threads of the block.
__device__ __forceinline__ void stage_rows(float* tile, int stride, const float* x, int64_t b, int64_t len,
                                           int64_t c, int64_t h, int d, int64_t r0, int n) {
    for (int t = threadIdx.x; t < n * d; t += blockDim.x) {
        const int r = t / d, e = t - r * d;
        tile[r * stride + e] = x[(b * len + r0 + r) * c + h * d + e];
    }
}

template <int D>
__global__ void __launch_bounds__(kRowsQ) attention_forward_kernel(const float* q, const float* k, const float* v,
                                                                   float* out, float* lse, int64_t heads, int64_t lq,
                                                                   int64_t lk, float scale) {
    __shared__ float ks[kTileK * D], vs[kTileK * D];
    const int64_t bh = blockIdx.y, b = bh / heads, h = bh % heads, c = heads * D;
    const int64_t i = (int64_t)blockIdx.x * kRowsQ + threadIdx.x;
    const bool valid = i < lq;
    float qr[D], acc[D];
    float m = -INFINITY, l = 0.f;
#pragma unroll
    for (int e = 0; e < D; ++e) {
        qr[e] = valid ? q[(b * lq + i) * c + h * D + e] : 0.f;
        acc[e] = 0.f;
    }
    for (int64_t j0 = 0; j0 < lk; j0 += kTileK) {
        const int n = (int)(lk - j0 < kTileK ? lk - j0 : kTileK);
        __syncthreads();  // the previous tile's readers are done
        stage_rows(ks, D, k, b, lk, c, h, D, j0, n);
        stage_rows(vs, D, v, b, lk, c, h, D, j0, n);
        __syncthreads();
        if (valid) {
            for (int r = 0; r < n; ++r) {
                const float s = scale * dot_row<D>(qr, ks + r * D);
                if (s > m) {
                    const float corr = expf(m - s);
                    l *= corr;
#pragma unroll
                    for (int e = 0; e < D; ++e) acc[e] *= corr;
                    m = s;
                }
                const float p = expf(s - m);
                l += p;
#pragma unroll
                for (int e = 0; e < D; ++e) acc[e] += p * vs[r * D + e];
            }
        }
    }
    if (!valid) return;
    float* o = out + (b * lq + i) * c + h * D;
    const float inv = 1.f / l;
#pragma unroll
    for (int e = 0; e < D; ++e) o[e] = acc[e] * inv;
    lse[bh * lq + i] = m + logf(l);
}

template <int D>
__global__ void __launch_bounds__(kRowsQ) attention_dq_kernel(const float* q, const float* k, const float* v,
                                                              const float* out, const float* dout, const float* lse,
                                                              float* delta, float* dq, int64_t heads, int64_t lq,
                                                              int64_t lk, float scale) {
    __shared__ float ks[kTileK * D], vs[kTileK * D];
    const int64_t bh = blockIdx.y, b = bh / heads, h = bh % heads, c = heads * D;
    const int64_t i = (int64_t)blockIdx.x * kRowsQ + threadIdx.x;
    const bool valid = i < lq;
    const int64_t row = (b * lq + (valid ? i : 0)) * c + h * D;
    float qr[D], gr[D], acc[D];
    float di = 0.f;
#pragma unroll
    for (int e = 0; e < D; ++e) {
        qr[e] = valid ? q[row + e] : 0.f;
        gr[e] = valid ? dout[row + e] : 0.f;
        di += gr[e] * (valid ? out[row + e] : 0.f);
        acc[e] = 0.f;
    }
    const float li = valid ? lse[bh * lq + i] : 0.f;
    if (valid) delta[bh * lq + i] = di;
    if (!dq) return;  // uniform across the grid: no barrier is skipped by some threads only
    for (int64_t j0 = 0; j0 < lk; j0 += kTileK) {
        const int n = (int)(lk - j0 < kTileK ? lk - j0 : kTileK);
        __syncthreads();
        stage_rows(ks, D, k, b, lk, c, h, D, j0, n);
        stage_rows(vs, D, v, b, lk, c, h, D, j0, n);
        __syncthreads();
        if (valid) {
            for (int r = 0; r < n; ++r) {
                const float p = expf(scale * dot_row<D>(qr, ks + r * D) - li);
                const float ds = p * (dot_row<D>(gr, vs + r * D) - di);
#pragma unroll
                for (int e = 0; e < D; ++e) acc[e] += ds * ks[r * D + e];
            }
        }
    }
    if (!valid) return;
#pragma unroll
    for (int e = 0; e < D; ++e) dq[row + e] = scale * acc[e];
}

template <int D>
__global__ void __launch_bounds__(kRowsK) attention_dkv_kernel(const float* q, const float* k, const float* v,
                                                               const float* dout, const float* lse,
                                                               const float* delta, float* dk, float* dv,
                                                               int64_t heads, int64_t lq, int64_t lk, float scale) {
    constexpr int S = D + 1;  // padded row stride of the block's own rows
    __shared__ float kown[kRowsK * S], vown[kRowsK * S];
    __shared__ float qs[kTileQ * D], gs[kTileQ * D], ls[kTileQ], dls[kTileQ];
    const int64_t bh = blockIdx.y, b = bh / heads, h = bh % heads, c = heads * D;
    const int64_t j0 = (int64_t)blockIdx.x * kRowsK, j = j0 + threadIdx.x;
    const int nk = (int)(lk - j0 < kRowsK ? lk - j0 : kRowsK);
    const bool valid = j < lk;
    stage_rows(kown, S, k, b, lk, c, h, D, j0, nk);
    stage_rows(vown, S, v, b, lk, c, h, D, j0, nk);
    float gk[D], gv[D];
#pragma unroll
    for (int e = 0; e < D; ++e) gk[e] = gv[e] = 0.f;
    const float* kr = kown + threadIdx.x * S;
    const float* vr = vown + threadIdx.x * S;
    for (int64_t i0 = 0; i0 < lq; i0 += kTileQ) {
        const int n = (int)(lq - i0 < kTileQ ? lq - i0 : kTileQ);
        __syncthreads();  // own rows staged / the previous tile's readers are done
        stage_rows(qs, D, q, b, lq, c, h, D, i0, n);
        stage_rows(gs, D, dout, b, lq, c, h, D, i0, n);
        for (int t = threadIdx.x; t < n; t += blockDim.x) {
            ls[t] = lse[bh * lq + i0 + t];
            dls[t] = delta[bh * lq + i0 + t];
        }
        __syncthreads();
        if (valid) {
            for (int r = 0; r < n; ++r) {
                const float* qi = qs + r * D;
                const float* gi = gs + r * D;
                float s = 0.f, dp = 0.f;
#pragma unroll
                for (int e = 0; e < D; ++e) {
                    s += qi[e] * kr[e];
                    dp += gi[e] * vr[e];
                }
                const float p = expf(scale * s - ls[r]);
                const float ds = p * (dp - dls[r]);
#pragma unroll
                for (int e = 0; e < D; ++e) {
                    gv[e] += p * gi[e];
                    gk[e] += ds * qi[e];
                }
            }
        }
    }
    if (!valid) return;
    const int64_t row = (b * lk + j) * c + h * D;
#pragma unroll
    for (int e = 0; e < D; ++e) {
        if (dk) dk[row + e] = scale * gk[e];
        if (dv) dv[row + e] = gv[e];
    }
}

template <int D>
int forward(const float* q, const float* k, const float* v, float* out, float* lse, int64_t batch, int64_t heads,
            int64_t lq, int64_t lk, float scale) {
    const dim3 grid((unsigned)((lq + kRowsQ - 1) / kRowsQ), (unsigned)(batch * heads));
    attention_forward_kernel<D><<<grid, kRowsQ, 0, dml::cuda::stream()>>>(q, k, v, out, lse, heads, lq, lk, scale);
    return dml::cuda::check_launch("attention_forward");
}

template <int D>
int backward(const float* q, const float* k, const float* v, const float* out, const float* dout, const float* lse,
             float* delta, float* dq, float* dk, float* dv, int64_t batch, int64_t heads, int64_t lq, int64_t lk,
             float scale) {
    const dim3 grid_q((unsigned)((lq + kRowsQ - 1) / kRowsQ), (unsigned)(batch * heads));
    attention_dq_kernel<D><<<grid_q, kRowsQ, 0, dml::cuda::stream()>>>(q, k, v, out, dout, lse, delta, dq, heads, lq,
                                                                       lk, scale);
    if (int s = dml::cuda::check_launch("attention_backward dq")) return s;
    if (!dk && !dv) return DML_OK;
    const dim3 grid_k((unsigned)((lk + kRowsK - 1) / kRowsK), (unsigned)(batch * heads));
    attention_dkv_kernel<D><<<grid_k, kRowsK, 0, dml::cuda::stream()>>>(q, k, v, dout, lse, delta, dk, dv, heads, lq,
                                                                        lk, scale);
    return dml::cuda::check_launch("attention_backward dk dv");
}

bool grid_fits(int64_t batch, int64_t heads) { return batch * heads <= 65535; }

}  // namespace

using dml::cuda::fail;

DML_CUDA_API int dml_cuda_attention_supported(int64_t head_dim) {
    return head_dim == 8 || head_dim == 16 || head_dim == 32 || head_dim == 64;
}

DML_CUDA_API int dml_cuda_attention_forward(const float* q, const float* k, const float* v, float* out, float* lse,
                                            int64_t batch, int64_t heads, int64_t lq, int64_t lk, int64_t head_dim,
                                            float scale) {
    if (!grid_fits(batch, heads))
        return fail(DML_ERR_ARGUMENT, "attention_forward: batch * heads = %lld exceeds 65535",
                    (long long)(batch * heads));
    switch (head_dim) {
        case 8: return forward<8>(q, k, v, out, lse, batch, heads, lq, lk, scale);
        case 16: return forward<16>(q, k, v, out, lse, batch, heads, lq, lk, scale);
        case 32: return forward<32>(q, k, v, out, lse, batch, heads, lq, lk, scale);
        case 64: return forward<64>(q, k, v, out, lse, batch, heads, lq, lk, scale);
        default: return fail(DML_ERR_ARGUMENT, "attention_forward: no CUDA kernel for head_dim %lld", (long long)head_dim);
    }
}

DML_CUDA_API int dml_cuda_attention_backward(const float* q, const float* k, const float* v, const float* out,
                                             const float* dout, const float* lse, float* delta, float* dq, float* dk,
                                             float* dv, int64_t batch, int64_t heads, int64_t lq, int64_t lk,
                                             int64_t head_dim, float scale) {
    if (!grid_fits(batch, heads))
        return fail(DML_ERR_ARGUMENT, "attention_backward: batch * heads = %lld exceeds 65535",
                    (long long)(batch * heads));
    switch (head_dim) {
        case 8: return backward<8>(q, k, v, out, dout, lse, delta, dq, dk, dv, batch, heads, lq, lk, scale);
        case 16: return backward<16>(q, k, v, out, dout, lse, delta, dq, dk, dv, batch, heads, lq, lk, scale);
        case 32: return backward<32>(q, k, v, out, dout, lse, delta, dq, dk, dv, batch, heads, lq, lk, scale);
        case 64: return backward<64>(q, k, v, out, dout, lse, delta, dq, dk, dv, batch, heads, lq, lk, scale);
        default: return fail(DML_ERR_ARGUMENT, "attention_backward: no CUDA kernel for head_dim %lld", (long long)head_dim);
    }
}
