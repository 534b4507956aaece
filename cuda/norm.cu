// CUDA twins of native/cpu/norm.cpp (LayerNorm, GroupNorm, BatchNorm, softmax); same formulas and order of
// operations per element (nvcc's FMA contraction and CUDA's expf round differently: see common.cuh), sums in
// double like the CPU reference.
// Each reduction over a set of values (a LayerNorm row, a GroupNorm group, a BatchNorm channel, a softmax row)
// belongs to one block of kThreads threads: the threads stride over the set and combine their partial results
// with a shared-memory tree (block_reduce, common.cuh); the grid strides over the sets. LayerNorm's dgamma/dbeta sum columns
// over rows instead: a 32 x 8 block covers 32 adjacent columns (coalesced reads) and one chunk of rows, and a
// second pass adds the chunks' partial sums in order (layernorm_param_*: compiled, not yet run). Arguments were
// validated by the C API entry points before dispatch.
#include "common.cuh"

namespace {

using dml::cuda::kThreads;

using dml::cuda::block_reduce;
using dml::cuda::block_sum;

struct Max {
    __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
};

// Blocks for a grid-stride loop over `sets` sets (at least one block).
inline unsigned sets_grid(int64_t sets) { return (unsigned)(sets < 1 ? 1 : (sets < (1 << 20) ? sets : (1 << 20))); }

// Forward of contiguous sets of `channels` x `spatial` values; set k starts at channel (k % groups) * channels.
// LayerNorm: sets = rows, groups = 1, channels = cols, spatial = 1.
__global__ void sets_forward_kernel(const float* x, const float* gamma, const float* beta, float* y, float* mean,
                                    float* rstd, int64_t sets, int64_t groups, int64_t channels, int64_t spatial,
                                    float eps) {
    const int64_t len = channels * spatial;
    for (int64_t k = blockIdx.x; k < sets; k += gridDim.x) {
        const float* xs = x + k * len;
        float* ys = y + k * len;
        double sum = 0.0;
        for (int64_t e = threadIdx.x; e < len; e += blockDim.x) sum += xs[e];
        const double mu_d = block_sum(sum) / len;
        double sq = 0.0;
        for (int64_t e = threadIdx.x; e < len; e += blockDim.x) {
            const double d = xs[e] - mu_d;
            sq += d * d;
        }
        const double var = block_sum(sq) / len;
        const float mu = (float)mu_d, rs = (float)(1.0 / sqrt(var + (double)eps));
        const int64_t c0 = (k % groups) * channels;
        for (int64_t e = threadIdx.x; e < len; e += blockDim.x) {
            const int64_t ch = c0 + e / spatial;
            ys[e] = (xs[e] - mu) * (rs * gamma[ch]) + beta[ch];
        }
        if (threadIdx.x == 0) {
            if (mean) mean[k] = mu;
            if (rstd) rstd[k] = rs;
        }
    }
}

// dx of contiguous sets (layout as sets_forward_kernel): dx = rstd * (g - mean(g) - xhat * mean(g * xhat)).
__global__ void sets_dx_kernel(const float* x, const float* gamma, const float* mean, const float* rstd,
                               const float* dy, float* dx, int64_t sets, int64_t groups, int64_t channels,
                               int64_t spatial) {
    const int64_t len = channels * spatial;
    for (int64_t k = blockIdx.x; k < sets; k += gridDim.x) {
        const int64_t off = k * len, c0 = (k % groups) * channels;
        const float mu = mean[k], rs = rstd[k];
        double sum_g = 0.0, sum_gx = 0.0;
        for (int64_t e = threadIdx.x; e < len; e += blockDim.x) {
            const float g = dy[off + e] * gamma[c0 + e / spatial];
            sum_g += g;
            sum_gx += (double)g * ((x[off + e] - mu) * rs);
        }
        const float a = (float)(block_sum(sum_g) / len), b = (float)(block_sum(sum_gx) / len);
        for (int64_t e = threadIdx.x; e < len; e += blockDim.x) {
            const float w = gamma[c0 + e / spatial];
            dx[off + e] = rs * (dy[off + e] * w - a - (x[off + e] - mu) * rs * b);
        }
    }
}

// Per channel ch of x [n, c, spatial]: sum(dy) and sum(dy * xhat), where sample i uses the statistics at index
// i * stat_stride + ch / stat_div (GroupNorm: stride groups, divisor c / groups; BatchNorm: stride 0, divisor 1).
// Writes dgamma, dbeta when given. dx (BatchNorm only) = rstd * (dy * gamma - a - xhat * b) with, in training,
// a = gamma * sum(dy) / m, b = gamma * sum(dy * xhat) / m, and a = b = 0 in eval mode.
__global__ void channel_backward_kernel(const float* x, const float* gamma, const float* mean, const float* rstd,
                                        const float* dy, float* dx, float* dgamma, float* dbeta, int64_t n, int64_t c,
                                        int64_t spatial, int64_t stat_stride, int64_t stat_div, int training) {
    const int64_t m = n * spatial;
    for (int64_t ch = blockIdx.x; ch < c; ch += gridDim.x) {
        double sum_dy = 0.0, sum_dyx = 0.0;
        for (int64_t e = threadIdx.x; e < m; e += blockDim.x) {
            const int64_t i = e / spatial, idx = (i * c + ch) * spatial + e % spatial;
            const int64_t st = i * stat_stride + ch / stat_div;
            const float g = dy[idx];
            sum_dy += g;
            sum_dyx += (double)g * ((x[idx] - mean[st]) * rstd[st]);
        }
        sum_dy = block_sum(sum_dy);
        sum_dyx = block_sum(sum_dyx);
        if (threadIdx.x == 0) {
            if (dgamma) dgamma[ch] = (float)sum_dyx;
            if (dbeta) dbeta[ch] = (float)sum_dy;
        }
        if (!dx) continue;
        const float w = gamma[ch], mu = mean[ch], rs = rstd[ch];
        const float a = training ? (float)(w * sum_dy / m) : 0.f, b = training ? (float)(w * sum_dyx / m) : 0.f;
        for (int64_t e = threadIdx.x; e < m; e += blockDim.x) {
            const int64_t idx = (e / spatial * c + ch) * spatial + e % spatial;
            dx[idx] = rs * (dy[idx] * w - a - (x[idx] - mu) * rs * b);
        }
    }
}

// LayerNorm dgamma, dbeta: column sums over rows, in two deterministic passes. Pass 1: block (32, 8) covers 32
// adjacent columns (coalesced reads) and one chunk of rows (blockIdx.y of gridDim.y chunks), 8 row lanes; it
// writes the chunk's double partial sums to part[chunk][col]. Pass 2: one thread per column adds the chunks in
// order. (One block per 32 columns alone gave 2 blocks for 64 channels, each over every row.)
constexpr int kCols = 32, kLanes = 8;
constexpr int64_t kRowsPerChunk = 512;  // rows one block sums in pass 1
constexpr int kMaxChunks = 256;
__global__ void layernorm_param_partial_kernel(const float* x, const float* mean, const float* rstd, const float* dy,
                                               double* part_g, double* part_b, int64_t rows, int64_t cols) {
    __shared__ double lane_g[kLanes][kCols], lane_b[kLanes][kCols];
    const int64_t col = (int64_t)blockIdx.x * kCols + threadIdx.x;
    const int64_t chunk_rows = (rows + gridDim.y - 1) / gridDim.y;
    const int64_t r0 = (int64_t)blockIdx.y * chunk_rows;
    const int64_t r1 = r0 + chunk_rows < rows ? r0 + chunk_rows : rows;
    double sum_g = 0.0, sum_b = 0.0;
    if (col < cols) {
        for (int64_t r = r0 + threadIdx.y; r < r1; r += kLanes) {
            const int64_t idx = r * cols + col;
            sum_g += (double)dy[idx] * ((x[idx] - mean[r]) * rstd[r]);
            sum_b += dy[idx];
        }
    }
    lane_g[threadIdx.y][threadIdx.x] = sum_g;
    lane_b[threadIdx.y][threadIdx.x] = sum_b;
    __syncthreads();
    if (threadIdx.y == 0 && col < cols) {
        double g = 0.0, b = 0.0;
        for (int l = 0; l < kLanes; ++l) {
            g += lane_g[l][threadIdx.x];
            b += lane_b[l][threadIdx.x];
        }
        part_g[blockIdx.y * cols + col] = g;
        part_b[blockIdx.y * cols + col] = b;
    }
}

__global__ void layernorm_param_final_kernel(const double* part_g, const double* part_b, float* dgamma, float* dbeta,
                                             int chunks, int64_t cols) {
    DML_CUDA_LOOP(col, cols) {
        double g = 0.0, b = 0.0;
        for (int k = 0; k < chunks; ++k) {
            g += part_g[k * cols + col];
            b += part_b[k * cols + col];
        }
        if (dgamma) dgamma[col] = (float)g;
        if (dbeta) dbeta[col] = (float)b;
    }
}

// One block per channel: batch statistics (training) or running ones (eval), then y; thread 0 saves the
// statistics and updates the running ones.
__global__ void batchnorm_forward_kernel(const float* x, const float* gamma, const float* beta, float* running_mean,
                                         float* running_var, float* y, float* save_mean, float* save_rstd, int64_t n,
                                         int64_t c, int64_t spatial, int training, float momentum, float eps) {
    const int64_t m = n * spatial;
    for (int64_t ch = blockIdx.x; ch < c; ch += gridDim.x) {
        double mean, var;
        if (training) {
            double sum = 0.0;
            for (int64_t e = threadIdx.x; e < m; e += blockDim.x)
                sum += x[(e / spatial * c + ch) * spatial + e % spatial];
            mean = block_sum(sum) / m;
            double sq = 0.0;
            for (int64_t e = threadIdx.x; e < m; e += blockDim.x) {
                const double d = x[(e / spatial * c + ch) * spatial + e % spatial] - mean;
                sq += d * d;
            }
            var = block_sum(sq) / m;
        } else {
            mean = running_mean[ch];
            var = running_var[ch];
        }
        const float mu = (float)mean, rs = (float)(1.0 / sqrt(var + (double)eps));
        const float scale = rs * gamma[ch], shift = beta[ch];
        for (int64_t e = threadIdx.x; e < m; e += blockDim.x) {
            const int64_t idx = (e / spatial * c + ch) * spatial + e % spatial;
            y[idx] = (x[idx] - mu) * scale + shift;
        }
        if (threadIdx.x == 0) {
            if (save_mean) save_mean[ch] = mu;
            if (save_rstd) save_rstd[ch] = rs;
            if (training && running_mean) {
                const double mom = momentum;
                running_mean[ch] = (float)((1.0 - mom) * running_mean[ch] + mom * mean);
                running_var[ch] = (float)((1.0 - mom) * running_var[ch] + mom * var * m / (m - 1));
            }
        }
    }
}

// One block per row; y may alias x (each element is read by the thread that writes it, after the reductions).
__global__ void softmax_forward_kernel(const float* x, float* y, int64_t rows, int64_t cols) {
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* xr = x + r * cols;
        float* yr = y + r * cols;
        float mx = -INFINITY;
        for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) mx = fmaxf(mx, xr[j]);
        mx = block_reduce(mx, Max{});
        double sum = 0.0;
        for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) sum += expf(xr[j] - mx);
        const float inv = (float)(1.0 / block_sum(sum));
        for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) yr[j] = expf(xr[j] - mx) * inv;
    }
}

