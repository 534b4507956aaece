// CPU reference of the normalisations (LayerNorm, GroupNorm, BatchNorm) and the softmax, and the C API entry
// points, which validate the arguments once for both devices and then dispatch.
//
// Layout (diffiml/norm.h). A LayerNorm row and a GroupNorm group are both one contiguous "set" of `channels`
// channels of `spatial` values each (a LayerNorm row: cols channels of 1 value; set k of GroupNorm starts at
// channel (k % groups) * channels), so both run through the set helpers below. A BatchNorm channel is n runs of
// `spatial` values, c * spatial apart; it is handled run by run with the same helpers (1 channel per run).
// Backward of one set of m values, with g = dy * gamma and xhat = (x - mean) * rstd:
//     dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),
// and per channel dgamma = sum(dy * xhat), dbeta = sum(dy). Every sum is accumulated in double, in the vector
// lanes of the build (omp simd reductions: the scalar chain of dependent double adds was the kernels' bottleneck);
// parallel loops run over sets or channels, so the result does not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <vector>
#include "core/dispatch.h"

namespace dml::cpu {

namespace {
constexpr int64_t kParallel = 32768;  // elements below which a kernel stays on one thread

struct Moments {
    double mean, var;  // biased variance
};

// Mean and variance (two passes) of `runs` runs of `len` values, `stride` apart.
Moments moments(const float* x, int64_t runs, int64_t len, int64_t stride) {
    const double m = double(runs * len);
    double sum = 0.0;
    for (int64_t i = 0; i < runs; ++i) {
        const float* xi = x + i * stride;
#pragma omp simd reduction(+ : sum)
        for (int64_t j = 0; j < len; ++j) sum += xi[j];
    }
    const double mean = sum / m;
    double sq = 0.0;
    for (int64_t i = 0; i < runs; ++i) {
        const float* xi = x + i * stride;
#pragma omp simd reduction(+ : sq)
        for (int64_t j = 0; j < len; ++j) {
            const double d = xi[j] - mean;
            sq += d * d;
        }
    }
    return {mean, sq / m};
}

float inv_std(double var, float eps) { return (float)(1.0 / std::sqrt(var + (double)eps)); }

// y = (x - mean) * (rstd * gamma[ch]) + beta[ch] over `channels` x `spatial` contiguous values.
void affine(const float* x, float* y, int64_t channels, int64_t spatial, const float* gamma, const float* beta,
            float mean, float rstd) {
    for (int64_t ch = 0; ch < channels; ++ch) {
        const float scale = rstd * gamma[ch], shift = beta[ch];
        const float* xc = x + ch * spatial;
        float* yc = y + ch * spatial;
        for (int64_t s = 0; s < spatial; ++s) yc[s] = (xc[s] - mean) * scale + shift;
    }
}

// Adds sum(g) and sum(g * xhat), g = dy * gamma[ch] (gamma NULL: g = dy), over channels x spatial values.
void grad_sums(const float* x, const float* dy, int64_t channels, int64_t spatial, const float* gamma, float mean,
               float rstd, double& sum_g, double& sum_gx) {
    for (int64_t ch = 0; ch < channels; ++ch) {
        const float w = gamma ? gamma[ch] : 1.f;
        const float* xc = x + ch * spatial;
        const float* gc = dy + ch * spatial;
        double sg = 0.0, sgx = 0.0;
#pragma omp simd reduction(+ : sg, sgx)
        for (int64_t s = 0; s < spatial; ++s) {
            const float g = gc[s] * w;
            sg += g;
            sgx += (double)g * ((xc[s] - mean) * rstd);
        }
        sum_g += sg;
        sum_gx += sgx;
    }
}

// dx = rstd * (dy * gamma[ch] - a - xhat * b) over channels x spatial values (a = mean(g), b = mean(g * xhat)).
void write_dx(const float* x, const float* dy, float* dx, int64_t channels, int64_t spatial, const float* gamma,
              float mean, float rstd, double a, double b) {
    const float fa = (float)a, fb = (float)b;
    for (int64_t ch = 0; ch < channels; ++ch) {
        const float w = gamma[ch];
        const float* xc = x + ch * spatial;
        const float* gc = dy + ch * spatial;
        float* dc = dx + ch * spatial;
        for (int64_t s = 0; s < spatial; ++s) dc[s] = rstd * (gc[s] * w - fa - (xc[s] - mean) * rstd * fb);
    }
}

// Forward of `sets` contiguous sets (LayerNorm rows, GroupNorm groups); mean, rstd [sets] may be NULL.
int sets_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* rstd,
                 int64_t sets, int64_t groups, int64_t channels, int64_t spatial, float eps) {
    const int64_t len = channels * spatial;
#pragma omp parallel for schedule(static) if (sets * len > kParallel)
    for (int64_t k = 0; k < sets; ++k) {
        const float* xs = x + k * len;
        const Moments mo = moments(xs, 1, len, 0);
        const float mu = (float)mo.mean, rs = inv_std(mo.var, eps);
        const int64_t c0 = (k % groups) * channels;
        affine(xs, y + k * len, channels, spatial, gamma + c0, beta + c0, mu, rs);
        if (mean) mean[k] = mu;
        if (rstd) rstd[k] = rs;
    }
    return DML_OK;
}

// dx of `sets` contiguous sets from their saved statistics.
void sets_dx(const float* x, const float* gamma, const float* mean, const float* rstd, const float* dy, float* dx,
             int64_t sets, int64_t groups, int64_t channels, int64_t spatial) {
    const int64_t len = channels * spatial;
#pragma omp parallel for schedule(static) if (sets * len > kParallel)
    for (int64_t k = 0; k < sets; ++k) {
        const int64_t off = k * len, c0 = (k % groups) * channels;
        double sum_g = 0.0, sum_gx = 0.0;
        grad_sums(x + off, dy + off, channels, spatial, gamma + c0, mean[k], rstd[k], sum_g, sum_gx);
        write_dx(x + off, dy + off, dx + off, channels, spatial, gamma + c0, mean[k], rstd[k], sum_g / len,
                 sum_gx / len);
    }
}

// Sums of dy and dy * xhat over channel ch of x [n, c, spatial], where run i (sample i) uses the statistics at
// index i * stat_stride + stat (GroupNorm: i * groups + group of ch; BatchNorm: stride 0, stat = ch).
void channel_sums(const float* x, const float* dy, const float* mean, const float* rstd, int64_t n, int64_t c,
                  int64_t spatial, int64_t ch, int64_t stat_stride, int64_t stat, double& sum_dy,
                  double& sum_dyx) {
    for (int64_t i = 0; i < n; ++i) {
        const int64_t off = (i * c + ch) * spatial, st = i * stat_stride + stat;
        grad_sums(x + off, dy + off, 1, spatial, nullptr, mean[st], rstd[st], sum_dy, sum_dyx);
    }
}
}  // namespace

