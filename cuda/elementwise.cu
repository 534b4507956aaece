// CUDA twins of native/cpu/elementwise.cpp: one thread per element (grid-stride), except the dv reduction
// of the broadcast backward, which gives each mid index one block and sums in double like the CPU reference.
#include "common.cuh"

namespace {

__device__ __forceinline__ float unary(int op, float x) {
    switch (op) {
        case DML_RELU: return x > 0.f ? x : 0.f;
        case DML_SILU: return x / (1.f + expf(-x));
        case DML_GELU: return 0.5f * x * (1.f + erff(x * 0.70710678118654752440f));
        case DML_SIGMOID: return 1.f / (1.f + expf(-x));
        case DML_LOG1P: return log1pf(x);
        case DML_LOG_SIGMOID: return fminf(x, 0.f) - log1pf(expf(-fabsf(x)));
        default: return tanhf(x);
    }
}

__device__ __forceinline__ float unary_grad(int op, float x, float y) {
    switch (op) {
        case DML_RELU: return x > 0.f ? 1.f : 0.f;
        case DML_SILU: {
            float s = 1.f / (1.f + expf(-x));
            return s * (1.f + x * (1.f - s));
        }
        case DML_GELU:
            return 0.5f * (1.f + erff(x * 0.70710678118654752440f)) +
                   x * 0.39894228040143267794f * expf(-0.5f * x * x);
        case DML_SIGMOID: return y * (1.f - y);
        case DML_LOG1P: return 1.f / (1.f + x);
        case DML_LOG_SIGMOID: return 1.f / (1.f + expf(x));
        default: return 1.f - y * y;
    }
}

__global__ void unary_forward_kernel(int op, const float* x, float* y, int64_t n) {
    DML_CUDA_LOOP(i, n) y[i] = unary(op, x[i]);
}

__global__ void unary_backward_kernel(int op, const float* x, const float* y, const float* dy, float* dx, int64_t n) {
    DML_CUDA_LOOP(i, n) dx[i] = dy[i] * unary_grad(op, x[i], y[i]);
}

__global__ void binary_forward_kernel(int op, const float* x, const float* v, float* y, int64_t mid, int64_t inner,
                                      int64_t n) {
    DML_CUDA_LOOP(i, n) {
        float b = v[(i / inner) % mid];
        y[i] = op == DML_ADD ? x[i] + b : op == DML_MUL ? x[i] * b : (x[i] >= b ? x[i] : b);
    }
}

__global__ void binary_dx_kernel(int op, const float* x, const float* v, const float* dy, float* dx, int64_t mid,
                                 int64_t inner, int64_t n) {
    DML_CUDA_LOOP(i, n) {
        const float b = v[(i / inner) % mid];
        dx[i] = op == DML_ADD ? dy[i] : op == DML_MUL ? dy[i] * b : (x[i] >= b ? dy[i] : 0.f);
    }
}

// One block per mid index m: sums dy (or dy*x) over all (outer, inner) positions of m.
__global__ void binary_dv_kernel(int op, const float* x, const float* v, const float* dy, float* dv, int64_t outer,
                                 int64_t mid, int64_t inner) {
    const int64_t m = blockIdx.x;
    const int64_t count = outer * inner;
    double acc = 0.0;
    for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
        int64_t idx = ((k / inner) * mid + m) * inner + k % inner;
        acc += op == DML_ADD ? (double)dy[idx]
               : op == DML_MUL ? (double)dy[idx] * x[idx]
                               : (x[idx] >= v[m] ? 0.0 : (double)dy[idx]);
    }
    const double total = dml::cuda::block_sum(acc);
    if (threadIdx.x == 0) dv[m] = (float)total;
}

// One thread per mid index m, for few (outer, inner) positions per m (a same-shape op has one): the same sum in
// double, serially in k order, instead of a block whose threads but one idle.
__global__ void binary_dv_thread_kernel(int op, const float* x, const float* v, const float* dy, float* dv,
                                        int64_t outer, int64_t mid, int64_t inner) {
    const int64_t count = outer * inner;
    DML_CUDA_LOOP(m, mid) {
        double acc = 0.0;
        for (int64_t k = 0; k < count; ++k) {
            int64_t idx = ((k / inner) * mid + m) * inner + k % inner;
            acc += op == DML_ADD ? (double)dy[idx]
                   : op == DML_MUL ? (double)dy[idx] * x[idx]
                                   : (x[idx] >= v[m] ? 0.0 : (double)dy[idx]);
        }
        dv[m] = (float)acc;
    }
}

