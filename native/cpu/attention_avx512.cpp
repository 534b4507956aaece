// The fast CPU path of the fused attention kernels (attention.cpp holds the C entry points and the scalar twin of
// cuda/attention.cu): flash-style, AVX-512, for head dims 8, 16, 32 and 64 (the UNet's mid attention has 16 heads of
// 8 dims, the Mix Transformer's heads have 32 or 64). No score tensor: per work item (sample, head, chunk of 128
// query rows or more, or of key rows in the dK/dV pass) the head's keys and values are packed once, contiguous and
// transposed, and then
// - forward: 4 query rows at a time against blocks of 64 keys: the 4 x 64 scores are 16 vector accumulators fed by
//   D broadcasts of q and D x 4 loads of K^T, in base-2 units (scale log2 e folded in); an online softmax (running
//   max m and sum l per row, vector 2^x) and P V accumulated in registers; out = acc / l, lse = (m + log2 l) ln 2.
//   Heads of 8 dims take 2 rows at a time and form P V against V^T, with lane-wise partial sums (see
//   forward_rows_narrow);
// - dQ: the same loop recomputes p = exp(s - lse) and dp = dO V^T, ds = p (dp - delta), dq += ds K;
// - dK, dV: per key row against blocks of 64 queries (Q^T and dO^T packed): dv += p dO, dk += ds Q.
// The scalar twin in attention.cpp stays the reference of the algorithm; AttentionTest compares this path, the twin
// and the GEMM path of ai.diffiml.ops.Attention. Results differ from them only in summation order and in the
// vector exponentials (vmath_avx512.h: 2^x in the forward, Cephes' e^x in the backward).
#include <algorithm>
#include <cmath>
#include <vector>
#include <omp.h>
#include "core/dispatch.h"
#include "cpu/cpu_features.h"

#if defined(__x86_64__)
#include <immintrin.h>
// GCC 12 flags the intrinsics' own _mm512_undefined_ps() (`__m512 __Y = __Y;`) as maybe-uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define DML_AVX512 __attribute__((target("avx512f,avx2,fma")))
#include "cpu/vmath_avx512.h"
#endif

