// CPU twin of the fused attention kernels (cuda/attention.cu) and the C entry points: the same online-softmax
// algorithm, one query row (forward, dq) or one key row (dk, dv) per loop iteration, so the algorithm is tested
// here against the GEMM + softmax path of ai.diffiml.ops.Attention even where no GPU is. Accumulates in float like
// the CUDA kernels. Arguments are validated here, before dispatch.
#include <algorithm>
#include <cmath>
#include <vector>
#include "core/dispatch.h"

namespace dml::cpu {

namespace {
float dot(const float* a, const float* b, int64_t d) {
    float s = 0.f;
    for (int64_t c = 0; c < d; ++c) s += a[c] * b[c];
    return s;
}
}  // namespace

int attention_forward(const float* q, const float* k, const float* v, float* out, float* lse, int64_t batch,
                      int64_t heads, int64_t lq, int64_t lk, int64_t d, float scale) {
    const int64_t c = heads * d;
#pragma omp parallel
    {
        std::vector<float> acc(d);
#pragma omp for schedule(static)
        for (int64_t r = 0; r < batch * heads * lq; ++r) {
            const int64_t i = r % lq, bh = r / lq, h = bh % heads, b = bh / heads;
            const float* qi = q + (b * lq + i) * c + h * d;
            float m = -INFINITY, l = 0.f;
            std::fill(acc.begin(), acc.end(), 0.f);
            for (int64_t j = 0; j < lk; ++j) {
                const int64_t kv = (b * lk + j) * c + h * d;
                const float s = scale * dot(qi, k + kv, d);
                if (s > m) {
                    const float corr = std::exp(m - s);
                    l *= corr;
                    for (int64_t e = 0; e < d; ++e) acc[e] *= corr;
                    m = s;
                }
                const float p = std::exp(s - m);
                l += p;
                for (int64_t e = 0; e < d; ++e) acc[e] += p * v[kv + e];
            }
            float* o = out + (b * lq + i) * c + h * d;
            for (int64_t e = 0; e < d; ++e) o[e] = acc[e] / l;
            lse[r] = m + std::log(l);
        }
    }
    return DML_OK;
}

int attention_backward(const float* q, const float* k, const float* v, const float* out, const float* dout,
                       const float* lse, float* delta, float* dq, float* dk, float* dv, int64_t batch, int64_t heads,
                       int64_t lq, int64_t lk, int64_t d, float scale) {
    const int64_t c = heads * d;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < batch * heads * lq; ++r) {
        const int64_t i = r % lq, bh = r / lq, h = bh % heads, b = bh / heads;
        const int64_t row = (b * lq + i) * c + h * d;
        delta[r] = dot(dout + row, out + row, d);
    }
    if (dq) {
#pragma omp parallel for schedule(static)
        for (int64_t r = 0; r < batch * heads * lq; ++r) {
            const int64_t i = r % lq, bh = r / lq, h = bh % heads, b = bh / heads;
            const int64_t row = (b * lq + i) * c + h * d;
            float* g = dq + row;
            for (int64_t e = 0; e < d; ++e) g[e] = 0.f;
            for (int64_t j = 0; j < lk; ++j) {
                const int64_t kv = (b * lk + j) * c + h * d;
                const float p = std::exp(scale * dot(q + row, k + kv, d) - lse[r]);
                const float ds = p * (dot(dout + row, v + kv, d) - delta[r]);
                for (int64_t e = 0; e < d; ++e) g[e] += ds * k[kv + e];
            }
            for (int64_t e = 0; e < d; ++e) g[e] *= scale;
        }
    }
    if (dk || dv) {
#pragma omp parallel
        {
            std::vector<float> gk(d), gv(d);
#pragma omp for schedule(static)
            for (int64_t r = 0; r < batch * heads * lk; ++r) {
                const int64_t j = r % lk, bh = r / lk, h = bh % heads, b = bh / heads;
                const int64_t kv = (b * lk + j) * c + h * d;
                std::fill(gk.begin(), gk.end(), 0.f);
                std::fill(gv.begin(), gv.end(), 0.f);
                for (int64_t i = 0; i < lq; ++i) {
                    const int64_t row = (b * lq + i) * c + h * d, li = bh * lq + i;
                    const float p = std::exp(scale * dot(q + row, k + kv, d) - lse[li]);
                    const float ds = p * (dot(dout + row, v + kv, d) - delta[li]);
                    for (int64_t e = 0; e < d; ++e) {
                        gv[e] += p * dout[row + e];
                        gk[e] += ds * q[row + e];
                    }
                }
                for (int64_t e = 0; e < d; ++e) {
                    if (dk) dk[kv + e] = scale * gk[e];
                    if (dv) dv[kv + e] = gv[e];
                }
            }
        }
    }
    return DML_OK;
}

int attention_supported(int64_t head_dim) { return head_dim >= 1; }

