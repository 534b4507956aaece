// CPU reference of the shape group and its C API entry points:
//  - layout: one strided block copy (concat, slice, split and their backwards) and a rank <= 6 permute;
//  - resize of NCHW planes (PyTorch 'nearest' and 'bilinear', align_corners=False), forward and backward;
//  - sums over one axis of [outer, len, inner] (sum/mean of everything is outer = inner = 1) in double;
//  - mean-reduced losses (MSE, L1, BCE with logits) and their gradients;
//  - dropout / stochastic depth from a counter-based hash of (seed, index), identical on CUDA.
// Shaped so: a handful of sizes instead of shapes keeps one kernel per mechanism for every rank and axis, and the
// scalar formulas live in shape_math.h so the CUDA twins cannot drift from this reference. Arguments are validated
// once, in the C API entry points at the bottom, before dispatch: the CPU and CUDA kernels assume valid sizes.
#include <algorithm>
#include <initializer_list>
#include <cstring>
#include <vector>
#include <omp.h>
#include "core/dispatch.h"
#include "cpu/shape_math.h"

namespace dml::cpu {

namespace {
constexpr int64_t kParallelMin = 32768;  // below this many elements threads cost more than they give
constexpr int64_t kColumns = 64;         // inner columns one sum task accumulates at once

// The nearest source as a one-tap Taps (weight 1 on i0), so both modes share the scatter below.
shape::Taps nearest_taps(int64_t dst, float scale, int64_t in) {
    const int64_t s = shape::nearest_source(dst, scale, in);
    return shape::Taps{s, s, 1.f, 0.f};
}
}  // namespace

int copy_block(const float* src, int64_t src_axis, int64_t src_start, float* dst, int64_t dst_axis,
               int64_t dst_start, int64_t outer, int64_t len, int64_t inner) {
    // For one o the block is len * inner contiguous floats in both tensors.
    const int64_t chunk = len * inner;
    if (chunk == 0 || outer == 0) return DML_OK;
#pragma omp parallel for schedule(static) if (outer * chunk > kParallelMin && outer > 1)
    for (int64_t o = 0; o < outer; ++o)
        std::memcpy(dst + (o * dst_axis + dst_start) * inner, src + (o * src_axis + src_start) * inner,
                    (size_t)chunk * sizeof(float));
    return DML_OK;
}

// permute_avx512.cpp: batches of 2-D transposes through 16 x 16 register tiles; false where the permute is not one.
bool permute_avx512_transpose(const float* x, float* y, const shape::PermuteGeometry& g);

int permute(const float* x, float* y, int rank, const int64_t* shape, const int64_t* perm) {
    const shape::PermuteGeometry g = shape::permute_geometry(rank, shape, perm);
    const int64_t n = g.n;
    if (n == 0) return DML_OK;
    if (permute_avx512_transpose(x, y, g)) return DML_OK;
    // One task per row of y's last dim: its x offset from the other coordinates, then a strided gather.
    const int64_t last = g.out_shape[rank - 1], rows = n / last, step = g.stride[rank - 1];
#pragma omp parallel for schedule(static) if (n > kParallelMin)
    for (int64_t r = 0; r < rows; ++r) {
        int64_t rem = r, off = 0;
        for (int j = rank - 2; j >= 0; --j) {
            off += (rem % g.out_shape[j]) * g.stride[j];
            rem /= g.out_shape[j];
        }
        const float* xs = x + off;
        float* yr = y + r * last;
        for (int64_t k = 0; k < last; ++k) yr[k] = xs[k * step];
    }
    return DML_OK;
}

int resize_forward(int mode, const float* x, float* y, int64_t planes, int64_t in_h, int64_t in_w, int64_t out_h,
                   int64_t out_w) {
    const float sh = shape::resize_scale(in_h, out_h), sw = shape::resize_scale(in_w, out_w);
    const int64_t rows = planes * out_h;
    if (mode == DML_RESIZE_NEAREST) {
        std::vector<int64_t> col(out_w);
        for (int64_t ox = 0; ox < out_w; ++ox) col[ox] = shape::nearest_source(ox, sw, in_w);
#pragma omp parallel for schedule(static) if (rows * out_w > kParallelMin)
        for (int64_t r = 0; r < rows; ++r) {
            const int64_t p = r / out_h, iy = shape::nearest_source(r % out_h, sh, in_h);
            const float* xr = x + (p * in_h + iy) * in_w;
            float* yr = y + r * out_w;
            for (int64_t ox = 0; ox < out_w; ++ox) yr[ox] = xr[col[ox]];
        }
        return DML_OK;
    }
    std::vector<shape::Taps> col(out_w);
    for (int64_t ox = 0; ox < out_w; ++ox) col[ox] = shape::linear_source(ox, sw, in_w);
#pragma omp parallel for schedule(static) if (rows * out_w > kParallelMin)
    for (int64_t r = 0; r < rows; ++r) {
        const int64_t p = r / out_h;
        const shape::Taps ty = shape::linear_source(r % out_h, sh, in_h);
        const float* r0 = x + (p * in_h + ty.i0) * in_w;
        const float* r1 = x + (p * in_h + ty.i1) * in_w;
        float* yr = y + r * out_w;
        for (int64_t ox = 0; ox < out_w; ++ox) {
            const shape::Taps& tx = col[ox];
            yr[ox] = ty.w0 * (tx.w0 * r0[tx.i0] + tx.w1 * r0[tx.i1]) + ty.w1 * (tx.w0 * r1[tx.i0] + tx.w1 * r1[tx.i1]);
        }
    }
    return DML_OK;
}

int resize_backward(int mode, const float* dy, float* dx, int64_t planes, int64_t in_h, int64_t in_w, int64_t out_h,
                    int64_t out_w) {
    const float sh = shape::resize_scale(in_h, out_h), sw = shape::resize_scale(in_w, out_w);
    // Scatter: several outputs feed one input pixel, so each thread owns whole planes (no two threads write the
    // same dx element).
    std::vector<shape::Taps> col(out_w), row(out_h);
    for (int64_t ox = 0; ox < out_w; ++ox)
        col[ox] = mode == DML_RESIZE_NEAREST ? nearest_taps(ox, sw, in_w)
                                             : shape::linear_source(ox, sw, in_w);
    for (int64_t oy = 0; oy < out_h; ++oy)
        row[oy] = mode == DML_RESIZE_NEAREST ? nearest_taps(oy, sh, in_h)
                                             : shape::linear_source(oy, sh, in_h);
    const bool nearest = mode == DML_RESIZE_NEAREST;
#pragma omp parallel for schedule(static) if (planes * out_h * out_w > kParallelMin)
    for (int64_t p = 0; p < planes; ++p) {
        float* d = dx + p * in_h * in_w;
        std::fill(d, d + in_h * in_w, 0.f);
        const float* g = dy + p * out_h * out_w;
        for (int64_t oy = 0; oy < out_h; ++oy) {
            const shape::Taps& ty = row[oy];
            float* d0 = d + ty.i0 * in_w;
            float* d1 = d + ty.i1 * in_w;
            const float* gr = g + oy * out_w;
            for (int64_t ox = 0; ox < out_w; ++ox) {
                const shape::Taps& tx = col[ox];
                if (nearest) {
                    d0[tx.i0] += gr[ox];
                    continue;
                }
                const float a = ty.w0 * gr[ox], b = ty.w1 * gr[ox];
                d0[tx.i0] += tx.w0 * a;
                d0[tx.i1] += tx.w1 * a;
                d1[tx.i0] += tx.w0 * b;
                d1[tx.i1] += tx.w1 * b;
            }
        }
    }
    return DML_OK;
}

int sum_axis(const float* x, float* y, int64_t outer, int64_t len, int64_t inner, double alpha) {
    const int64_t outs = outer * inner;
    const int64_t blocks = (inner + kColumns - 1) / kColumns, tasks = outer * blocks;
    if (tasks < omp_get_max_threads() && len > kParallelMin) {
        // Fewer column tasks than threads over a long axis (sum of everything, say): the threads share the axis
        // of each output instead.
        for (int64_t out = 0; out < outs; ++out) {
            const float* base = x + (out / inner) * len * inner + out % inner;
            double acc = 0.0;
#pragma omp parallel for schedule(static) reduction(+ : acc) if (len > kParallelMin)
            for (int64_t k = 0; k < len; ++k) acc += base[k * inner];
            y[out] = (float)(alpha * acc);
        }
        return DML_OK;
    }
    // Otherwise a task sums up to kColumns neighbouring columns of one o, reading rows of x in order.
#pragma omp parallel for schedule(static) if (outs * len > kParallelMin)
    for (int64_t t = 0; t < tasks; ++t) {
        const int64_t o = t / blocks, i0 = (t % blocks) * kColumns, w = std::min(kColumns, inner - i0);
        double acc[kColumns] = {};
        for (int64_t k = 0; k < len; ++k) {
            const float* row = x + (o * len + k) * inner + i0;
            for (int64_t j = 0; j < w; ++j) acc[j] += row[j];
        }
        for (int64_t j = 0; j < w; ++j) y[o * inner + i0 + j] = (float)(alpha * acc[j]);
    }
    return DML_OK;
}

int broadcast_axis(const float* y, float* x, int64_t outer, int64_t len, int64_t inner, float alpha) {
    const int64_t rows = outer * len;
#pragma omp parallel for schedule(static) if (rows * inner > kParallelMin)
    for (int64_t r = 0; r < rows; ++r) {
        const float* src = y + (r / len) * inner;
        float* dst = x + r * inner;
        for (int64_t i = 0; i < inner; ++i) dst[i] = alpha * src[i];
    }
    return DML_OK;
}

int loss_forward(int op, const float* pred, const float* target, float* loss, int64_t n) {
    double acc = 0.0;
#pragma omp parallel for schedule(static) reduction(+ : acc) if (n > kParallelMin)
    for (int64_t i = 0; i < n; ++i) acc += shape::loss_term(op, pred[i], target[i]);
    loss[0] = (float)(acc / (double)n);
    return DML_OK;
}

int loss_backward(int op, const float* pred, const float* target, const float* dloss, float* dpred, float* dtarget,
                  int64_t n) {
    const float g = (float)((double)dloss[0] / (double)n);
#pragma omp parallel for schedule(static) if (n > kParallelMin)
    for (int64_t i = 0; i < n; ++i) {
        if (dpred) dpred[i] = g * shape::loss_grad_pred(op, pred[i], target[i]);
        if (dtarget) dtarget[i] = g * shape::loss_grad_target(op, pred[i], target[i]);
    }
    return DML_OK;
}

int dropout(const float* x, float* y, int64_t n, int64_t group, float p, uint64_t seed) {
    const float scale = shape::dropout_scale(p);
#pragma omp parallel for schedule(static) if (n > kParallelMin)
    for (int64_t i = 0; i < n; ++i) y[i] = shape::dropout_keep(seed, (uint64_t)(i / group), p) ? x[i] * scale : 0.f;
    return DML_OK;
}

int flip(const float* x, float* y, int64_t outer, int64_t len, int64_t inner) {
    const int64_t rows = outer * len;
#pragma omp parallel for schedule(static) if (rows * inner > 65536)
    for (int64_t r = 0; r < rows; ++r) {
        const int64_t o = r / len, i = r - o * len;
        const float* src = x + (o * len + (len - 1 - i)) * inner;
        float* dst = y + r * inner;
        for (int64_t k = 0; k < inner; ++k) dst[k] = src[k];
    }
    return DML_OK;
}

}  // namespace dml::cpu