namespace dml::cpu {

#if defined(__x86_64__)
namespace {

constexpr int64_t kBlock = 64;  // keys (forward, dQ) or queries (dK, dV) per block: 4 vectors
constexpr int64_t kChunk = 128; // rows per work item, at least
constexpr int kRows = 4;        // rows held in registers at once
constexpr float kLog2e = 1.44269504088896341f, kLn2 = 0.693147180559945309f;

// Lanes of the 4 vectors of a block that hold a real row (the last block may be partial).
inline void block_masks(int64_t valid, __mmask16 m[4]) {
    for (int v = 0; v < 4; ++v) m[v] = vmath::first_lanes(valid - 16 * v);
}

// The largest score of a block's real lanes.
DML_AVX512 inline float block_max(const __m512 s[4], const __mmask16 mk[4]) {
    __m512 mx = _mm512_set1_ps(-INFINITY);
    for (int v = 0; v < 4; ++v) mx = _mm512_mask_max_ps(mx, mk[v], mx, s[v]);
    return _mm512_reduce_max_ps(mx);
}

// One vector of the backward's softmax terms: p = exp(s - lse) on the lanes of `mask` (0 elsewhere) and
// ds = p (dp - delta), stored to p_out (when not null) and ds_out.
DML_AVX512 inline void softmax_grads(__m512 s, __m512 dp, __m512 lse, __m512 delta, __mmask16 mask, float* p_out,
                                     float* ds_out) {
    const __m512 p = _mm512_maskz_mov_ps(mask, vmath::exp_ps(_mm512_sub_ps(s, lse)));
    if (p_out) _mm512_store_ps(p_out, p);
    _mm512_store_ps(ds_out, _mm512_mul_ps(p, _mm512_sub_ps(dp, delta)));
}

// The rows [r0, r0 + n) of a head (token stride c, head offset at src) as a dense n x D matrix and as its
// transpose D x np (np = n rounded up to kBlock, the pad columns zero).
template <int D>
void pack(const float* src, int64_t c, int64_t n, float* rows, float* cols, int64_t np) {
    for (int64_t j = 0; j < n; ++j) {
        const float* s = src + j * c;
        if (rows) std::copy(s, s + D, rows + j * D);
        if (cols)
            for (int e = 0; e < D; ++e) cols[e * np + j] = s[e];
    }
    if (cols)
        for (int e = 0; e < D; ++e) std::fill(cols + e * np + n, cols + (e + 1) * np, 0.f);
}

// s[r][v] = sum_e a[r][e] * bt[e][j0 + 16 v ...] for R rows of a (scaled by `scale`): a block of scores.
template <int D, int R>
DML_AVX512 inline void scores(const float* const* a, const float* bt, int64_t np, int64_t j0, float scale,
                              __m512 s[R][4]) {
    for (int r = 0; r < R; ++r)
        for (int v = 0; v < 4; ++v) s[r][v] = _mm512_setzero_ps();
    for (int e = 0; e < D; ++e) {
        const float* col = bt + e * np + j0;
        const __m512 b0 = _mm512_loadu_ps(col), b1 = _mm512_loadu_ps(col + 16), b2 = _mm512_loadu_ps(col + 32),
                     b3 = _mm512_loadu_ps(col + 48);
        for (int r = 0; r < R; ++r) {
            const __m512 x = _mm512_set1_ps(a[r][e] * scale);
            s[r][0] = _mm512_fmadd_ps(x, b0, s[r][0]);
            s[r][1] = _mm512_fmadd_ps(x, b1, s[r][1]);
            s[r][2] = _mm512_fmadd_ps(x, b2, s[r][2]);
            s[r][3] = _mm512_fmadd_ps(x, b3, s[r][3]);
        }
    }
}

// acc[r] += sum_j w[r][j] * rows[j0 + j] over the `valid` rows of a block: D-wide rows (D = 8: half a vector).
template <int D, int R>
DML_AVX512 inline void accumulate(const float (*w)[kBlock], const float* rows, int64_t j0, int64_t valid,
                                  float (*acc)[D]) {
    if constexpr (D == 8) {
        __m256 a[R];
        for (int r = 0; r < R; ++r) a[r] = _mm256_loadu_ps(acc[r]);
        for (int64_t j = 0; j < valid; ++j) {
            const __m256 x = _mm256_loadu_ps(rows + (j0 + j) * D);
            for (int r = 0; r < R; ++r) a[r] = _mm256_fmadd_ps(_mm256_set1_ps(w[r][j]), x, a[r]);
        }
        for (int r = 0; r < R; ++r) _mm256_storeu_ps(acc[r], a[r]);
    } else {
        constexpr int NV = D / 16;
        __m512 a[R][NV];
        for (int r = 0; r < R; ++r)
            for (int v = 0; v < NV; ++v) a[r][v] = _mm512_loadu_ps(acc[r] + 16 * v);
        for (int64_t j = 0; j < valid; ++j) {
            const float* x = rows + (j0 + j) * D;
            for (int r = 0; r < R; ++r) {
                const __m512 wj = _mm512_set1_ps(w[r][j]);
                for (int v = 0; v < NV; ++v) a[r][v] = _mm512_fmadd_ps(wj, _mm512_loadu_ps(x + 16 * v), a[r][v]);
            }
        }
        for (int r = 0; r < R; ++r)
            for (int v = 0; v < NV; ++v) _mm512_storeu_ps(acc[r] + 16 * v, a[r][v]);
    }
}

struct Sizes {
    int64_t batch, heads, lq, lk, c;
    float scale;
};

// Forward of R query rows starting at (b, h, i): kt = K^T (D x lkp), vr = V (lk x D) of the head.
template <int D, int R>
DML_AVX512 void forward_rows(const Sizes& z, const float* q, float* out, float* lse, int64_t b, int64_t h, int64_t i,
                             const float* kt, const float* vr, int64_t lkp) {
    const float* qr[R];
    for (int r = 0; r < R; ++r) qr[r] = q + (b * z.lq + i + r) * z.c + h * D;
    const float scale2 = z.scale * kLog2e;  // scores and their running max m in base-2 units
    float m[R], l[R], acc[R][D];
    alignas(64) float p[R][kBlock];
    for (int r = 0; r < R; ++r) {
        m[r] = -INFINITY;
        l[r] = 0.f;
        std::fill(acc[r], acc[r] + D, 0.f);
    }
    for (int64_t j0 = 0; j0 < z.lk; j0 += kBlock) {
        const int64_t valid = std::min(kBlock, z.lk - j0);
        __mmask16 mk[4];
        block_masks(valid, mk);
        __m512 s[R][4];
        scores<D, R>(qr, kt, lkp, j0, scale2, s);
        for (int r = 0; r < R; ++r) {
            const float mnew = std::max(m[r], block_max(s[r], mk));
            const float corr = std::exp2(m[r] - mnew);  // 0 on the first block (m = -inf)
            m[r] = mnew;
            const __m512 mv = _mm512_set1_ps(mnew);
            __m512 sum = _mm512_setzero_ps();
            for (int v = 0; v < 4; ++v) {
                const __m512 e = _mm512_maskz_mov_ps(mk[v], vmath::exp2_ps(_mm512_sub_ps(s[r][v], mv)));
                sum = _mm512_add_ps(sum, e);
                _mm512_store_ps(p[r] + 16 * v, e);
            }
            l[r] = l[r] * corr + _mm512_reduce_add_ps(sum);
            for (int e = 0; e < D; ++e) acc[r][e] *= corr;
        }
        accumulate<D, R>(p, vr, j0, valid, acc);
    }
    for (int r = 0; r < R; ++r) {
        float* o = out + (b * z.lq + i + r) * z.c + h * D;
        const float inv = 1.f / l[r];
        for (int e = 0; e < D; ++e) o[e] = acc[r][e] * inv;
        lse[(b * z.heads + h) * z.lq + i + r] = m[r] * kLn2 + std::log(l[r]);
    }
}

// Forward of R query rows for narrow heads (D = 8), vt = V^T (D x lkp): P V formed as V^T P^T. acc[r][e] holds 16
// partial sums of out[r][e] (lanes: keys mod 16), so a block costs D x 4 full-width FMAs per row (the generic path:
// 64 half-width FMAs and 64 broadcasts), p never leaves the registers and the running sum l stays a vector too;
// the lanes are summed once per row at the end. Rescaling by exp(m_old - m_new) is skipped when the max holds.
template <int D, int R>
DML_AVX512 void forward_rows_narrow(const Sizes& z, const float* q, float* out, float* lse, int64_t b, int64_t h,
                                    int64_t i, const float* kt, const float* vt, int64_t lkp) {
    const float* qr[R];
    for (int r = 0; r < R; ++r) qr[r] = q + (b * z.lq + i + r) * z.c + h * D;
    const float scale2 = z.scale * kLog2e;  // scores and their running max m in base-2 units
    float m[R];
    __m512 acc[R][D], l[R];
    for (int r = 0; r < R; ++r) {
        m[r] = -INFINITY;
        l[r] = _mm512_setzero_ps();
        for (int e = 0; e < D; ++e) acc[r][e] = _mm512_setzero_ps();
    }
    for (int64_t j0 = 0; j0 < z.lk; j0 += kBlock) {
        const int64_t valid = std::min(kBlock, z.lk - j0);
        __mmask16 mk[4];
        block_masks(valid, mk);
        __m512 s[R][4];
        scores<D, R>(qr, kt, lkp, j0, scale2, s);
        for (int r = 0; r < R; ++r) {
            const float mnew = std::max(m[r], block_max(s[r], mk));
            if (mnew > m[r]) {
                const __m512 corr = _mm512_set1_ps(std::exp2(m[r] - mnew));  // 0 on the first block (m = -inf)
                l[r] = _mm512_mul_ps(l[r], corr);
                for (int e = 0; e < D; ++e) acc[r][e] = _mm512_mul_ps(acc[r][e], corr);
                m[r] = mnew;
            }
            const __m512 mv = _mm512_set1_ps(m[r]);
            for (int v = 0; v < 4; ++v) {
                s[r][v] = _mm512_maskz_mov_ps(mk[v], vmath::exp2_ps(_mm512_sub_ps(s[r][v], mv)));
                l[r] = _mm512_add_ps(l[r], s[r][v]);
            }
        }
        for (int v = 0; v < 4; ++v)
            for (int e = 0; e < D; ++e) {
                const __m512 x = _mm512_loadu_ps(vt + e * lkp + j0 + 16 * v);
                for (int r = 0; r < R; ++r) acc[r][e] = _mm512_fmadd_ps(s[r][v], x, acc[r][e]);
            }
    }
    for (int r = 0; r < R; ++r) {
        float* o = out + (b * z.lq + i + r) * z.c + h * D;
        const float sum = _mm512_reduce_add_ps(l[r]), inv = 1.f / sum;
        for (int e = 0; e < D; ++e) o[e] = _mm512_reduce_add_ps(acc[r][e]) * inv;
        lse[(b * z.heads + h) * z.lq + i + r] = m[r] * kLn2 + std::log(sum);
    }
}

// dQ of R query rows: kt = K^T, vt = V^T (D x lkp), kr = K (lk x D) of the head.
template <int D, int R>
DML_AVX512 void dq_rows(const Sizes& z, const float* q, const float* dout, const float* lse, const float* delta,
                        float* dq, int64_t b, int64_t h, int64_t i, const float* kt, const float* vt, const float* kr,
                        int64_t lkp) {
    const float *qr[R], *gr[R];
    float ls[R], dl[R], acc[R][D];
    alignas(64) float ds[R][kBlock];
    for (int r = 0; r < R; ++r) {
        const int64_t row = (b * z.lq + i + r) * z.c + h * D, li = (b * z.heads + h) * z.lq + i + r;
        qr[r] = q + row;
        gr[r] = dout + row;
        ls[r] = lse[li];
        dl[r] = delta[li];
        std::fill(acc[r], acc[r] + D, 0.f);
    }
    for (int64_t j0 = 0; j0 < z.lk; j0 += kBlock) {
        const int64_t valid = std::min(kBlock, z.lk - j0);
        __mmask16 mk[4];
        block_masks(valid, mk);
        __m512 s[R][4], dp[R][4];
        scores<D, R>(qr, kt, lkp, j0, z.scale, s);
        scores<D, R>(gr, vt, lkp, j0, 1.f, dp);
        for (int r = 0; r < R; ++r) {
            const __m512 lv = _mm512_set1_ps(ls[r]), dv = _mm512_set1_ps(dl[r]);  // one query row: broadcast
            for (int v = 0; v < 4; ++v) softmax_grads(s[r][v], dp[r][v], lv, dv, mk[v], nullptr, ds[r] + 16 * v);
        }
        accumulate<D, R>(ds, kr, j0, valid, acc);
    }
    for (int r = 0; r < R; ++r) {
        float* g = dq + (b * z.lq + i + r) * z.c + h * D;
        for (int e = 0; e < D; ++e) g[e] = acc[r][e] * z.scale;
    }
}

// dK and dV of R key rows starting at (b, h, j): qt = Q^T, gt = dO^T (D x lqp), qr = Q, gr = dO (lq x D), ls / dl
// the head's lse and delta rows (lqp long, the pad never read unmasked).
template <int D, int R>
DML_AVX512 void dkv_rows(const Sizes& z, const float* k, const float* v, float* dk, float* dv, int64_t b, int64_t h,
                         int64_t j, const float* qt, const float* gt, const float* qr, const float* gr,
                         const float* ls, const float* dl, int64_t lqp) {
    const float *kr[R], *vr[R];
    float gk[R][D], gv[R][D];
    alignas(64) float p[R][kBlock], ds[R][kBlock];
    for (int r = 0; r < R; ++r) {
        const int64_t row = (b * z.lk + j + r) * z.c + h * D;
        kr[r] = k + row;
        vr[r] = v + row;
        std::fill(gk[r], gk[r] + D, 0.f);
        std::fill(gv[r], gv[r] + D, 0.f);
    }
    for (int64_t i0 = 0; i0 < z.lq; i0 += kBlock) {
        const int64_t valid = std::min(kBlock, z.lq - i0);
        __mmask16 mq[4];
        block_masks(valid, mq);
        __m512 s[R][4], dp[R][4];
        scores<D, R>(kr, qt, lqp, i0, z.scale, s);
        scores<D, R>(vr, gt, lqp, i0, 1.f, dp);
        for (int w = 0; w < 4; ++w) {
            // 16 query rows per vector: their lse and delta loaded
            const __m512 lv = _mm512_loadu_ps(ls + i0 + 16 * w), dlv = _mm512_loadu_ps(dl + i0 + 16 * w);
            for (int r = 0; r < R; ++r) softmax_grads(s[r][w], dp[r][w], lv, dlv, mq[w], p[r] + 16 * w, ds[r] + 16 * w);
        }
        accumulate<D, R>(p, gr, i0, valid, gv);
        accumulate<D, R>(ds, qr, i0, valid, gk);
    }
    for (int r = 0; r < R; ++r) {
        const int64_t row = (b * z.lk + j + r) * z.c + h * D;
        if (dk)
            for (int e = 0; e < D; ++e) dk[row + e] = gk[r][e] * z.scale;
        if (dv)
            for (int e = 0; e < D; ++e) dv[row + e] = gv[r][e];
    }
}

// delta[b, h, i] = dout_i . out_i, summed with FMAs in the order the kernels form dout_i . v_j, so that where the
// two are equal (one key: out = v) ds = p (dp - delta) is exactly 0, as the GEMM path's softmax backward gives.
DML_AVX512 void row_deltas(const Sizes& z, int64_t d, const float* out, const float* dout, float* delta) {
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < z.batch * z.heads * z.lq; ++r) {
        const int64_t i = r % z.lq, bh = r / z.lq, h = bh % z.heads, b = bh / z.heads;
        const int64_t row = (b * z.lq + i) * z.c + h * d;
        float s = 0.f;
        for (int64_t e = 0; e < d; ++e) s = __builtin_fmaf(dout[row + e], out[row + e], s);
        delta[r] = s;
    }
}

inline int64_t round_up(int64_t n) { return (n + kBlock - 1) / kBlock * kBlock; }

// Calls body(b, h, row0, rows) for every chunk of rows of every (sample, head), in parallel; each thread's scratch
// vector is handed to the body. A chunk is kChunk rows, or more where there are many (a head's keys are packed once
// per chunk: at 4096 tokens 128-row chunks packed them 32 times), keeping 8 chunks per thread for the balance.
template <typename Body>
void for_chunks(int64_t batch, int64_t heads, int64_t len, size_t scratch, Body body) {
    const int64_t spread = batch * heads * len / (8 * static_cast<int64_t>(omp_get_max_threads()));
    const int64_t chunk = std::min(len, std::max(kChunk, (spread + kRows - 1) / kRows * kRows));
    const int64_t chunks = (len + chunk - 1) / chunk, items = batch * heads * chunks;
#pragma omp parallel
    {
        std::vector<float> buf(scratch);
#pragma omp for schedule(dynamic, 1)
        for (int64_t it = 0; it < items; ++it) {
            const int64_t ch = it % chunks, bh = it / chunks;
            const int64_t r0 = ch * chunk;
            body(bh / heads, bh % heads, r0, std::min(chunk, len - r0), buf.data());
        }
    }
}

template <int D>
DML_AVX512 void forward_d(const Sizes& z, const float* q, const float* k, const float* v, float* out, float* lse) {
    const int64_t lkp = round_up(z.lk);
    for_chunks(z.batch, z.heads, z.lq, static_cast<size_t>(2 * D * lkp),
               [&](int64_t b, int64_t h, int64_t i0, int64_t n, float* buf) {
                   float *kt = buf, *vr = buf + D * lkp;
                   pack<D>(k + b * z.lk * z.c + h * D, z.c, z.lk, nullptr, kt, lkp);
                   int64_t i = i0;
                   if constexpr (D == 8) {
                       pack<D>(v + b * z.lk * z.c + h * D, z.c, z.lk, nullptr, vr, lkp);  // V^T
                       for (; i + 2 <= i0 + n; i += 2) forward_rows_narrow<D, 2>(z, q, out, lse, b, h, i, kt, vr, lkp);
                       for (; i < i0 + n; ++i) forward_rows_narrow<D, 1>(z, q, out, lse, b, h, i, kt, vr, lkp);
                       return;
                   }
                   pack<D>(v + b * z.lk * z.c + h * D, z.c, z.lk, vr, nullptr, lkp);
                   for (; i + kRows <= i0 + n; i += kRows) forward_rows<D, kRows>(z, q, out, lse, b, h, i, kt, vr, lkp);
                   for (; i < i0 + n; ++i) forward_rows<D, 1>(z, q, out, lse, b, h, i, kt, vr, lkp);
               });
}

template <int D>
DML_AVX512 void backward_d(const Sizes& z, const float* q, const float* k, const float* v, const float* dout,
                           const float* lse, const float* delta, float* dq, float* dk, float* dv) {
    if (dq) {
        const int64_t lkp = round_up(z.lk);
        for_chunks(z.batch, z.heads, z.lq, static_cast<size_t>(3 * D * lkp),
                   [&](int64_t b, int64_t h, int64_t i0, int64_t n, float* buf) {
                       float *kt = buf, *vt = buf + D * lkp, *kr = buf + 2 * D * lkp;
                       pack<D>(k + b * z.lk * z.c + h * D, z.c, z.lk, kr, kt, lkp);
                       pack<D>(v + b * z.lk * z.c + h * D, z.c, z.lk, nullptr, vt, lkp);
                       int64_t i = i0;
                       for (; i + kRows <= i0 + n; i += kRows)
                           dq_rows<D, kRows>(z, q, dout, lse, delta, dq, b, h, i, kt, vt, kr, lkp);
                       for (; i < i0 + n; ++i) dq_rows<D, 1>(z, q, dout, lse, delta, dq, b, h, i, kt, vt, kr, lkp);
                   });
    }
    if (dk || dv) {
        const int64_t lqp = round_up(z.lq);
        for_chunks(z.batch, z.heads, z.lk, static_cast<size_t>(4 * D * lqp + 2 * lqp),
                   [&](int64_t b, int64_t h, int64_t j0, int64_t n, float* buf) {
                       float *qt = buf, *gt = buf + D * lqp, *qr = buf + 2 * D * lqp, *gr = buf + 3 * D * lqp;
                       float *ls = buf + 4 * D * lqp, *dl = ls + lqp;
                       pack<D>(q + b * z.lq * z.c + h * D, z.c, z.lq, qr, qt, lqp);
                       pack<D>(dout + b * z.lq * z.c + h * D, z.c, z.lq, gr, gt, lqp);
                       const int64_t li = (b * z.heads + h) * z.lq;
                       std::copy(lse + li, lse + li + z.lq, ls);
                       std::copy(delta + li, delta + li + z.lq, dl);
                       std::fill(ls + z.lq, ls + lqp, 0.f);
                       std::fill(dl + z.lq, dl + lqp, 0.f);
                       int64_t j = j0;
                       for (; j + kRows <= j0 + n; j += kRows)
                           dkv_rows<D, kRows>(z, k, v, dk, dv, b, h, j, qt, gt, qr, gr, ls, dl, lqp);
                       for (; j < j0 + n; ++j) dkv_rows<D, 1>(z, k, v, dk, dv, b, h, j, qt, gt, qr, gr, ls, dl, lqp);
                   });
    }
}

}  // namespace