// One block per row; dx may alias dy.
__global__ void softmax_backward_kernel(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) {
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* yr = y + r * cols;
        const float* gr = dy + r * cols;
        float* dr = dx + r * cols;
        double dot = 0.0;
        for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) dot += (double)gr[j] * yr[j];
        const float d = (float)block_sum(dot);
        for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) dr[j] = yr[j] * (gr[j] - d);
    }
}

}  // namespace

using dml::cuda::check_launch;

DML_CUDA_API int dml_cuda_layernorm_forward(const float* x, const float* gamma, const float* beta, float* y,
                                            float* mean, float* rstd, int64_t rows, int64_t cols, float eps) {
    if (rows == 0) return DML_OK;
    sets_forward_kernel<<<sets_grid(rows), kThreads, 0, dml::cuda::stream()>>>(x, gamma, beta, y, mean, rstd, rows, 1, cols, 1, eps);
    return check_launch("layernorm_forward");
}

DML_CUDA_API int dml_cuda_layernorm_backward(const float* x, const float* gamma, const float* mean, const float* rstd,
                                             const float* dy, float* dx, float* dgamma, float* dbeta, int64_t rows,
                                             int64_t cols) {
    if (dx && rows > 0) {
        sets_dx_kernel<<<sets_grid(rows), kThreads, 0, dml::cuda::stream()>>>(x, gamma, mean, rstd, dy, dx, rows, 1, cols, 1);
        if (int s = check_launch("layernorm_backward dx")) return s;
    }
    if (dgamma || dbeta) {  // also for rows == 0: the sums are then zeros
        const unsigned blocks = (unsigned)((cols + kCols - 1) / kCols);
        int64_t want = (rows + kRowsPerChunk - 1) / kRowsPerChunk;
        const int chunks = (int)(want < 1 ? 1 : want > kMaxChunks ? kMaxChunks : want);
        // Scratch from the stream-ordered pool: allocated and freed in stream order around the two launches.
        double* part = nullptr;
        cudaError_t err = cudaMallocAsync((void**)&part, 2 * (size_t)chunks * (size_t)cols * sizeof(double),
                                          dml::cuda::stream());
        if (err != cudaSuccess)
            return dml::cuda::fail(DML_ERR_MEMORY,
                                   "layernorm_backward: cudaMallocAsync of %lld bytes of scratch (%d x %lld doubles)"
                                   " failed: %s",
                                   (long long)(2 * (size_t)chunks * (size_t)cols * sizeof(double)), 2 * chunks,
                                   (long long)cols, cudaGetErrorString(err));
        layernorm_param_partial_kernel<<<dim3(blocks, (unsigned)chunks), dim3(kCols, kLanes), 0, dml::cuda::stream()>>>(
            x, mean, rstd, dy, part, part + (size_t)chunks * cols, rows, cols);
        int s = check_launch("layernorm_backward dgamma/dbeta partials");
        if (s == DML_OK) {
            layernorm_param_final_kernel<<<dml::cuda::grid_for(cols), kThreads, 0, dml::cuda::stream()>>>(
                part, part + (size_t)chunks * cols, dgamma, dbeta, chunks, cols);
            s = check_launch("layernorm_backward dgamma/dbeta");
        }
        err = cudaFreeAsync(part, dml::cuda::stream());
        if (s != DML_OK) return s;
        if (err != cudaSuccess)
            return dml::cuda::fail(DML_ERR_CUDA, "layernorm_backward: freeing scratch: %s", cudaGetErrorString(err));
    }
    return DML_OK;
}

