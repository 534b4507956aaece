// CUDA twins of native/cpu/shape.cpp (layout, resize, axis sums, losses, dropout), same arguments and semantics.
// Element ops use one thread per output element (grid-stride). Sums accumulate in double either with one thread
// per output (many outputs, short axes) or one block per output and a shared-memory tree (few, long ones; the
// mean-reduced losses are one such output). Resize backward gathers: one thread per dx element, no atomics. The index
// formulas, loss terms and the dropout hash come from native/cpu/shape_math.h, shared with the CPU reference,
// so both devices pick the same pixels and drop the same elements. Arguments arrive validated by the C API entry
// points of native/cpu/shape.cpp.
#include "common.cuh"
#include "../native/cpu/shape_math.h"

namespace {

__global__ void copy_block_kernel(const float* src, int64_t src_axis, int64_t src_start, float* dst, int64_t dst_axis,
                                  int64_t dst_start, int64_t chunk, int64_t inner, int64_t n) {
    DML_CUDA_LOOP(idx, n) {
        const int64_t o = idx / chunk, r = idx - o * chunk;
        dst[(o * dst_axis + dst_start) * inner + r] = src[(o * src_axis + src_start) * inner + r];
    }
}

__global__ void flip_kernel(const float* x, float* y, int64_t len, int64_t inner, int64_t n) {
    DML_CUDA_LOOP(idx, n) {
        const int64_t k = idx % inner, r = idx / inner, i = r % len, o = r / len;
        y[idx] = x[(o * len + (len - 1 - i)) * inner + k];
    }
}

// The geometry travels by value, so the kernel needs no device copy of the shape.
__global__ void permute_kernel(const float* x, float* y, dml::shape::PermuteGeometry g, int64_t n) {
    DML_CUDA_LOOP(idx, n) {
        int64_t rem = idx, off = 0;
        for (int j = g.rank - 1; j >= 0; --j) {
            off += (rem % g.out_shape[j]) * g.stride[j];
            rem /= g.out_shape[j];
        }
        y[idx] = x[off];
    }
}

__global__ void resize_forward_kernel(int mode, const float* x, float* y, int64_t in_h, int64_t in_w, int64_t out_h,
                                      int64_t out_w, float sh, float sw, int64_t n) {
    using namespace dml::shape;
    DML_CUDA_LOOP(idx, n) {
        const int64_t ox = idx % out_w, t = idx / out_w, oy = t % out_h, p = t / out_h;
        const float* xp = x + p * in_h * in_w;
        if (mode == DML_RESIZE_NEAREST) {
            y[idx] = xp[nearest_source(oy, sh, in_h) * in_w + nearest_source(ox, sw, in_w)];
        } else {
            const Taps ty = linear_source(oy, sh, in_h), tx = linear_source(ox, sw, in_w);
            const float* r0 = xp + ty.i0 * in_w;
            const float* r1 = xp + ty.i1 * in_w;
            y[idx] = ty.w0 * (tx.w0 * r0[tx.i0] + tx.w1 * r0[tx.i1]) + ty.w1 * (tx.w0 * r1[tx.i0] + tx.w1 * r1[tx.i1]);
        }
    }
}

// Output rows (or columns) whose taps can touch input index `i` along an axis resized from `in` to `out`: a
// conservative range around the inverse of the (monotone) source mapping; the kernel re-derives every tap exactly.
__device__ void touching_range(int mode, int64_t i, float scale, int64_t out, int64_t* lo, int64_t* hi) {
    const float inv = 1.f / scale;
    const float a = mode == DML_RESIZE_NEAREST ? (float)i * inv : ((float)i - 0.5f) * inv - 0.5f;
    const float b = mode == DML_RESIZE_NEAREST ? (float)(i + 1) * inv : ((float)i + 1.5f) * inv - 0.5f;
    int64_t l = (int64_t)floorf(a) - 2, h = (int64_t)ceilf(b) + 2;
    *lo = l < 0 ? 0 : l;
    *hi = h > out - 1 ? out - 1 : h;
}

// One thread per dx element gathers the shares of the dy elements whose taps reach it: no atomics, so the result
// is the same on every run. The shares are added in the CPU reference's scatter order (ascending oy, then ox; per
// output the taps in the order i0/i0, i0/i1, i1/i0, i1/i1) with explicitly rounded products and sums (no FMA
// contraction), so the CUDA gradient should equal the CPU one bit for bit on finite inputs (taps of weight 0 are
// skipped: they add +-0). Compiled, not yet run on a GPU.
__global__ void resize_backward_kernel(int mode, const float* dy, float* dx, int64_t in_h, int64_t in_w, int64_t out_h,
                                       int64_t out_w, float sh, float sw, int64_t n) {
    using namespace dml::shape;
    const bool nearest = mode == DML_RESIZE_NEAREST;
    DML_CUDA_LOOP(idx, n) {
        const int64_t ix = idx % in_w, t = idx / in_w, iy = t % in_h, p = t / in_h;
        const float* g = dy + p * out_h * out_w;
        int64_t oy0, oy1, ox0, ox1;
        touching_range(mode, iy, sh, out_h, &oy0, &oy1);
        touching_range(mode, ix, sw, out_w, &ox0, &ox1);
        float acc = 0.f;
        for (int64_t oy = oy0; oy <= oy1; ++oy) {
            if (nearest) {
                if (nearest_source(oy, sh, in_h) != iy) continue;
                for (int64_t ox = ox0; ox <= ox1; ++ox)
                    if (nearest_source(ox, sw, in_w) == ix) acc = __fadd_rn(acc, g[oy * out_w + ox]);
                continue;
            }
            const Taps ty = linear_source(oy, sh, in_h);
            if (ty.i0 != iy && ty.i1 != iy) continue;
            for (int64_t ox = ox0; ox <= ox1; ++ox) {
                const Taps tx = linear_source(ox, sw, in_w);
                if (tx.i0 != ix && tx.i1 != ix) continue;
                const float go = g[oy * out_w + ox];
                const float a = __fmul_rn(ty.w0, go), b = __fmul_rn(ty.w1, go);
                if (ty.i0 == iy) {
                    if (tx.i0 == ix) acc = __fadd_rn(acc, __fmul_rn(tx.w0, a));
                    if (tx.i1 == ix) acc = __fadd_rn(acc, __fmul_rn(tx.w1, a));
                }
                if (ty.i1 == iy) {
                    if (tx.i0 == ix) acc = __fadd_rn(acc, __fmul_rn(tx.w0, b));
                    if (tx.i1 == ix) acc = __fadd_rn(acc, __fmul_rn(tx.w1, b));
                }
            }
        }
        dx[idx] = acc;
    }
}

// Element k of output row `row` of x viewed as [outer, len, inner] (row = o * inner + i).
struct AxisTerm {
    const float* x;
    int64_t len, inner;
    __device__ double operator()(int64_t row, int64_t k) const {
        return x[((row / inner) * len + k) * inner + row % inner];
    }
};

// Loss term k (a single output row).
struct LossTerm {
    int op;
    const float* pred;
    const float* target;
    __device__ double operator()(int64_t, int64_t k) const { return dml::shape::loss_term(op, pred[k], target[k]); }
};

// y[row] = scale * sum_k term(row, k): one block per row (block-stride over rows), double shared-memory tree.
template <class Term>
__global__ void sum_rows_block_kernel(Term term, float* y, int64_t rows, int64_t len, double scale) {
    for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        double acc = 0.0;
        for (int64_t k = threadIdx.x; k < len; k += blockDim.x) acc += term(row, k);
        const double total = dml::cuda::block_sum(acc);  // its leading barrier protects reuse across rows
        if (threadIdx.x == 0) y[row] = (float)(scale * total);
    }
}

