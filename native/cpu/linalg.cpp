// CPU reference of the convolution helpers: im2col / col2im (convolution as GEMM, see linalg.h for the layout)
// and the direct depthwise convolution (forward, input gradient, weight gradient), plus the C API entry points,
// which check the geometry once for both devices and then dispatch to CPU or CUDA.
// Shape of the loops: every kernel walks one output row at a time and, per kernel tap, computes the range of
// output columns whose input column lies inside the image, so the innermost loop has no bounds test and
// vectorises (stride 1). Parallel work items never write the same memory: im2col owns one col row, col2im and
// the depthwise forward / input gradient own one (image, channel) plane, the depthwise weight gradient owns one
// channel (summed over the batch in double).
#include <algorithm>
#include <cstring>
#include "core/dispatch.h"

namespace dml::cpu {

namespace {

// Output columns q in [q0, q1) whose input column q*sw - pw + j lies in [0, w).
inline void valid_cols(int64_t j, int64_t w, int64_t sw, int64_t pw, int64_t ow, int64_t& q0, int64_t& q1) {
    const int64_t lo = pw - j;          // need q*sw >= lo
    const int64_t hi = w - 1 + pw - j;  // need q*sw <= hi
    q0 = lo <= 0 ? 0 : (lo + sw - 1) / sw;
    q1 = hi < 0 ? 0 : std::min(ow, hi / sw + 1);
    if (q1 < q0) q1 = q0;
}

inline int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t p) { return (in + 2 * p - k) / s + 1; }

}  // namespace

int im2col(const float* x, float* col, int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw,
           int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t row0, int64_t rows) {
    const int64_t ow = out_size(w, kw, sw, pw);
    const int64_t taps = kh * kw, K = c * taps, P = rows * ow;
#pragma omp parallel for collapse(2) schedule(static) if (n * K * P > 32768)
    for (int64_t b = 0; b < n; ++b) {
        for (int64_t k = 0; k < K; ++k) {
            const int64_t ci = k / taps, i = (k / kw) % kh, j = k % kw;
            const float* src = x + (b * c + ci) * h * w;
            float* dst = col + (b * K + k) * P;
            int64_t q0, q1;
            valid_cols(j, w, sw, pw, ow, q0, q1);
            for (int64_t r = 0; r < rows; ++r) {
                const int64_t ih = (row0 + r) * sh - ph + i;
                float* d = dst + r * ow;
                if (ih < 0 || ih >= h) {
                    std::memset(d, 0, sizeof(float) * ow);
                    continue;
                }
                const float* s = src + ih * w;
                for (int64_t q = 0; q < q0; ++q) d[q] = 0.f;
                if (sw == 1)
                    for (int64_t q = q0; q < q1; ++q) d[q] = s[q - pw + j];
                else
                    for (int64_t q = q0; q < q1; ++q) d[q] = s[q * sw - pw + j];
                for (int64_t q = q1; q < ow; ++q) d[q] = 0.f;
            }
        }
    }
    return DML_OK;
}

int col2im_accumulate(const float* col, float* x, int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh,
                      int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t row0, int64_t rows) {
    const int64_t ow = out_size(w, kw, sw, pw);
    const int64_t taps = kh * kw, K = c * taps, P = rows * ow;
#pragma omp parallel for collapse(2) schedule(static) if (n * K * P > 32768)
    for (int64_t b = 0; b < n; ++b) {
        for (int64_t ci = 0; ci < c; ++ci) {
            float* dst = x + (b * c + ci) * h * w;
            for (int64_t i = 0; i < kh; ++i) {
                for (int64_t j = 0; j < kw; ++j) {
                    const float* src = col + (b * K + (ci * kh + i) * kw + j) * P;
                    int64_t q0, q1;
                    valid_cols(j, w, sw, pw, ow, q0, q1);
                    for (int64_t r = 0; r < rows; ++r) {
                        const int64_t ih = (row0 + r) * sh - ph + i;
                        if (ih < 0 || ih >= h) continue;
                        float* d = dst + ih * w;
                        const float* s = src + r * ow;
                        if (sw == 1)
                            for (int64_t q = q0; q < q1; ++q) d[q - pw + j] += s[q];
                        else
                            for (int64_t q = q0; q < q1; ++q) d[q * sw - pw + j] += s[q];
                    }
                }
            }
        }
    }
    return DML_OK;
}

// depthwise_avx512.cpp: the vectorised forward for stride-1 rows; false where it does not apply.
bool depthwise_avx512_forward(const float* x, const float* wt, const float* bias, float* y, int64_t n, int64_t c,
                              int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                              int64_t pw);