DML_CUDA_API int dml_cuda_groupnorm_forward(const float* x, const float* gamma, const float* beta, float* y,
                                            float* mean, float* rstd, int64_t n, int64_t c, int64_t spatial,
                                            int64_t groups, float eps) {
    if (n == 0) return DML_OK;
    sets_forward_kernel<<<sets_grid(n * groups), kThreads, 0, dml::cuda::stream()>>>(x, gamma, beta, y, mean, rstd, n * groups, groups,
                                                             c / groups, spatial, eps);
    return check_launch("groupnorm_forward");
}

DML_CUDA_API int dml_cuda_groupnorm_backward(const float* x, const float* gamma, const float* mean, const float* rstd,
                                             const float* dy, float* dx, float* dgamma, float* dbeta, int64_t n,
                                             int64_t c, int64_t spatial, int64_t groups) {
    if (dx && n > 0) {
        sets_dx_kernel<<<sets_grid(n * groups), kThreads, 0, dml::cuda::stream()>>>(x, gamma, mean, rstd, dy, dx, n * groups, groups,
                                                            c / groups, spatial);
        if (int s = check_launch("groupnorm_backward dx")) return s;
    }
    if (dgamma || dbeta) {
        channel_backward_kernel<<<sets_grid(c), kThreads, 0, dml::cuda::stream()>>>(x, gamma, mean, rstd, dy, nullptr, dgamma, dbeta, n, c,
                                                            spatial, groups, c / groups, 0);
        if (int s = check_launch("groupnorm_backward dgamma/dbeta")) return s;
    }
    return DML_OK;
}