int layernorm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* rstd,
                      int64_t rows, int64_t cols, float eps) {
    return sets_forward(x, gamma, beta, y, mean, rstd, rows, 1, cols, 1, eps);
}

int layernorm_backward(const float* x, const float* gamma, const float* mean, const float* rstd, const float* dy,
                       float* dx, float* dgamma, float* dbeta, int64_t rows, int64_t cols) {
    if (dx) sets_dx(x, gamma, mean, rstd, dy, dx, rows, 1, cols, 1);
    if (!dgamma && !dbeta) return DML_OK;
    // Column sums over rows, in a fixed number of row chunks (rows stay contiguous in memory), then added in
    // chunk order: the same result for any thread count.
    const int64_t chunks = std::min<int64_t>(rows, 64);
    std::vector<double> partial((size_t)(chunks * 2 * cols), 0.0);
#pragma omp parallel for schedule(static) if (rows * cols > kParallel)
    for (int64_t k = 0; k < chunks; ++k) {
        double* pg = partial.data() + k * 2 * cols;
        double* pb = pg + cols;
        for (int64_t r = rows * k / chunks; r < rows * (k + 1) / chunks; ++r) {
            const float* xr = x + r * cols;
            const float* gr = dy + r * cols;
            const float mu = mean[r], rs = rstd[r];
            for (int64_t j = 0; j < cols; ++j) {
                pg[j] += (double)gr[j] * ((xr[j] - mu) * rs);
                pb[j] += gr[j];
            }
        }
    }
    for (int64_t j = 0; j < cols; ++j) {
        double g = 0.0, b = 0.0;
        for (int64_t k = 0; k < chunks; ++k) {
            g += partial[k * 2 * cols + j];
            b += partial[k * 2 * cols + cols + j];
        }
        if (dgamma) dgamma[j] = (float)g;
        if (dbeta) dbeta[j] = (float)b;
    }
    return DML_OK;
}

