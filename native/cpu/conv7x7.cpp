// Direct 7x7 convolution, any stride, padding < 7, groups 1, NCHW, on the CPU with AVX-512 (forward, input
// gradient, weight gradient): the fast path of ai.diffiml.ops.Conv for the Mix Transformer's 7x7 stride-4 patch
// embeddings, where im2col + GEMM is bound by memory (the col buffer of the noise stem's projection, 32 -> 32
// channels from 128x128, is 51 MB for a batch of 8 and goes through DRAM in every pass). The im2col path stays the
// reference (Conv7x7Test compares both). No CUDA twin: Java takes this path on the CPU only.
//
// Unlike conv3x3.cpp (vectorised over output columns, stride 1), these kernels put channels in the vector lanes,
// since a strided output row is not contiguous in its input:
// - Forward: a work item is (image, output row); its 7 input rows of every channel are copied, zero-padded, into a
//   buffer; per tile of kT output columns and 32 output channels, kT x 2 vector accumulators (16 channels each)
//   stay in registers over all input channels and taps, fed by 2 loads of the repacked weight [c][7][7][o] and kT
//   broadcasts of input values; the tile is transposed into the NCHW output.
// - Weight gradient: dy is transposed to [n][oh][ow][o]; a work item is (image, band of kWgRows output rows); per
//   input channel and kernel row, 7 x 2 vector accumulators (taps x 32 output channels) run over the band's output
//   pixels (2 loads of dy, 7 broadcasts of input values per pixel); the band's partial gradients are added in band
//   order (in double), so the result does not depend on the thread count.
// - Input gradient: a gather, each dx value written once: a work item is (image, input row); input columns of one
//   residue modulo the stride share their valid taps, so per tile of kT such columns and 32 input channels, kT x 2
//   accumulators sum weight [7][7][o][c] times broadcasts of the transposed dy over the valid taps and all output
//   channels; dy is padded with zero columns so that no tap needs a bounds test.
// Results differ from the im2col path only in summation order (float, ~1e-6 relative).
#include <algorithm>
#include <cstring>
#include <vector>
#include "core/dispatch.h"
#include "cpu/cpu_features.h"

#if defined(__x86_64__)
#include <immintrin.h>
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define DML_AVX512 __attribute__((target("avx512f")))
#endif