using dml::fail;

namespace {

bool any_negative(std::initializer_list<int64_t> sizes) {
    for (int64_t v : sizes)
        if (v < 0) return true;
    return false;
}

int check_resize(const char* op, int mode, int64_t planes, int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w) {
    if (mode != DML_RESIZE_NEAREST && mode != DML_RESIZE_BILINEAR)
        return fail(DML_ERR_ARGUMENT, "%s: unknown mode %d", op, mode);
    if (planes < 0 || in_h < 1 || in_w < 1 || out_h < 1 || out_w < 1)
        return fail(DML_ERR_ARGUMENT, "%s: bad sizes planes %lld, %lldx%lld -> %lldx%lld", op, (long long)planes,
                    (long long)in_h, (long long)in_w, (long long)out_h, (long long)out_w);
    return DML_OK;
}

int check_axis_sizes(const char* op, int64_t outer, int64_t len, int64_t inner) {
    if (any_negative({outer, len, inner}))
        return fail(DML_ERR_ARGUMENT, "%s: negative size in [%lld, %lld, %lld]", op, (long long)outer, (long long)len,
                    (long long)inner);
    return DML_OK;
}

int check_loss(const char* op, int loss, int64_t n) {
    if (!dml::shape::valid_loss(loss)) return fail(DML_ERR_ARGUMENT, "%s: unknown loss %d", op, loss);
    if (n < 1) return fail(DML_ERR_ARGUMENT, "%s: mean over %lld elements", op, (long long)n);
    return DML_OK;
}

}  // namespace