int groupnorm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* rstd,
                      int64_t n, int64_t c, int64_t spatial, int64_t groups, float eps) {
    return sets_forward(x, gamma, beta, y, mean, rstd, n * groups, groups, c / groups, spatial, eps);
}

int groupnorm_backward(const float* x, const float* gamma, const float* mean, const float* rstd, const float* dy,
                       float* dx, float* dgamma, float* dbeta, int64_t n, int64_t c, int64_t spatial,
                       int64_t groups) {
    const int64_t per_group = c / groups;
    if (dx) sets_dx(x, gamma, mean, rstd, dy, dx, n * groups, groups, per_group, spatial);
    if (!dgamma && !dbeta) return DML_OK;
#pragma omp parallel for schedule(static) if (n * c * spatial > kParallel)
    for (int64_t ch = 0; ch < c; ++ch) {
        double sum_dy = 0.0, sum_dyx = 0.0;
        channel_sums(x, dy, mean, rstd, n, c, spatial, ch, groups, ch / per_group, sum_dy, sum_dyx);
        if (dgamma) dgamma[ch] = (float)sum_dyx;
        if (dbeta) dbeta[ch] = (float)sum_dy;
    }
    return DML_OK;
}

int batchnorm_forward(const float* x, const float* gamma, const float* beta, float* running_mean, float* running_var,
                      float* y, float* save_mean, float* save_rstd, int64_t n, int64_t c, int64_t spatial,
                      int training, float momentum, float eps) {
    const int64_t m = n * spatial, stride = c * spatial;
    const double mom = momentum;
#pragma omp parallel for schedule(static) if (n * c * spatial > kParallel)
    for (int64_t ch = 0; ch < c; ++ch) {
        const float* xc = x + ch * spatial;
        Moments mo;
        if (training) {
            mo = moments(xc, n, spatial, stride);
            if (running_mean) {
                running_mean[ch] = (float)((1.0 - mom) * running_mean[ch] + mom * mo.mean);
                running_var[ch] = (float)((1.0 - mom) * running_var[ch] + mom * mo.var * m / (m - 1));
            }
        } else {
            mo = {running_mean[ch], running_var[ch]};
        }
        const float mu = (float)mo.mean, rs = inv_std(mo.var, eps);
        for (int64_t i = 0; i < n; ++i)
            affine(xc + i * stride, y + ch * spatial + i * stride, 1, spatial, gamma + ch, beta + ch, mu, rs);
        if (save_mean) save_mean[ch] = mu;
        if (save_rstd) save_rstd[ch] = rs;
    }
    return DML_OK;
}

int batchnorm_backward(const float* x, const float* gamma, const float* save_mean, const float* save_rstd,
                       const float* dy, float* dx, float* dgamma, float* dbeta, int64_t n, int64_t c,
                       int64_t spatial, int training) {
    const double m = double(n * spatial);
#pragma omp parallel for schedule(static) if (n * c * spatial > kParallel)
    for (int64_t ch = 0; ch < c; ++ch) {
        double sum_dy = 0.0, sum_dyx = 0.0;
        channel_sums(x, dy, save_mean, save_rstd, n, c, spatial, ch, 0, ch, sum_dy, sum_dyx);
        if (dgamma) dgamma[ch] = (float)sum_dyx;
        if (dbeta) dbeta[ch] = (float)sum_dy;
        if (!dx) continue;
        // Training: mean(g) = gamma * sum_dy / m, mean(g * xhat) = gamma * sum_dyx / m. Eval: the statistics are
        // constants and both terms vanish.
        const double a = training ? gamma[ch] * sum_dy / m : 0.0, b = training ? gamma[ch] * sum_dyx / m : 0.0;
        for (int64_t i = 0; i < n; ++i) {
            const int64_t off = (i * c + ch) * spatial;
            write_dx(x + off, dy + off, dx + off, 1, spatial, gamma + ch, save_mean[ch], save_rstd[ch], a, b);
        }
    }
    return DML_OK;
}