bool attention_avx512_supports(int64_t d) {
    return has_avx512f() && (d == 8 || d == 16 || d == 32 || d == 64);
}

void attention_avx512_forward(const float* q, const float* k, const float* v, float* out, float* lse, int64_t batch,
                              int64_t heads, int64_t lq, int64_t lk, int64_t d, float scale) {
    const Sizes z{batch, heads, lq, lk, heads * d, scale};
    switch (d) {
        case 8: forward_d<8>(z, q, k, v, out, lse); break;
        case 16: forward_d<16>(z, q, k, v, out, lse); break;
        case 32: forward_d<32>(z, q, k, v, out, lse); break;
        default: forward_d<64>(z, q, k, v, out, lse); break;
    }
}

void attention_avx512_backward(const float* q, const float* k, const float* v, const float* out, const float* dout,
                               const float* lse, float* delta, float* dq, float* dk, float* dv, int64_t batch,
                               int64_t heads, int64_t lq, int64_t lk, int64_t d, float scale) {
    const Sizes z{batch, heads, lq, lk, heads * d, scale};
    row_deltas(z, d, out, dout, delta);
    switch (d) {
        case 8: backward_d<8>(z, q, k, v, dout, lse, delta, dq, dk, dv); break;
        case 16: backward_d<16>(z, q, k, v, dout, lse, delta, dq, dk, dv); break;
        case 32: backward_d<32>(z, q, k, v, dout, lse, delta, dq, dk, dv); break;
        default: backward_d<64>(z, q, k, v, dout, lse, delta, dq, dk, dv); break;
    }
}
#else
bool attention_avx512_supports(int64_t) { return false; }
void attention_avx512_forward(const float*, const float*, const float*, float*, float*, int64_t, int64_t, int64_t,
                              int64_t, int64_t, float) {}
void attention_avx512_backward(const float*, const float*, const float*, const float*, const float*, const float*,
                               float*, float*, float*, float*, int64_t, int64_t, int64_t, int64_t, int64_t, float) {}
#endif

}  // namespace dml::cpu
