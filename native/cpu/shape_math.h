// Scalar formulas of the shape group shared by the CPU reference (native/cpu/shape.cpp) and the CUDA twins
// (cuda/shape.cu): resize source indices, loss terms and the dropout hash. Both devices compile this one header,
// so they pick the same source pixels and, above all, the same dropout mask for the same seed.
#pragma once
#include <math.h>
#include <stdint.h>
#include "diffiml.h"

#ifdef __CUDACC__
#define DML_SHAPE_FN __host__ __device__ __forceinline__
#else
#define DML_SHAPE_FN inline
#endif

namespace dml::shape {

// ---- permute ----

constexpr int kMaxPermuteRank = 6;

// y's dims and, per y dim, the step in x (x contiguous with dims `shape`, y dim j = x dim perm[j]); n elements.
// Small and trivially copyable, so the CUDA kernel takes it by value.
struct PermuteGeometry {
    int rank;
    int64_t n;
    int64_t out_shape[kMaxPermuteRank];
    int64_t stride[kMaxPermuteRank];
};

// Host-side; `perm` must already be a valid permutation of 0..rank-1 with rank in 1..kMaxPermuteRank.
inline PermuteGeometry permute_geometry(int rank, const int64_t* shape, const int64_t* perm) {
    int64_t in_stride[kMaxPermuteRank];
    in_stride[rank - 1] = 1;
    for (int d = rank - 2; d >= 0; --d) in_stride[d] = in_stride[d + 1] * shape[d + 1];
    PermuteGeometry g;
    g.rank = rank;
    g.n = 1;
    for (int j = 0; j < rank; ++j) {
        g.out_shape[j] = shape[perm[j]];
        g.stride[j] = in_stride[perm[j]];
        g.n *= g.out_shape[j];
    }
    return g;
}

// ---- resize (PyTorch F.interpolate with output sizes) ----

// PyTorch's scale for a given output size: input / output in single precision.
DML_SHAPE_FN float resize_scale(int64_t in, int64_t out) { return (float)in / (float)out; }

// 'nearest': floorf(dst * scale) clamped to in - 1, in float exactly as PyTorch computes it (this differs from the
// exact floor(dst * in / out) for some sizes, e.g. in 2, out 82, dst 41 gives 0).
DML_SHAPE_FN int64_t nearest_source(int64_t dst, float scale, int64_t in) {
    int64_t src = (int64_t)floorf((float)dst * scale);
    return src < in - 1 ? src : in - 1;
}

// Two taps of 'bilinear' with align_corners=False along one axis.
struct Taps {
    int64_t i0, i1;
    float w0, w1;
};

DML_SHAPE_FN Taps linear_source(int64_t dst, float scale, int64_t in) {
    float src = scale * ((float)dst + 0.5f) - 0.5f;
    if (src < 0.f) src = 0.f;
    int64_t i0 = (int64_t)src;  // floor: src >= 0
    if (i0 > in - 1) i0 = in - 1;
    Taps t;
    t.i0 = i0;
    t.i1 = i0 < in - 1 ? i0 + 1 : i0;
    t.w1 = src - (float)i0;
    if (t.w1 > 1.f) t.w1 = 1.f;
    t.w0 = 1.f - t.w1;
    return t;
}

// ---- losses ----

DML_SHAPE_FN float loss_term(int op, float p, float t) {
    switch (op) {
        case DML_LOSS_MSE: return (p - t) * (p - t);
        case DML_LOSS_L1: return fabsf(p - t);
        default: return fmaxf(p, 0.f) - p * t + log1pf(expf(-fabsf(p)));
    }
}

// d loss_term / dp.
DML_SHAPE_FN float loss_grad_pred(int op, float p, float t) {
    switch (op) {
        case DML_LOSS_MSE: return 2.f * (p - t);
        case DML_LOSS_L1: return p > t ? 1.f : (p < t ? -1.f : 0.f);
        default: {
            float s = p >= 0.f ? 1.f / (1.f + expf(-p)) : expf(p) / (1.f + expf(p));
            return s - t;
        }
    }
}

// d loss_term / dt.
DML_SHAPE_FN float loss_grad_target(int op, float p, float t) {
    return op == DML_LOSS_BCE_LOGITS ? -p : -loss_grad_pred(op, p, t);
}

DML_SHAPE_FN bool valid_loss(int op) { return op >= DML_LOSS_MSE && op <= DML_LOSS_BCE_LOGITS; }

// ---- dropout ----

// splitmix64's finaliser: a bijective 64-bit mix with full avalanche.
DML_SHAPE_FN uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Whether element group `index` survives dropout with probability p under `seed`: the top 24 bits of
// mix64(mix64(seed) + (index + 1) * golden) as a uniform u in [0, 1) (exact in float), kept when u >= p.
DML_SHAPE_FN bool dropout_keep(uint64_t seed, uint64_t index, float p) {
    uint64_t h = mix64(mix64(seed) + (index + 1) * 0x9E3779B97F4A7C15ull);
    float u = (float)(h >> 40) * (1.f / 16777216.f);
    return u >= p;
}

// The survivors' scale 1 / (1 - p); 0 when p == 1 (nothing survives).
DML_SHAPE_FN float dropout_scale(float p) { return p < 1.f ? 1.f / (1.f - p) : 0.f; }

}  // namespace dml::shape