namespace dml::cpu {

namespace {

constexpr int kK = 7;            // kernel side
constexpr int kT = 8;            // columns per tile (forward: output columns; input gradient: input columns)
constexpr int64_t kWgRows = 8;   // output rows per weight-gradient band

inline int64_t round16(int64_t v) { return (v + 15) / 16 * 16; }
inline int64_t out_size(int64_t in, int64_t s, int64_t p) { return (in + 2 * p - kK) / s + 1; }

#if defined(__x86_64__)
// Rows [y0, y0 + rows) of plane x (h x w) into dst (rows x wp), image column q at q + pad, zero elsewhere.
void pad_rows(const float* x, int64_t h, int64_t w, int64_t pad, int64_t y0, int64_t rows, float* dst, int64_t wp) {
    for (int64_t r = 0; r < rows; ++r) {
        float* d = dst + r * wp;
        std::memset(d, 0, sizeof(float) * wp);
        const int64_t y = y0 + r;
        if (y >= 0 && y < h) std::memcpy(d + pad, x + y * w, sizeof(float) * w);
    }
}

// One forward tile: output columns [ox0, ox0 + kT) of one row, 16 V output channels starting where wt and bias
// point; out [kT][32] (aligned). xp: the row's 7 padded input rows per channel (channel stride 7 wp).
template <int V>
DML_AVX512 void forward_tile(const float* xp, int64_t c, int64_t wp, int64_t s, int64_t ox0, const float* wt,
                             int64_t op, const float* bias, float* out) {
    __m512 acc[kT][V];
#pragma GCC unroll 8
    for (int t = 0; t < kT; ++t)
#pragma GCC unroll 2
        for (int v = 0; v < V; ++v) acc[t][v] = _mm512_loadu_ps(bias + 16 * v);
    for (int64_t ci = 0; ci < c; ++ci) {
        for (int i = 0; i < kK; ++i) {
            const float* xr = xp + (ci * kK + i) * wp + s * ox0;
            const float* wr = wt + (ci * kK + i) * kK * op;
            for (int j = 0; j < kK; ++j) {
                __m512 wv[V];
#pragma GCC unroll 2
                for (int v = 0; v < V; ++v) wv[v] = _mm512_loadu_ps(wr + j * op + 16 * v);
#pragma GCC unroll 8
                for (int t = 0; t < kT; ++t) {
                    const __m512 xb = _mm512_set1_ps(xr[s * t + j]);
#pragma GCC unroll 2
                    for (int v = 0; v < V; ++v) acc[t][v] = _mm512_fmadd_ps(wv[v], xb, acc[t][v]);
                }
            }
        }
    }
    // Stored in fully unrolled loops: a rolled loop over the accumulators makes GCC keep them on the stack.
#pragma GCC unroll 8
    for (int t = 0; t < kT; ++t)
#pragma GCC unroll 2
        for (int v = 0; v < V; ++v) _mm512_store_ps(out + t * 32 + 16 * v, acc[t][v]);
}

void forward(const float* x, const float* wt, const float* bias, float* y, int64_t n, int64_t c, int64_t h,
             int64_t w, int64_t o, int64_t s, int64_t p) {
    const int64_t oh = out_size(h, s, p), ow = out_size(w, s, p), op = round16(o);
    const int64_t tiles = (ow + kT - 1) / kT;
    const int64_t wp = round16(std::max(w + 2 * p, s * (tiles * kT - 1) + kK));
    std::vector<float> wtp(c * kK * kK * op, 0.f), bp(op, 0.f);  // [c][7][7][op]
    for (int64_t oc = 0; oc < o; ++oc) {
        if (bias) bp[oc] = bias[oc];
        for (int64_t ci = 0; ci < c; ++ci)
            for (int t = 0; t < kK * kK; ++t) wtp[(ci * kK * kK + t) * op + oc] = wt[(oc * c + ci) * kK * kK + t];
    }
#pragma omp parallel
    {
        std::vector<float> xp(c * kK * wp);
        alignas(64) float tile[kT * 32];
#pragma omp for collapse(2) schedule(static)
        for (int64_t b = 0; b < n; ++b)
            for (int64_t oy = 0; oy < oh; ++oy) {
                for (int64_t ci = 0; ci < c; ++ci)
                    pad_rows(x + (b * c + ci) * h * w, h, w, p, s * oy - p, kK, xp.data() + ci * kK * wp, wp);
                for (int64_t o0 = 0; o0 < o; o0 += 32) {
                    const int64_t no = std::min<int64_t>(32, o - o0);
                    for (int64_t ox0 = 0; ox0 < ow; ox0 += kT) {
                        if (no > 16)
                            forward_tile<2>(xp.data(), c, wp, s, ox0, wtp.data() + o0, op, bp.data() + o0, tile);
                        else
                            forward_tile<1>(xp.data(), c, wp, s, ox0, wtp.data() + o0, op, bp.data() + o0, tile);
                        const int64_t nt = std::min<int64_t>(kT, ow - ox0);
                        for (int64_t l = 0; l < no; ++l) {
                            float* yr = y + ((b * o + o0 + l) * oh + oy) * ow + ox0;
                            for (int64_t t = 0; t < nt; ++t) yr[t] = tile[t * 32 + l];
                        }
                    }
                }
            }
    }
}

// dy [n, o, oh, ow] as [n][oh][L + ow + R][op]: output channels innermost (zero beyond o), `left` zero columns
// before each row and zero columns after it up to a row of `cols`.
std::vector<float> transpose_dy(const float* dy, int64_t n, int64_t o, int64_t oh, int64_t ow, int64_t op,
                                int64_t left, int64_t cols) {
    std::vector<float> t(n * oh * cols * op, 0.f);
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t b = 0; b < n; ++b)
        for (int64_t oy = 0; oy < oh; ++oy)
            for (int64_t oc = 0; oc < o; ++oc) {
                const float* src = dy + ((b * o + oc) * oh + oy) * ow;
                float* dst = t.data() + ((b * oh + oy) * cols + left) * op + oc;
                for (int64_t ox = 0; ox < ow; ++ox) dst[ox * op] = src[ox];
            }
    return t;
}

// The weight gradient of one input channel and kernel row i over a band of output rows: out [7][32] (aligned)
// for 16 V output channels from where dyt points (the band's first row, [rows][ow][op]). xc: the band's padded
// input rows of the channel.
template <int V>
DML_AVX512 void weight_grad_row(const float* xc, int64_t wp, int64_t s, int i, const float* dyt, int64_t op,
                                int64_t rows, int64_t ow, float* out) {
    __m512 acc[kK][V];
#pragma GCC unroll 7
    for (int j = 0; j < kK; ++j)
#pragma GCC unroll 2
        for (int v = 0; v < V; ++v) acc[j][v] = _mm512_setzero_ps();
    // One flat loop over the band's pixels (nested loops made GCC move the accumulators through the stack).
    int64_t r = 0, ox = 0;
    for (int64_t it = 0, total = rows * ow; it < total; ++it) {
        __m512 d[V];
#pragma GCC unroll 2
        for (int v = 0; v < V; ++v) d[v] = _mm512_loadu_ps(dyt + (r * ow + ox) * op + 16 * v);
        const float* xq = xc + (s * r + i) * wp + s * ox;
#pragma GCC unroll 7
        for (int j = 0; j < kK; ++j) {
            const __m512 xb = _mm512_set1_ps(xq[j]);
#pragma GCC unroll 2
            for (int v = 0; v < V; ++v) acc[j][v] = _mm512_fmadd_ps(d[v], xb, acc[j][v]);
        }
        if (++ox == ow) {
            ox = 0;
            ++r;
        }
    }
#pragma GCC unroll 7
    for (int j = 0; j < kK; ++j)
#pragma GCC unroll 2
        for (int v = 0; v < V; ++v) _mm512_store_ps(out + j * 32 + 16 * v, acc[j][v]);
}

void weight_grad(const float* x, const float* dy, float* dwt, int64_t n, int64_t c, int64_t h, int64_t w, int64_t o,
                 int64_t s, int64_t p) {
    const int64_t oh = out_size(h, s, p), ow = out_size(w, s, p), op = round16(o);
    const std::vector<float> dyt = transpose_dy(dy, n, o, oh, ow, op, 0, ow);
    const int64_t wp = round16(std::max(w + 2 * p, s * (ow - 1) + kK));
    const int64_t band_in = s * (kWgRows - 1) + kK;  // input rows of a full band
    const int64_t bands = (oh + kWgRows - 1) / kWgRows, items = n * bands, size = o * c * kK * kK;
    std::vector<float> parts(items * size);
#pragma omp parallel
    {
        std::vector<float> xp(c * band_in * wp);
        alignas(64) float tile[kK * 32];
#pragma omp for schedule(static)
        for (int64_t it = 0; it < items; ++it) {
            const int64_t b = it / bands, oy0 = (it % bands) * kWgRows, rows = std::min(kWgRows, oh - oy0);
            const int64_t in_rows = s * (rows - 1) + kK;
            for (int64_t ci = 0; ci < c; ++ci)
                pad_rows(x + (b * c + ci) * h * w, h, w, p, s * oy0 - p, in_rows, xp.data() + ci * band_in * wp, wp);
            float* part = parts.data() + it * size;
            const float* band_dy = dyt.data() + (b * oh + oy0) * ow * op;
            for (int64_t ci = 0; ci < c; ++ci)
                for (int i = 0; i < kK; ++i)
                    for (int64_t o0 = 0; o0 < o; o0 += 32) {
                        const int64_t no = std::min<int64_t>(32, o - o0);
                        const float* xc = xp.data() + ci * band_in * wp;
                        if (no > 16)
                            weight_grad_row<2>(xc, wp, s, i, band_dy + o0, op, rows, ow, tile);
                        else
                            weight_grad_row<1>(xc, wp, s, i, band_dy + o0, op, rows, ow, tile);
                        for (int64_t l = 0; l < no; ++l)
                            for (int j = 0; j < kK; ++j)
                                part[((o0 + l) * c + ci) * kK * kK + i * kK + j] = tile[j * 32 + l];
                    }
        }
#pragma omp for schedule(static)
        for (int64_t k = 0; k < size; ++k) {
            double acc = 0.0;
            for (int64_t it = 0; it < items; ++it) acc += parts[it * size + k];
            dwt[k] = (float)acc;
        }
    }
}

// A tap (i, j) that reaches the tile, and where its dy values start.
struct Tap {
    int i, j;
    const float* dy;  // transposed dy at (oy, first output column of the tile's first input column)
};

// One input-gradient tile: kT input columns ix0 + s t of one row (one residue modulo s), 16 V input channels from
// where wtt points ([7][7][o][cp]); out [kT][32] (aligned). Tap k's dy values for column t are at taps[k].dy +
// t op (the tile's columns are s apart in the input, so one output column apart).
template <int V>
DML_AVX512 void data_grad_tile(const Tap* taps, int ntaps, const float* wtt, int64_t o, int64_t cp, int64_t op,
                               float* out) {
    __m512 acc[kT][V];
#pragma GCC unroll 8
    for (int t = 0; t < kT; ++t)
#pragma GCC unroll 2
        for (int v = 0; v < V; ++v) acc[t][v] = _mm512_setzero_ps();
    for (int k = 0; k < ntaps; ++k) {
        const float* wk = wtt + (taps[k].i * kK + taps[k].j) * o * cp;
        const float* dk = taps[k].dy;
        for (int64_t oc = 0; oc < o; ++oc) {
            __m512 wv[V];
#pragma GCC unroll 2
            for (int v = 0; v < V; ++v) wv[v] = _mm512_loadu_ps(wk + oc * cp + 16 * v);
#pragma GCC unroll 8
            for (int t = 0; t < kT; ++t) {
                const __m512 db = _mm512_set1_ps(dk[t * op + oc]);
#pragma GCC unroll 2
                for (int v = 0; v < V; ++v) acc[t][v] = _mm512_fmadd_ps(wv[v], db, acc[t][v]);
            }
        }
    }
#pragma GCC unroll 8
    for (int t = 0; t < kT; ++t)
#pragma GCC unroll 2
        for (int v = 0; v < V; ++v) _mm512_store_ps(out + t * 32 + 16 * v, acc[t][v]);
}

void data_grad(const float* dy, const float* wt, float* dx, int64_t n, int64_t c, int64_t h, int64_t w, int64_t o,
               int64_t s, int64_t p) {
    const int64_t oh = out_size(h, s, p), ow = out_size(w, s, p), op = round16(o), cp = round16(c);
    // Input column ix (padded X = ix + p) takes tap j = X - s ox, i.e. output column (X - j) / s, from
    // -(kK - 1) / s - 1 up to (w - 1 + p) / s plus a tile's overhang: pad dy with zero columns on both sides.
    const int64_t left = (kK - 1) / s + 1;
    const int64_t per_residue = (w + s - 1) / s, tiles = (per_residue + kT - 1) / kT;
    const int64_t right_end = (s - 1 + p) / s + tiles * kT;  // one past the largest output column a tile reads
    const int64_t cols = left + std::max(ow, right_end) + 1;
    const std::vector<float> dyt = transpose_dy(dy, n, o, oh, ow, op, left, cols);
    std::vector<float> wtt(kK * kK * o * cp, 0.f);  // [7][7][o][cp]
    for (int64_t oc = 0; oc < o; ++oc)
        for (int64_t ci = 0; ci < c; ++ci)
            for (int t = 0; t < kK * kK; ++t) wtt[(t * o + oc) * cp + ci] = wt[(oc * c + ci) * kK * kK + t];
#pragma omp parallel
    {
        alignas(64) float tile[kT * 32];
        Tap taps[kK * kK];
#pragma omp for collapse(2) schedule(static)
        for (int64_t b = 0; b < n; ++b)
            for (int64_t iy = 0; iy < h; ++iy) {
                const int64_t Y = iy + p;
                for (int64_t rx = 0; rx < s && rx < w; ++rx) {
                    const int64_t X0 = rx + p;
                    for (int64_t u0 = 0; u0 < per_residue; u0 += kT) {
                        int ntaps = 0;
                        for (int i = (int)(Y % s); i < kK; i += (int)s) {
                            const int64_t oy = (Y - i) / s;
                            if (oy < 0 || oy >= oh) continue;
                            for (int j = (int)(X0 % s); j < kK; j += (int)s) {
                                const int64_t ox = (X0 - j) / s + u0;  // X0 - j is a multiple of s
                                taps[ntaps++] = {i, j, dyt.data() + ((b * oh + oy) * cols + left + ox) * op};
                            }
                        }
                        const int64_t nt = std::min<int64_t>(kT, per_residue - u0);
                        for (int64_t c0 = 0; c0 < c; c0 += 32) {
                            const int64_t nc = std::min<int64_t>(32, c - c0);
                            if (nc > 16)
                                data_grad_tile<2>(taps, ntaps, wtt.data() + c0, o, cp, op, tile);
                            else
                                data_grad_tile<1>(taps, ntaps, wtt.data() + c0, o, cp, op, tile);
                            for (int64_t l = 0; l < nc; ++l) {
                                float* row = dx + ((b * c + c0 + l) * h + iy) * w;
                                for (int64_t t = 0; t < nt; ++t) {
                                    const int64_t ix = rx + s * (u0 + t);
                                    if (ix < w) row[ix] = tile[t * 32 + l];
                                }
                            }
                        }
                    }
                }
            }
    }
}
#endif

int check(const char* op, int dev, int64_t n, int64_t c, int64_t h, int64_t w, int64_t o, int64_t s, int64_t p) {
    if (int status = direct_conv_check(op, "7x7", dev, n, c, h, w, o)) return status;
    if (s < 1 || p < 0 || p >= kK)
        return fail(DML_ERR_ARGUMENT, "%s: stride must be >= 1 and padding in [0, 7), got stride %lld pad %lld", op,
                    (long long)s, (long long)p);
    if (h + 2 * p < kK || w + 2 * p < kK)
        return fail(DML_ERR_ARGUMENT, "%s: a %lldx%lld input with padding %lld is smaller than the 7x7 kernel", op,
                    (long long)h, (long long)w, (long long)p);
    return DML_OK;
}

}  // namespace

}  // namespace dml::cpu