// y[row] = scale * sum_k term(row, k): one thread per row.
template <class Term>
__global__ void sum_rows_thread_kernel(Term term, float* y, int64_t rows, int64_t len, double scale) {
    DML_CUDA_LOOP(row, rows) {
        double acc = 0.0;
        for (int64_t k = 0; k < len; ++k) acc += term(row, k);
        y[row] = (float)(scale * acc);
    }
}

__global__ void broadcast_axis_kernel(const float* y, float* x, int64_t len, int64_t inner, float alpha, int64_t n) {
    DML_CUDA_LOOP(idx, n) {
        const int64_t i = idx % inner, o = idx / (len * inner);
        x[idx] = alpha * y[o * inner + i];
    }
}

__global__ void loss_backward_kernel(int op, const float* pred, const float* target, const float* dloss, float* dpred,
                                     float* dtarget, int64_t n) {
    using namespace dml::shape;
    const float g = (float)((double)dloss[0] / (double)n);
    DML_CUDA_LOOP(i, n) {
        if (dpred) dpred[i] = g * loss_grad_pred(op, pred[i], target[i]);
        if (dtarget) dtarget[i] = g * loss_grad_target(op, pred[i], target[i]);
    }
}

__global__ void dropout_kernel(const float* x, float* y, int64_t n, int64_t group, float p, float scale,
                               uint64_t seed) {
    DML_CUDA_LOOP(i, n) y[i] = dml::shape::dropout_keep(seed, (uint64_t)(i / group), p) ? x[i] * scale : 0.f;
}

unsigned blocks_for_rows(int64_t rows) { return (unsigned)(rows < 65535 * 16 ? rows : 65535 * 16); }

// Sums rows of `term` choosing the launch shape: a thread per row when rows are many or short.
template <class Term>
int sum_rows(const char* op, Term term, float* y, int64_t rows, int64_t len, double scale) {
    if (rows == 0) return DML_OK;
    if (rows >= 2048 || len <= 32)
        sum_rows_thread_kernel<<<dml::cuda::grid_for(rows), dml::cuda::kThreads, 0, dml::cuda::stream()>>>(term, y, rows, len, scale);
    else
        sum_rows_block_kernel<<<blocks_for_rows(rows), dml::cuda::kThreads, 0, dml::cuda::stream()>>>(term, y, rows, len, scale);
    return dml::cuda::check_launch(op);
}

}  // namespace