int depthwise_conv2d_forward(const float* x, const float* wt, const float* bias, float* y, int64_t n, int64_t c,
                             int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                             int64_t pw) {
    if (depthwise_avx512_forward(x, wt, bias, y, n, c, h, w, kh, kw, sh, sw, ph, pw)) return DML_OK;
    const int64_t oh = out_size(h, kh, sh, ph), ow = out_size(w, kw, sw, pw);
    const int64_t planes = n * c;
#pragma omp parallel for schedule(static) if (planes * oh * ow * kh * kw > 32768)
    for (int64_t p = 0; p < planes; ++p) {
        const int64_t ci = p % c;
        const float* xp = x + p * h * w;
        const float* wp = wt + ci * kh * kw;
        float* yp = y + p * oh * ow;
        const float b0 = bias ? bias[ci] : 0.f;
        for (int64_t r = 0; r < oh; ++r) {
            float* yr = yp + r * ow;
            for (int64_t q = 0; q < ow; ++q) yr[q] = b0;
            for (int64_t i = 0; i < kh; ++i) {
                const int64_t ih = r * sh - ph + i;
                if (ih < 0 || ih >= h) continue;
                const float* xr = xp + ih * w;
                for (int64_t j = 0; j < kw; ++j) {
                    const float wv = wp[i * kw + j];
                    int64_t q0, q1;
                    valid_cols(j, w, sw, pw, ow, q0, q1);
                    if (sw == 1)
                        for (int64_t q = q0; q < q1; ++q) yr[q] += wv * xr[q - pw + j];
                    else
                        for (int64_t q = q0; q < q1; ++q) yr[q] += wv * xr[q * sw - pw + j];
                }
            }
        }
    }
    return DML_OK;
}

// depthwise_avx512.cpp: the vectorised backward for stride 1, 3x3 and 5x5, padding below the kernel.
bool depthwise_avx512_backward(const float* x, const float* wt, const float* dy, float* dx, float* dwt, int64_t n,
                               int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                               int64_t ph, int64_t pw);

int depthwise_conv2d_backward(const float* x, const float* wt, const float* dy, float* dx, float* dwt, int64_t n,
                              int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                              int64_t ph, int64_t pw) {
    if (depthwise_avx512_backward(x, wt, dy, dx, dwt, n, c, h, w, kh, kw, sh, sw, ph, pw)) return DML_OK;
    const int64_t oh = out_size(h, kh, sh, ph), ow = out_size(w, kw, sw, pw);
    const int64_t planes = n * c;
    const bool large = planes * oh * ow * kh * kw > 32768;
    if (dx) {
        // Scatter each output gradient back through the taps; one thread owns a whole plane, so no races.
#pragma omp parallel for schedule(static) if (large)
        for (int64_t p = 0; p < planes; ++p) {
            const int64_t ci = p % c;
            const float* gp = dy + p * oh * ow;
            const float* wp = wt + ci * kh * kw;
            float* dp = dx + p * h * w;
            std::memset(dp, 0, sizeof(float) * h * w);
            for (int64_t r = 0; r < oh; ++r) {
                const float* gr = gp + r * ow;
                for (int64_t i = 0; i < kh; ++i) {
                    const int64_t ih = r * sh - ph + i;
                    if (ih < 0 || ih >= h) continue;
                    float* dr = dp + ih * w;
                    for (int64_t j = 0; j < kw; ++j) {
                        const float wv = wp[i * kw + j];
                        int64_t q0, q1;
                        valid_cols(j, w, sw, pw, ow, q0, q1);
                        if (sw == 1)
                            for (int64_t q = q0; q < q1; ++q) dr[q - pw + j] += wv * gr[q];
                        else
                            for (int64_t q = q0; q < q1; ++q) dr[q * sw - pw + j] += wv * gr[q];
                    }
                }
            }
        }
    }
    if (dwt) {
        // One channel per work item, each tap summed over batch and rows in double; the dot product along one
        // output row (at most ow terms) is summed in float so that it vectorises.
#pragma omp parallel for schedule(static) if (large)
        for (int64_t ci = 0; ci < c; ++ci) {
            for (int64_t i = 0; i < kh; ++i) {
                for (int64_t j = 0; j < kw; ++j) {
                    int64_t q0, q1;
                    valid_cols(j, w, sw, pw, ow, q0, q1);
                    double acc = 0.0;
                    for (int64_t b = 0; b < n; ++b) {
                        const float* xp = x + (b * c + ci) * h * w;
                        const float* gp = dy + (b * c + ci) * oh * ow;
                        for (int64_t r = 0; r < oh; ++r) {
                            const int64_t ih = r * sh - ph + i;
                            if (ih < 0 || ih >= h) continue;
                            const float* xr = xp + ih * w;
                            const float* gr = gp + r * ow;
                            float row = 0.f;
                            if (sw == 1) {
#pragma omp simd reduction(+ : row)
                                for (int64_t q = q0; q < q1; ++q) row += gr[q] * xr[q - pw + j];
                            } else {
                                for (int64_t q = q0; q < q1; ++q) row += gr[q] * xr[q * sw - pw + j];
                            }
                            acc += row;
                        }
                    }
                    dwt[(ci * kh + i) * kw + j] = (float)acc;
                }
            }
        }
    }
    return DML_OK;
}

}  // namespace dml::cpu