DML_CUDA_API int dml_cuda_batchnorm_forward(const float* x, const float* gamma, const float* beta,
                                            float* running_mean, float* running_var, float* y, float* save_mean,
                                            float* save_rstd, int64_t n, int64_t c, int64_t spatial, int training,
                                            float momentum, float eps) {
    // Runs for n == 0 too (eval mode only): the saved statistics are still written.
    batchnorm_forward_kernel<<<sets_grid(c), kThreads, 0, dml::cuda::stream()>>>(x, gamma, beta, running_mean, running_var, y, save_mean,
                                                         save_rstd, n, c, spatial, training, momentum, eps);
    return check_launch("batchnorm_forward");
}

DML_CUDA_API int dml_cuda_batchnorm_backward(const float* x, const float* gamma, const float* save_mean,
                                             const float* save_rstd, const float* dy, float* dx, float* dgamma,
                                             float* dbeta, int64_t n, int64_t c, int64_t spatial, int training) {
    if (!dx && !dgamma && !dbeta) return DML_OK;
    channel_backward_kernel<<<sets_grid(c), kThreads, 0, dml::cuda::stream()>>>(x, gamma, save_mean, save_rstd, dy, dx, dgamma, dbeta, n, c,
                                                        spatial, 0, 1, training);
    return check_launch("batchnorm_backward");
}

DML_CUDA_API int dml_cuda_softmax_forward(const float* x, float* y, int64_t rows, int64_t cols) {
    if (rows == 0) return DML_OK;
    softmax_forward_kernel<<<sets_grid(rows), kThreads, 0, dml::cuda::stream()>>>(x, y, rows, cols);
    return check_launch("softmax_forward");
}

DML_CUDA_API int dml_cuda_softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) {
    if (rows == 0) return DML_OK;
    softmax_backward_kernel<<<sets_grid(rows), kThreads, 0, dml::cuda::stream()>>>(y, dy, dx, rows, cols);
    return check_launch("softmax_backward");
}
