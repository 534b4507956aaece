// CUDA twins of native/cpu/optim.cpp.
//  - AdamW: one thread per element (grid-stride), the step-dependent scalars computed once on the host in double,
//    as the CPU reference does; the per-element update follows the CPU's formula (rounding: see common.cuh).
//  - Sum of squares: two launches on the library stream. Up to kSumBlocks blocks each reduce a grid-stride share
//    of x in double (shared-memory tree) into one partial in a static device buffer; one block then sums the
//    partials in double and writes the float result. A mutex keeps the two launches of one call adjacent in
//    stream order, so concurrent callers on other host threads cannot interleave their use of the buffer.
#include <cmath>
#include <mutex>
#include "common.cuh"

namespace {

constexpr int kSumBlocks = 1024;
__device__ double g_sum_partials[kSumBlocks];
std::mutex g_sum_mutex;

__global__ void adamw_kernel(float* p, const float* g, float* m, float* v, int64_t n, float beta1, float beta2,
                             float one_minus_b1, float one_minus_b2, float eps, float decay, float step_size,
                             float bc2_sqrt) {
    DML_CUDA_LOOP(i, n) {
        const float gi = g[i];
        const float mi = beta1 * m[i] + one_minus_b1 * gi;
        const float vi = beta2 * v[i] + one_minus_b2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * decay - step_size * (mi / (sqrtf(vi) / bc2_sqrt + eps));
    }
}

// Tree reduction of one double per thread over the block (blockDim.x == kThreads); thread 0 gets the sum.
using dml::cuda::block_sum;

__global__ void sum_squares_partial_kernel(const float* x, int64_t n) {
    double acc = 0.0;
    DML_CUDA_LOOP(i, n) acc += (double)x[i] * x[i];
    double sum = block_sum(acc);
    if (threadIdx.x == 0) g_sum_partials[blockIdx.x] = sum;
}

__global__ void sum_squares_final_kernel(int parts, float* out) {
    double acc = 0.0;
    for (int k = threadIdx.x; k < parts; k += blockDim.x) acc += g_sum_partials[k];
    double sum = block_sum(acc);
    if (threadIdx.x == 0) out[0] = (float)sum;
}

}  // namespace

using dml::cuda::check_launch;
using dml::cuda::fail;
using dml::cuda::grid_for;
using dml::cuda::kThreads;

DML_CUDA_API int dml_cuda_adamw_step(float* p, const float* g, float* m, float* v, int64_t n, float lr, float beta1,
                                     float beta2, float eps, float weight_decay, int64_t step) {
    if (n < 0) return fail(DML_ERR_ARGUMENT, "adamw_step: negative size %lld", (long long)n);
    if (!(beta1 >= 0.f && beta1 < 1.f) || !(beta2 >= 0.f && beta2 < 1.f))
        return fail(DML_ERR_ARGUMENT, "adamw_step: betas must lie in [0, 1), got %g and %g", beta1, beta2);
    if (!(eps > 0.f)) return fail(DML_ERR_ARGUMENT, "adamw_step: eps must be positive, got %g", eps);
    if (step < 1) return fail(DML_ERR_ARGUMENT, "adamw_step: step must be >= 1, got %lld", (long long)step);
    if (n == 0) return DML_OK;
    const float decay = (float)(1.0 - (double)lr * weight_decay);
    const float step_size = (float)(lr / (1.0 - std::pow((double)beta1, (double)step)));
    const float bc2_sqrt = (float)std::sqrt(1.0 - std::pow((double)beta2, (double)step));
    adamw_kernel<<<grid_for(n), kThreads, 0, dml::cuda::stream()>>>(p, g, m, v, n, beta1, beta2, 1.f - beta1, 1.f - beta2, eps, decay,
                                            step_size, bc2_sqrt);
    return check_launch("adamw_step");
}

DML_CUDA_API int dml_cuda_sum_squares(const float* x, int64_t n, float* out) {
    if (n < 0) return fail(DML_ERR_ARGUMENT, "sum_squares: negative size %lld", (long long)n);
    int64_t blocks = (n + kThreads - 1) / kThreads;
    const int parts = (int)(blocks < 1 ? 1 : blocks > kSumBlocks ? kSumBlocks : blocks);
    std::lock_guard<std::mutex> lock(g_sum_mutex);
    sum_squares_partial_kernel<<<parts, kThreads, 0, dml::cuda::stream()>>>(x, n);
    if (int s = check_launch("sum_squares partials")) return s;
    sum_squares_final_kernel<<<1, kThreads, 0, dml::cuda::stream()>>>(parts, out);
    return check_launch("sum_squares");
}