namespace {

// The geometry checks of linalg.h, made once here for both devices (the CUDA kernels trust them).
int check_geometry(const char* op, int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh,
                   int64_t sw, int64_t ph, int64_t pw) {
    if (n < 0 || c < 0 || h < 0 || w < 0)
        return dml::fail(DML_ERR_ARGUMENT, "%s: negative size n=%lld c=%lld h=%lld w=%lld", op, (long long)n,
                         (long long)c, (long long)h, (long long)w);
    if (kh < 1 || kw < 1 || sh < 1 || sw < 1 || ph < 0 || pw < 0)
        return dml::fail(DML_ERR_ARGUMENT, "%s: bad kernel %lldx%lld, stride %lldx%lld or padding %lldx%lld", op,
                         (long long)kh, (long long)kw, (long long)sh, (long long)sw, (long long)ph, (long long)pw);
    if (h + 2 * ph < kh || w + 2 * pw < kw)
        return dml::fail(DML_ERR_ARGUMENT, "%s: kernel %lldx%lld larger than the padded %lldx%lld image", op,
                         (long long)kh, (long long)kw, (long long)(h + 2 * ph), (long long)(w + 2 * pw));
    return DML_OK;
}

int check_band(const char* op, int64_t h, int64_t kh, int64_t sh, int64_t ph, int64_t row0, int64_t rows) {
    const int64_t oh = (h + 2 * ph - kh) / sh + 1;
    if (row0 < 0 || rows < 0 || row0 + rows > oh)
        return dml::fail(DML_ERR_ARGUMENT, "%s: output rows [%lld, %lld) outside [0, %lld)", op, (long long)row0,
                         (long long)(row0 + rows), (long long)oh);
    return DML_OK;
}

}  // namespace

extern "C" {

int dml_im2col(int dev, const float* x, float* col, int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh,
               int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t row0, int64_t rows) {
    if (int s = check_geometry("im2col", n, c, h, w, kh, kw, sh, sw, ph, pw)) return s;
    if (int s = check_band("im2col", h, kh, sh, ph, row0, rows)) return s;
    DML_DISPATCH(im2col, x, col, n, c, h, w, kh, kw, sh, sw, ph, pw, row0, rows);
}

int dml_col2im_accumulate(int dev, const float* col, float* x, int64_t n, int64_t c, int64_t h, int64_t w,
                          int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t row0,
                          int64_t rows) {
    if (int s = check_geometry("col2im_accumulate", n, c, h, w, kh, kw, sh, sw, ph, pw)) return s;
    if (int s = check_band("col2im_accumulate", h, kh, sh, ph, row0, rows)) return s;
    DML_DISPATCH(col2im_accumulate, col, x, n, c, h, w, kh, kw, sh, sw, ph, pw, row0, rows);
}

int dml_depthwise_conv2d_forward(int dev, const float* x, const float* wt, const float* bias, float* y, int64_t n,
                                 int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                                 int64_t ph, int64_t pw) {
    if (int s = check_geometry("depthwise_conv2d_forward", n, c, h, w, kh, kw, sh, sw, ph, pw)) return s;
    DML_DISPATCH(depthwise_conv2d_forward, x, wt, bias, y, n, c, h, w, kh, kw, sh, sw, ph, pw);
}

int dml_depthwise_conv2d_backward(int dev, const float* x, const float* wt, const float* dy, float* dx, float* dwt,
                                  int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh,
                                  int64_t sw, int64_t ph, int64_t pw) {
    if (int s = check_geometry("depthwise_conv2d_backward", n, c, h, w, kh, kw, sh, sw, ph, pw)) return s;
    DML_DISPATCH(depthwise_conv2d_backward, x, wt, dy, dx, dwt, n, c, h, w, kh, kw, sh, sw, ph, pw);
}

}  // extern "C"
