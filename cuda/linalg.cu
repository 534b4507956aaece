// CUDA twins of native/cpu/linalg.cpp (im2col / col2im, depthwise convolution); layouts in linalg.h.
// Every kernel is a gather, so no two threads write one element and no atomics are needed:
//  - im2col: one thread per col element;
//  - col2im_accumulate and the depthwise input gradient: one thread per input element, summing the (at most
//    kh*kw) output positions whose window covers it;
//  - depthwise forward: one thread per output element;
//  - depthwise weight gradient: one block per (channel, tap), a shared-memory tree sum in double over the batch
//    and the output positions, like the CPU reference.
// The geometry was checked by the C API entry point before dispatch.
#include "common.cuh"

namespace {

__host__ __device__ __forceinline__ int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t p) {
    return (in + 2 * p - k) / s + 1;
}

__global__ void im2col_kernel(const float* x, float* col, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw,
                              int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t row0, int64_t rows,
                              int64_t ow, int64_t total) {
    const int64_t taps = kh * kw, K = c * taps, P = rows * ow;
    DML_CUDA_LOOP(idx, total) {
        const int64_t p = idx % P, k = (idx / P) % K, b = idx / (P * K);
        const int64_t ci = k / taps, i = (k / kw) % kh, j = k % kw;
        const int64_t ih = (row0 + p / ow) * sh - ph + i, iw = (p % ow) * sw - pw + j;
        col[idx] = (ih >= 0 && ih < h && iw >= 0 && iw < w) ? x[((b * c + ci) * h + ih) * w + iw] : 0.f;
    }
}

__global__ void col2im_accumulate_kernel(const float* col, float* x, int64_t c, int64_t h, int64_t w, int64_t kh,
                                         int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t row0,
                                         int64_t rows, int64_t ow, int64_t total) {
    const int64_t K = c * kh * kw, P = rows * ow;
    DML_CUDA_LOOP(idx, total) {
        const int64_t iw = idx % w, ih = (idx / w) % h, ci = (idx / (w * h)) % c, b = idx / (w * h * c);
        const float* cb = col + b * K * P;
        float acc = 0.f;
        for (int64_t i = 0; i < kh; ++i) {
            const int64_t ry = ih + ph - i;  // = r * sh
            if (ry < 0 || ry % sh != 0) continue;
            const int64_t r = ry / sh - row0;
            if (r < 0 || r >= rows) continue;
            for (int64_t j = 0; j < kw; ++j) {
                const int64_t qx = iw + pw - j;  // = q * sw
                if (qx < 0 || qx % sw != 0) continue;
                const int64_t q = qx / sw;
                if (q >= ow) continue;
                acc += cb[((ci * kh + i) * kw + j) * P + r * ow + q];
            }
        }
        x[idx] += acc;
    }
}

__global__ void depthwise_forward_kernel(const float* x, const float* wt, const float* bias, float* y, int64_t c,
                                         int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                                         int64_t ph, int64_t pw, int64_t oh, int64_t ow, int64_t total) {
    DML_CUDA_LOOP(idx, total) {
        const int64_t q = idx % ow, r = (idx / ow) % oh, plane = idx / (ow * oh), ci = plane % c;
        const float* xp = x + plane * h * w;
        const float* wp = wt + ci * kh * kw;
        float acc = bias ? bias[ci] : 0.f;
        for (int64_t i = 0; i < kh; ++i) {
            const int64_t ih = r * sh - ph + i;
            if (ih < 0 || ih >= h) continue;
            for (int64_t j = 0; j < kw; ++j) {
                const int64_t iw = q * sw - pw + j;
                if (iw < 0 || iw >= w) continue;
                acc += wp[i * kw + j] * xp[ih * w + iw];
            }
        }
        y[idx] = acc;
    }
}

__global__ void depthwise_dx_kernel(const float* wt, const float* dy, float* dx, int64_t c, int64_t h, int64_t w,
                                    int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                                    int64_t oh, int64_t ow, int64_t total) {
    DML_CUDA_LOOP(idx, total) {
        const int64_t iw = idx % w, ih = (idx / w) % h, plane = idx / (w * h), ci = plane % c;
        const float* gp = dy + plane * oh * ow;
        const float* wp = wt + ci * kh * kw;
        float acc = 0.f;
        for (int64_t i = 0; i < kh; ++i) {
            const int64_t ry = ih + ph - i;
            if (ry < 0 || ry % sh != 0 || ry / sh >= oh) continue;
            for (int64_t j = 0; j < kw; ++j) {
                const int64_t qx = iw + pw - j;
                if (qx < 0 || qx % sw != 0 || qx / sw >= ow) continue;
                acc += wp[i * kw + j] * gp[(ry / sh) * ow + qx / sw];
            }
        }
        dx[idx] = acc;
    }
}