extern "C" {

int dml_flip(int dev, const float* x, float* y, int64_t outer, int64_t len, int64_t inner) {
    if (any_negative({outer, len, inner}))
        return fail(DML_ERR_ARGUMENT, "flip: negative size [%lld, %lld, %lld]", (long long)outer, (long long)len,
                    (long long)inner);
    DML_DISPATCH(flip, x, y, outer, len, inner);
}

int dml_copy_block(int dev, const float* src, int64_t src_axis, int64_t src_start, float* dst, int64_t dst_axis,
                   int64_t dst_start, int64_t outer, int64_t len, int64_t inner) {
    if (any_negative({src_axis, src_start, dst_axis, dst_start, outer, len, inner}) || src_start + len > src_axis ||
        dst_start + len > dst_axis)
        return fail(DML_ERR_ARGUMENT,
                    "copy_block: block [%lld, %lld, %lld] from axis offset %lld of %lld to offset %lld of %lld "
                    "does not fit",
                    (long long)outer, (long long)len, (long long)inner, (long long)src_start, (long long)src_axis,
                    (long long)dst_start, (long long)dst_axis);
    DML_DISPATCH(copy_block, src, src_axis, src_start, dst, dst_axis, dst_start, outer, len, inner);
}
int dml_permute(int dev, const float* x, float* y, int rank, const int64_t* shape, const int64_t* perm) {
    using dml::shape::kMaxPermuteRank;
    if (rank < 1 || rank > kMaxPermuteRank)
        return fail(DML_ERR_ARGUMENT, "permute: rank %d is not in 1..%d", rank, kMaxPermuteRank);
    bool seen[kMaxPermuteRank] = {};
    for (int j = 0; j < rank; ++j) {
        if (perm[j] < 0 || perm[j] >= rank || seen[perm[j]])
            return fail(DML_ERR_ARGUMENT, "permute: perm is not a permutation of 0..%d", rank - 1);
        seen[perm[j]] = true;
        if (shape[j] < 0) return fail(DML_ERR_ARGUMENT, "permute: negative dimension %lld", (long long)shape[j]);
    }
    DML_DISPATCH(permute, x, y, rank, shape, perm);
}
int dml_resize_forward(int dev, int mode, const float* x, float* y, int64_t planes, int64_t in_h, int64_t in_w,
                       int64_t out_h, int64_t out_w) {
    if (int s = check_resize("resize_forward", mode, planes, in_h, in_w, out_h, out_w)) return s;
    DML_DISPATCH(resize_forward, mode, x, y, planes, in_h, in_w, out_h, out_w);
}
int dml_resize_backward(int dev, int mode, const float* dy, float* dx, int64_t planes, int64_t in_h, int64_t in_w,
                        int64_t out_h, int64_t out_w) {
    if (int s = check_resize("resize_backward", mode, planes, in_h, in_w, out_h, out_w)) return s;
    DML_DISPATCH(resize_backward, mode, dy, dx, planes, in_h, in_w, out_h, out_w);
}
int dml_sum_axis(int dev, const float* x, float* y, int64_t outer, int64_t len, int64_t inner, double alpha) {
    if (int s = check_axis_sizes("sum_axis", outer, len, inner)) return s;
    DML_DISPATCH(sum_axis, x, y, outer, len, inner, alpha);
}
int dml_broadcast_axis(int dev, const float* y, float* x, int64_t outer, int64_t len, int64_t inner, float alpha) {
    if (int s = check_axis_sizes("broadcast_axis", outer, len, inner)) return s;
    DML_DISPATCH(broadcast_axis, y, x, outer, len, inner, alpha);
}
int dml_loss_forward(int dev, int op, const float* pred, const float* target, float* loss, int64_t n) {
    if (int s = check_loss("loss_forward", op, n)) return s;
    DML_DISPATCH(loss_forward, op, pred, target, loss, n);
}
int dml_loss_backward(int dev, int op, const float* pred, const float* target, const float* dloss, float* dpred,
                      float* dtarget, int64_t n) {
    if (int s = check_loss("loss_backward", op, n)) return s;
    DML_DISPATCH(loss_backward, op, pred, target, dloss, dpred, dtarget, n);
}
int dml_dropout(int dev, const float* x, float* y, int64_t n, int64_t group, float p, uint64_t seed) {
    if (!(p >= 0.f && p <= 1.f)) return fail(DML_ERR_ARGUMENT, "dropout: p = %g is not in [0, 1]", (double)p);
    if (n < 0 || group < 1)
        return fail(DML_ERR_ARGUMENT, "dropout: bad sizes n %lld, group %lld", (long long)n, (long long)group);
    DML_DISPATCH(dropout, x, y, n, group, p, seed);
}

}  // extern "C"