// attention_avx512.cpp
bool attention_avx512_supports(int64_t d);
void attention_avx512_forward(const float* q, const float* k, const float* v, float* out, float* lse, int64_t batch,
                              int64_t heads, int64_t lq, int64_t lk, int64_t d, float scale);
void attention_avx512_backward(const float* q, const float* k, const float* v, const float* out, const float* dout,
                               const float* lse, float* delta, float* dq, float* dk, float* dv, int64_t batch,
                               int64_t heads, int64_t lq, int64_t lk, int64_t d, float scale);

}  // namespace dml::cpu

namespace {
int check_sizes(const char* op, int64_t batch, int64_t heads, int64_t lq, int64_t lk, int64_t head_dim) {
    if (batch < 1 || heads < 1 || lq < 1 || lk < 1 || head_dim < 1)
        return dml::fail(DML_ERR_ARGUMENT, "%s: sizes must be positive, got batch %lld heads %lld lq %lld lk %lld "
                         "head_dim %lld", op, (long long)batch, (long long)heads, (long long)lq, (long long)lk,
                         (long long)head_dim);
    return DML_OK;
}
}  // namespace

extern "C" {

int dml_attention_supported(int dev, int64_t head_dim) {
    if (dev == DML_CPU) return dml::cpu::attention_supported(head_dim);
    auto supported = reinterpret_cast<int (*)(int64_t)>(dml::cuda_symbol("dml_cuda_attention_supported"));
    return supported ? supported(head_dim) : 0;
}

int dml_attention_forward(int dev, const float* q, const float* k, const float* v, float* out, float* lse,
                          int64_t batch, int64_t heads, int64_t lq, int64_t lk, int64_t head_dim, float scale) {
    if (int s = check_sizes("attention_forward", batch, heads, lq, lk, head_dim)) return s;
    if (!dml_attention_supported(dev, head_dim))
        return dml::fail(DML_ERR_ARGUMENT, "attention_forward: no fused kernel for head_dim %lld on this device",
                         (long long)head_dim);
    DML_DISPATCH(attention_forward, q, k, v, out, lse, batch, heads, lq, lk, head_dim, scale);
}

int dml_attention_backward(int dev, const float* q, const float* k, const float* v, const float* out,
                           const float* dout, const float* lse, float* delta, float* dq, float* dk, float* dv,
                           int64_t batch, int64_t heads, int64_t lq, int64_t lk, int64_t head_dim, float scale) {
    if (int s = check_sizes("attention_backward", batch, heads, lq, lk, head_dim)) return s;
    if (!dml_attention_supported(dev, head_dim))
        return dml::fail(DML_ERR_ARGUMENT, "attention_backward: no fused kernel for head_dim %lld on this device",
                         (long long)head_dim);
    DML_DISPATCH(attention_backward, q, k, v, out, dout, lse, delta, dq, dk, dv, batch, heads, lq, lk, head_dim,
                 scale);
}

int dml_attention_cpu_vector_supported(int64_t head_dim) {
    return dml::cpu::attention_avx512_supports(head_dim) ? 1 : 0;
}

int dml_attention_cpu_vector_forward(const float* q, const float* k, const float* v, float* out, float* lse,
                                     int64_t batch, int64_t heads, int64_t lq, int64_t lk, int64_t head_dim,
                                     float scale) {
    if (int s = check_sizes("attention_cpu_vector_forward", batch, heads, lq, lk, head_dim)) return s;
    if (!dml::cpu::attention_avx512_supports(head_dim))
        return dml::fail(DML_ERR_ARGUMENT, "attention_cpu_vector_forward: needs AVX-512F and head_dim 8, 16, 32 or 64,"
                         " got head_dim %lld", (long long)head_dim);
    dml::cpu::attention_avx512_forward(q, k, v, out, lse, batch, heads, lq, lk, head_dim, scale);
    return DML_OK;
}

int dml_attention_cpu_vector_backward(const float* q, const float* k, const float* v, const float* out,
                                      const float* dout, const float* lse, float* delta, float* dq, float* dk,
                                      float* dv, int64_t batch, int64_t heads, int64_t lq, int64_t lk,
                                      int64_t head_dim, float scale) {
    if (int s = check_sizes("attention_cpu_vector_backward", batch, heads, lq, lk, head_dim)) return s;
    if (!dml::cpu::attention_avx512_supports(head_dim))
        return dml::fail(DML_ERR_ARGUMENT, "attention_cpu_vector_backward: needs AVX-512F and head_dim 8, 16, 32 or"
                         " 64, got head_dim %lld", (long long)head_dim);
    dml::cpu::attention_avx512_backward(q, k, v, out, dout, lse, delta, dq, dk, dv, batch, heads, lq, lk, head_dim,
                                        scale);
    return DML_OK;
}

}  // extern "C"