// Block (ci * kh + i) * kw + j sums dy * x over every image and output position for channel ci, tap (i, j).
__global__ void depthwise_dw_kernel(const float* x, const float* dy, float* dwt, int64_t n, int64_t c, int64_t h,
                                    int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                                    int64_t pw, int64_t oh, int64_t ow) {
    const int64_t tap = blockIdx.x;
    const int64_t j = tap % kw, i = (tap / kw) % kh, ci = tap / (kw * kh);
    const int64_t per_image = oh * ow, count = n * per_image;
    double acc = 0.0;
    for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
        const int64_t b = k / per_image, r = (k % per_image) / ow, q = k % ow;
        const int64_t ih = r * sh - ph + i, iw = q * sw - pw + j;
        if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
        const int64_t plane = b * c + ci;
        acc += (double)dy[plane * per_image + k % per_image] * x[(plane * h + ih) * w + iw];
    }
    const double total = dml::cuda::block_sum(acc);
    if (threadIdx.x == 0) dwt[tap] = (float)total;
}

}  // namespace

using dml::cuda::check_launch;
using dml::cuda::grid_for;
using dml::cuda::kThreads;

DML_CUDA_API int dml_cuda_im2col(const float* x, float* col, int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh,
                                 int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t row0,
                                 int64_t rows) {
    const int64_t ow = out_size(w, kw, sw, pw);
    const int64_t total = n * c * kh * kw * rows * ow;
    if (total == 0) return DML_OK;
    im2col_kernel<<<grid_for(total), kThreads, 0, dml::cuda::stream()>>>(x, col, c, h, w, kh, kw, sh, sw, ph, pw, row0, rows, ow, total);
    return check_launch("im2col");
}

DML_CUDA_API int dml_cuda_col2im_accumulate(const float* col, float* x, int64_t n, int64_t c, int64_t h, int64_t w,
                                            int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                                            int64_t row0, int64_t rows) {
    const int64_t ow = out_size(w, kw, sw, pw);
    const int64_t total = n * c * h * w;
    if (total == 0 || rows == 0) return DML_OK;
    col2im_accumulate_kernel<<<grid_for(total), kThreads, 0, dml::cuda::stream()>>>(col, x, c, h, w, kh, kw, sh, sw, ph, pw, row0, rows,
                                                            ow, total);
    return check_launch("col2im_accumulate");
}

DML_CUDA_API int dml_cuda_depthwise_conv2d_forward(const float* x, const float* wt, const float* bias, float* y,
                                                   int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh,
                                                   int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw) {
    const int64_t oh = out_size(h, kh, sh, ph), ow = out_size(w, kw, sw, pw);
    const int64_t total = n * c * oh * ow;
    if (total == 0) return DML_OK;
    depthwise_forward_kernel<<<grid_for(total), kThreads, 0, dml::cuda::stream()>>>(x, wt, bias, y, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow,
                                                            total);
    return check_launch("depthwise_conv2d_forward");
}

DML_CUDA_API int dml_cuda_depthwise_conv2d_backward(const float* x, const float* wt, const float* dy, float* dx,
                                                    float* dwt, int64_t n, int64_t c, int64_t h, int64_t w,
                                                    int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                                                    int64_t pw) {
    const int64_t oh = out_size(h, kh, sh, ph), ow = out_size(w, kw, sw, pw);
    if (dx && n * c * h * w > 0) {
        const int64_t total = n * c * h * w;
        depthwise_dx_kernel<<<grid_for(total), kThreads, 0, dml::cuda::stream()>>>(wt, dy, dx, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow,
                                                           total);
        if (int s = check_launch("depthwise_conv2d_backward dx")) return s;
    }
    if (dwt && c > 0) {
        depthwise_dw_kernel<<<(unsigned)(c * kh * kw), kThreads, 0, dml::cuda::stream()>>>(x, dy, dwt, n, c, h, w, kh, kw, sh, sw, ph, pw,
                                                                   oh, ow);
        if (int s = check_launch("depthwise_conv2d_backward dw")) return s;
    }
    return DML_OK;
}
