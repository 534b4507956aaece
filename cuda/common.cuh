// Shared helpers of the CUDA kernels: error recording, launch geometry, the entry-point macro.
//
// Rounding: the kernels follow the CPU reference's formulas and order of operations, but they do not round like
// it. nvcc contracts a * b + c into one fused multiply-add by default (-fmad=true), which the CPU library, built
// for x86-64-v2 (no FMA), never does; and CUDA's expf, erff, logf, rsqrtf differ from glibc's by a few ulps. So
// CUDA results agree with the CPU ones to float rounding, not bit for bit; the CUDA-vs-CPU tests hold them to
// relative tolerances. The one exception is resize_backward (shape.cu), written with explicitly rounded products
// and sums (__fmul_rn, __fadd_rn) in the CPU's order. Reductions accumulate in double, in a different order than
// the CPU's, and are deterministic: no kernel uses float atomics, so equal inputs give equal outputs on every run.
#pragma once
#include <cuda_runtime.h>
#include <cstdint>
#include "diffiml.h"

namespace dml::cuda {

// Records the message returned by dml_cuda_last_error() on this thread; returns `status`.
int fail(int status, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
// Checks the launch just made (and nothing else: kernels stay asynchronous).
int check_launch(const char* op);
// The one stream every kernel, copy, allocation and free of libdiffiml_cuda is ordered on (and cuBLAS, which the
// Java side binds to it): a non-blocking stream created by dml_cuda_init, so work on it can be captured into a
// CUDA graph (the legacy default stream cannot be captured).
cudaStream_t stream();

constexpr int kThreads = 256;
inline unsigned grid_for(int64_t n, int threads = kThreads) {
    int64_t blocks = (n + threads - 1) / threads;
    return (unsigned)(blocks < 65535 * 16 ? (blocks > 0 ? blocks : 1) : 65535 * 16);
}

// Combines v over the block with a shared-memory tree (blockDim.x must be kThreads, a power of two); every thread
// gets the result. The leading barrier keeps a previous call's readers of buf[0] ahead of this call's writers, so
// calls may follow each other in a loop.
template <class T, class Op>
__device__ T block_reduce(T v, Op op) {
    __shared__ T buf[kThreads];
    __syncthreads();
    buf[threadIdx.x] = v;
    __syncthreads();
    for (int s = kThreads / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) buf[threadIdx.x] = op(buf[threadIdx.x], buf[threadIdx.x + s]);
        __syncthreads();
    }
    return buf[0];
}

struct SumOp {
    __device__ double operator()(double a, double b) const { return a + b; }
};

// Sum over the block, in double (the CPU reference accumulates in double too).
__device__ inline double block_sum(double v) { return block_reduce(v, SumOp{}); }

}  // namespace dml::cuda

#define DML_CUDA_API extern "C" __attribute__((visibility("default")))

// Grid-stride loop over [0, n).
#define DML_CUDA_LOOP(i, n) \
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)