int softmax_forward(const float* x, float* y, int64_t rows, int64_t cols) {
#pragma omp parallel for schedule(static) if (rows * cols > kParallel)
    for (int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * cols;
        float* yr = y + r * cols;  // may alias xr: each element is read before it is written
        float mx = xr[0];
        for (int64_t j = 1; j < cols; ++j) mx = std::max(mx, xr[j]);
        double sum = 0.0;
        for (int64_t j = 0; j < cols; ++j) {
            const float e = std::exp(xr[j] - mx);
            yr[j] = e;
            sum += e;
        }
        const float inv = (float)(1.0 / sum);
        for (int64_t j = 0; j < cols; ++j) yr[j] *= inv;
    }
    return DML_OK;
}

int softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) {
#pragma omp parallel for schedule(static) if (rows * cols > kParallel)
    for (int64_t r = 0; r < rows; ++r) {
        const float* yr = y + r * cols;
        const float* gr = dy + r * cols;
        float* dr = dx + r * cols;  // may alias gr
        double dot = 0.0;
        for (int64_t j = 0; j < cols; ++j) dot += (double)gr[j] * yr[j];
        const float d = (float)dot;
        for (int64_t j = 0; j < cols; ++j) dr[j] = yr[j] * (gr[j] - d);
    }
    return DML_OK;
}

}  // namespace dml::cpu

namespace {
bool any_null(std::initializer_list<const void*> pointers) {
    for (const void* p : pointers)
        if (!p) return true;
    return false;
}

int check_eps(const char* op, float eps) {
    if (!(eps >= 0.f)) return dml::fail(DML_ERR_ARGUMENT, "%s: eps must be >= 0, got %g", op, (double)eps);
    return DML_OK;
}

// Sizes of x [n, c, spatial] (GroupNorm, BatchNorm).
int check_sizes(const char* op, int64_t n, int64_t c, int64_t spatial) {
    if (n < 0 || c < 1 || spatial < 1)
        return dml::fail(DML_ERR_ARGUMENT, "%s: bad sizes n=%lld c=%lld spatial=%lld", op, (long long)n, (long long)c,
                         (long long)spatial);
    return DML_OK;
}

// Sizes of x [rows, cols] (LayerNorm, softmax).
int check_rows(const char* op, int64_t rows, int64_t cols) {
    if (rows < 0 || cols < 1)
        return dml::fail(DML_ERR_ARGUMENT, "%s: bad sizes rows=%lld cols=%lld", op, (long long)rows, (long long)cols);
    return DML_OK;
}

int check_groups(const char* op, int64_t c, int64_t groups) {
    if (groups < 1 || c % groups != 0)
        return dml::fail(DML_ERR_ARGUMENT, "%s: %lld channels cannot be split into %lld groups", op, (long long)c,
                         (long long)groups);
    return DML_OK;
}

int missing(const char* op, const char* what) {
    return dml::fail(DML_ERR_ARGUMENT, "%s: %s must not be NULL", op, what);
}
}  // namespace