extern "C" {

int dml_conv7x7_supported(void) { return dml::cpu::has_avx512f() ? 1 : 0; }

int dml_conv7x7_forward(int dev, const float* x, const float* wt, const float* bias, float* y, int64_t n, int64_t c,
                        int64_t h, int64_t w, int64_t o, int64_t stride, int64_t pad) {
    if (int s = dml::cpu::check("conv7x7_forward", dev, n, c, h, w, o, stride, pad)) return s;
#if defined(__x86_64__)
    dml::cpu::forward(x, wt, bias, y, n, c, h, w, o, stride, pad);
#endif
    return DML_OK;
}

int dml_conv7x7_backward_data(int dev, const float* dy, const float* wt, float* dx, int64_t n, int64_t c, int64_t h,
                              int64_t w, int64_t o, int64_t stride, int64_t pad) {
    if (int s = dml::cpu::check("conv7x7_backward_data", dev, n, c, h, w, o, stride, pad)) return s;
#if defined(__x86_64__)
    dml::cpu::data_grad(dy, wt, dx, n, c, h, w, o, stride, pad);
#endif
    return DML_OK;
}

int dml_conv7x7_backward_weight(int dev, const float* x, const float* dy, float* dwt, int64_t n, int64_t c,
                                int64_t h, int64_t w, int64_t o, int64_t stride, int64_t pad) {
    if (int s = dml::cpu::check("conv7x7_backward_weight", dev, n, c, h, w, o, stride, pad)) return s;
#if defined(__x86_64__)
    dml::cpu::weight_grad(x, dy, dwt, n, c, h, w, o, stride, pad);
#endif
    return DML_OK;
}

}  // extern "C"