using dml::cuda::check_launch;
using dml::cuda::fail;
using dml::cuda::grid_for;
using dml::cuda::kThreads;

DML_CUDA_API int dml_cuda_copy_block(const float* src, int64_t src_axis, int64_t src_start, float* dst,
                                     int64_t dst_axis, int64_t dst_start, int64_t outer, int64_t len, int64_t inner) {
    const int64_t chunk = len * inner, n = outer * chunk;
    if (n == 0) return DML_OK;
    copy_block_kernel<<<grid_for(n), kThreads, 0, dml::cuda::stream()>>>(src, src_axis, src_start, dst, dst_axis, dst_start, chunk, inner, n);
    return check_launch("copy_block");
}

DML_CUDA_API int dml_cuda_flip(const float* x, float* y, int64_t outer, int64_t len, int64_t inner) {
    const int64_t n = outer * len * inner;
    if (n == 0) return DML_OK;
    flip_kernel<<<grid_for(n), kThreads, 0, dml::cuda::stream()>>>(x, y, len, inner, n);
    return check_launch("flip");
}

DML_CUDA_API int dml_cuda_permute(const float* x, float* y, int rank, const int64_t* shape, const int64_t* perm) {
    const dml::shape::PermuteGeometry g = dml::shape::permute_geometry(rank, shape, perm);
    if (g.n == 0) return DML_OK;
    permute_kernel<<<grid_for(g.n), kThreads, 0, dml::cuda::stream()>>>(x, y, g, g.n);
    return check_launch("permute");
}

DML_CUDA_API int dml_cuda_resize_forward(int mode, const float* x, float* y, int64_t planes, int64_t in_h,
                                         int64_t in_w, int64_t out_h, int64_t out_w) {
    const int64_t n = planes * out_h * out_w;
    if (n == 0) return DML_OK;
    resize_forward_kernel<<<grid_for(n), kThreads, 0, dml::cuda::stream()>>>(mode, x, y, in_h, in_w, out_h, out_w,
                                                     dml::shape::resize_scale(in_h, out_h),
                                                     dml::shape::resize_scale(in_w, out_w), n);
    return check_launch("resize_forward");
}

DML_CUDA_API int dml_cuda_resize_backward(int mode, const float* dy, float* dx, int64_t planes, int64_t in_h,
                                          int64_t in_w, int64_t out_h, int64_t out_w) {
    const int64_t n = planes * in_h * in_w;
    if (n == 0) return DML_OK;
    resize_backward_kernel<<<grid_for(n), kThreads, 0, dml::cuda::stream()>>>(mode, dy, dx, in_h, in_w, out_h, out_w,
                                                      dml::shape::resize_scale(in_h, out_h),
                                                      dml::shape::resize_scale(in_w, out_w), n);
    return check_launch("resize_backward");
}

DML_CUDA_API int dml_cuda_sum_axis(const float* x, float* y, int64_t outer, int64_t len, int64_t inner, double alpha) {
    return sum_rows("sum_axis", AxisTerm{x, len, inner}, y, outer * inner, len, alpha);
}

DML_CUDA_API int dml_cuda_broadcast_axis(const float* y, float* x, int64_t outer, int64_t len, int64_t inner,
                                         float alpha) {
    const int64_t n = outer * len * inner;
    if (n == 0) return DML_OK;
    broadcast_axis_kernel<<<grid_for(n), kThreads, 0, dml::cuda::stream()>>>(y, x, len, inner, alpha, n);
    return check_launch("broadcast_axis");
}

DML_CUDA_API int dml_cuda_loss_forward(int op, const float* pred, const float* target, float* loss, int64_t n) {
    // One row of n terms: always one block (the thread-per-row shape would sum it serially).
    sum_rows_block_kernel<<<1, kThreads, 0, dml::cuda::stream()>>>(LossTerm{op, pred, target}, loss, 1, n, 1.0 / (double)n);
    return check_launch("loss_forward");
}

DML_CUDA_API int dml_cuda_loss_backward(int op, const float* pred, const float* target, const float* dloss,
                                        float* dpred, float* dtarget, int64_t n) {
    if (!dpred && !dtarget) return DML_OK;
    loss_backward_kernel<<<grid_for(n), kThreads, 0, dml::cuda::stream()>>>(op, pred, target, dloss, dpred, dtarget, n);
    return check_launch("loss_backward");
}

DML_CUDA_API int dml_cuda_dropout(const float* x, float* y, int64_t n, int64_t group, float p, uint64_t seed) {
    if (n == 0) return DML_OK;
    dropout_kernel<<<grid_for(n), kThreads, 0, dml::cuda::stream()>>>(x, y, n, group, p, dml::shape::dropout_scale(p), seed);
    return check_launch("dropout");
}