extern "C" {

int dml_layernorm_forward(int dev, const float* x, const float* gamma, const float* beta, float* y, float* mean,
                          float* rstd, int64_t rows, int64_t cols, float eps) {
    if (int s = check_rows("layernorm_forward", rows, cols)) return s;
    if (int s = check_eps("layernorm_forward", eps)) return s;
    if (any_null({x, gamma, beta, y})) return missing("layernorm_forward", "x, gamma, beta and y");
    DML_DISPATCH(layernorm_forward, x, gamma, beta, y, mean, rstd, rows, cols, eps);
}

int dml_layernorm_backward(int dev, const float* x, const float* gamma, const float* mean, const float* rstd,
                           const float* dy, float* dx, float* dgamma, float* dbeta, int64_t rows, int64_t cols) {
    if (int s = check_rows("layernorm_backward", rows, cols)) return s;
    if (any_null({x, gamma, mean, rstd, dy})) return missing("layernorm_backward", "x, gamma, mean, rstd and dy");
    DML_DISPATCH(layernorm_backward, x, gamma, mean, rstd, dy, dx, dgamma, dbeta, rows, cols);
}

int dml_groupnorm_forward(int dev, const float* x, const float* gamma, const float* beta, float* y, float* mean,
                          float* rstd, int64_t n, int64_t c, int64_t spatial, int64_t groups, float eps) {
    if (int s = check_sizes("groupnorm_forward", n, c, spatial)) return s;
    if (int s = check_eps("groupnorm_forward", eps)) return s;
    if (int s = check_groups("groupnorm_forward", c, groups)) return s;
    if (any_null({x, gamma, beta, y})) return missing("groupnorm_forward", "x, gamma, beta and y");
    DML_DISPATCH(groupnorm_forward, x, gamma, beta, y, mean, rstd, n, c, spatial, groups, eps);
}

int dml_groupnorm_backward(int dev, const float* x, const float* gamma, const float* mean, const float* rstd,
                           const float* dy, float* dx, float* dgamma, float* dbeta, int64_t n, int64_t c,
                           int64_t spatial, int64_t groups) {
    if (int s = check_sizes("groupnorm_backward", n, c, spatial)) return s;
    if (int s = check_groups("groupnorm_backward", c, groups)) return s;
    if (any_null({x, gamma, mean, rstd, dy})) return missing("groupnorm_backward", "x, gamma, mean, rstd and dy");
    DML_DISPATCH(groupnorm_backward, x, gamma, mean, rstd, dy, dx, dgamma, dbeta, n, c, spatial, groups);
}

int dml_batchnorm_forward(int dev, const float* x, const float* gamma, const float* beta, float* running_mean,
                          float* running_var, float* y, float* save_mean, float* save_rstd, int64_t n, int64_t c,
                          int64_t spatial, int training, float momentum, float eps) {
    if (int s = check_sizes("batchnorm_forward", n, c, spatial)) return s;
    if (int s = check_eps("batchnorm_forward", eps)) return s;
    if (any_null({x, gamma, beta, y})) return missing("batchnorm_forward", "x, gamma, beta and y");
    if ((running_mean == nullptr) != (running_var == nullptr))
        return dml::fail(DML_ERR_ARGUMENT, "batchnorm_forward: give both running_mean and running_var, or neither");
    if (!training && !running_mean) return missing("batchnorm_forward (eval)", "running_mean and running_var");
    if (training && n * spatial < 2)
        return dml::fail(DML_ERR_ARGUMENT,
                         "batchnorm_forward: training needs more than 1 value per channel, got n=%lld spatial=%lld",
                         (long long)n, (long long)spatial);
    DML_DISPATCH(batchnorm_forward, x, gamma, beta, running_mean, running_var, y, save_mean, save_rstd, n, c, spatial,
                 training, momentum, eps);
}

int dml_batchnorm_backward(int dev, const float* x, const float* gamma, const float* save_mean,
                           const float* save_rstd, const float* dy, float* dx, float* dgamma, float* dbeta, int64_t n,
                           int64_t c, int64_t spatial, int training) {
    if (int s = check_sizes("batchnorm_backward", n, c, spatial)) return s;
    if (any_null({x, gamma, save_mean, save_rstd, dy}))
        return missing("batchnorm_backward", "x, gamma, save_mean, save_rstd and dy");
    DML_DISPATCH(batchnorm_backward, x, gamma, save_mean, save_rstd, dy, dx, dgamma, dbeta, n, c, spatial, training);
}

int dml_softmax_forward(int dev, const float* x, float* y, int64_t rows, int64_t cols) {
    if (int s = check_rows("softmax_forward", rows, cols)) return s;
    if (any_null({x, y})) return missing("softmax_forward", "x and y");
    DML_DISPATCH(softmax_forward, x, y, rows, cols);
}

int dml_softmax_backward(int dev, const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) {
    if (int s = check_rows("softmax_backward", rows, cols)) return s;
    if (any_null({y, dy, dx})) return missing("softmax_backward", "y, dy and dx");
    DML_DISPATCH(softmax_backward, y, dy, dx, rows, cols);
}

}  // extern "C"