__global__ void scale_kernel(const float* x, float* y, int64_t n, float alpha) { DML_CUDA_LOOP(i, n) y[i] = alpha * x[i]; }

__global__ void accumulate_kernel(const float* x, float* y, int64_t n, float alpha) {
    DML_CUDA_LOOP(i, n) y[i] += alpha * x[i];
}

__global__ void fill_kernel(float* x, int64_t n, float value) { DML_CUDA_LOOP(i, n) x[i] = value; }

}  // namespace

using dml::cuda::check_launch;
using dml::cuda::grid_for;
using dml::cuda::kThreads;
// Up to this many terms per dv element one thread sums them (binary_dv_thread_kernel); above, one block.
constexpr int64_t kThreadSumMax = 64;

DML_CUDA_API int dml_cuda_unary_forward(int op, const float* x, float* y, int64_t n) {
    if (op < DML_RELU || op > DML_UNARY_LAST) return dml::cuda::fail(DML_ERR_ARGUMENT, "unary_forward: unknown op %d", op);
    if (n == 0) return DML_OK;
    unary_forward_kernel<<<grid_for(n), kThreads, 0, dml::cuda::stream()>>>(op, x, y, n);
    return check_launch("unary_forward");
}

DML_CUDA_API int dml_cuda_unary_backward(int op, const float* x, const float* y, const float* dy, float* dx, int64_t n) {
    if (op < DML_RELU || op > DML_UNARY_LAST) return dml::cuda::fail(DML_ERR_ARGUMENT, "unary_backward: unknown op %d", op);
    if (n == 0) return DML_OK;
    unary_backward_kernel<<<grid_for(n), kThreads, 0, dml::cuda::stream()>>>(op, x, y, dy, dx, n);
    return check_launch("unary_backward");
}

DML_CUDA_API int dml_cuda_binary_forward(int op, const float* x, const float* v, float* y, int64_t outer, int64_t mid,
                                         int64_t inner) {
    if (op < DML_ADD || op > DML_MAX) return dml::cuda::fail(DML_ERR_ARGUMENT, "binary_forward: unknown op %d", op);
    int64_t n = outer * mid * inner;
    if (n == 0) return DML_OK;
    binary_forward_kernel<<<grid_for(n), kThreads, 0, dml::cuda::stream()>>>(op, x, v, y, mid, inner, n);
    return check_launch("binary_forward");
}

DML_CUDA_API int dml_cuda_binary_backward(int op, const float* x, const float* v, const float* dy, float* dx, float* dv,
                                          int64_t outer, int64_t mid, int64_t inner) {
    if (op < DML_ADD || op > DML_MAX) return dml::cuda::fail(DML_ERR_ARGUMENT, "binary_backward: unknown op %d", op);
    int64_t n = outer * mid * inner;
    if (n == 0) return DML_OK;
    if (dx) {
        binary_dx_kernel<<<grid_for(n), kThreads, 0, dml::cuda::stream()>>>(op, x, v, dy, dx, mid, inner, n);
        if (int s = check_launch("binary_backward dx")) return s;
    }
    if (dv) {
        if (outer * inner <= kThreadSumMax)
            binary_dv_thread_kernel<<<grid_for(mid), kThreads, 0, dml::cuda::stream()>>>(op, x, v, dy, dv, outer, mid,
                                                                                      inner);
        else
            binary_dv_kernel<<<(unsigned)mid, kThreads, 0, dml::cuda::stream()>>>(op, x, v, dy, dv, outer, mid, inner);
        if (int s = check_launch("binary_backward dv")) return s;
    }
    return DML_OK;
}

DML_CUDA_API int dml_cuda_scale(const float* x, float* y, int64_t n, float alpha) {
    if (n == 0) return DML_OK;
    scale_kernel<<<grid_for(n), kThreads, 0, dml::cuda::stream()>>>(x, y, n, alpha);
    return check_launch("scale");
}

DML_CUDA_API int dml_cuda_accumulate(const float* x, float* y, int64_t n, float alpha) {
    if (n == 0) return DML_OK;
    accumulate_kernel<<<grid_for(n), kThreads, 0, dml::cuda::stream()>>>(x, y, n, alpha);
    return check_launch("accumulate");
}

DML_CUDA_API int dml_cuda_fill(float* x, int64_t n, float value) {
    if (n == 0) return DML_OK;
    fill_kernel<<<grid_for(n), kThreads, 0, dml::cuda::stream()>>>(x, n, value);
    return check_launch("fill");
}
