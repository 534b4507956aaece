// Direct 3x3 convolution, stride 1, padding 1, groups 1, NCHW, on the CPU with AVX-512 (forward, input gradient,
// weight gradient): the fast path of ai.diffiml.ops.Conv for full-resolution layers with few channels (the noise
// stem's 32-channel convs at 128x128), where im2col + GEMM is bound by memory: its col buffer is 9x the input and
// goes through DRAM twice per GEMM, and col2im scatters it back. The im2col path stays the reference
// (Conv3x3Test compares both). No CUDA twin: Java takes this path on the CPU only, when dml_conv3x3_supported().
//
// Shape of the kernels.
// - Forward: a work item is (image, band of kRows output rows). The band's kRows + 2 input rows of every channel are
//   copied once into a zero-padded buffer (row stride ws = roundup(w, 16) + 16, image column q at q + 1), so the
//   inner loops have no bounds tests. Per output row, kOb output channels x 4 vectors of 16 columns are held in
//   registers (16 accumulators) over all input channels and taps: 4 loads feed 16 FMAs.
// - Input gradient: the same kernel on dy with the flipped, transposed weight w'[c][o][i][j] = w[o][c][2-i][2-j].
// - Weight gradient: a work item is a chunk of kWgRows rows of one image, whose padded input rows are built once;
//   per 3 output channels and one input channel, 27 vector accumulators (3 channels x 9 taps) stay in registers
//   over the chunk and are summed (float) into the chunk's partial gradient; the partials are added in chunk order
//   (in double), so the result does not depend on the thread count.
// Results differ from the im2col path only in summation order (float, ~1e-6 relative). Conv uses all three.
#include <algorithm>
#include <cstring>
#include <vector>
#include "core/dispatch.h"
#include "cpu/cpu_features.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include "cpu/vmath_avx512.h"
#define DML_AVX512 __attribute__((target("avx512f")))
#endif

namespace dml::cpu {

namespace {

constexpr int64_t kRows = 4;  // output rows per forward work item
constexpr int kOb = 4;        // output channels held in registers per forward pass over a row
constexpr int kVec = 4;       // 16-column vectors held per channel (a 64-column tile)
constexpr int64_t kWgRows = 32;  // rows per weight-gradient chunk (16 measured 10 % slower: more lane sums)
constexpr int kWgOb = 3;         // output channels per weight-gradient block (2 measured 20 % slower)

inline int64_t padded_stride(int64_t w) { return (w + 15) / 16 * 16 + 16; }

#if defined(__x86_64__)
// Copies rows [y0, y0 + rows) of plane x (h x w) into dst (rows x ws), column q at q + 1, zeros around and for rows
// outside [0, h).
void pad_rows(const float* x, int64_t h, int64_t w, int64_t y0, int64_t rows, float* dst, int64_t ws) {
    for (int64_t r = 0; r < rows; ++r) {
        float* d = dst + r * ws;
        const int64_t y = y0 + r;
        if (y < 0 || y >= h) {
            std::memset(d, 0, sizeof(float) * ws);
            continue;
        }
        d[0] = 0.f;
        std::memcpy(d + 1, x + y * w, sizeof(float) * w);
        std::memset(d + 1 + w, 0, sizeof(float) * (ws - 1 - w));
    }
}

// OB output channels of one output row, columns [x0, x0 + 16 * NV): out[k][q] (+)= sum over c, i, j of
// wt[k][c][i][j] * band[c][r + i][x + j], band rows of stride ws, channel planes cs apart. OB and NV are template
// arguments so that the OB x NV accumulators stay in registers (with a runtime count GCC kept them on the stack).
template <int OB, int NV>
DML_AVX512 void row_tile(const float* band, int64_t cs, int64_t ws, int64_t r, int64_t x0, const float* wt,
                         int64_t c, float* const* out, const float* init, int64_t wlim) {
    __m512 acc[OB][NV];
    for (int k = 0; k < OB; ++k)
        for (int v = 0; v < NV; ++v) acc[k][v] = _mm512_set1_ps(init ? init[k] : 0.f);
    for (int64_t ci = 0; ci < c; ++ci) {
        const float* b0 = band + ci * cs + r * ws + x0;
        const float* wc = wt + ci * 9;
        for (int i = 0; i < 3; ++i) {
            const float* row = b0 + i * ws;
            for (int j = 0; j < 3; ++j) {
                __m512 wv[OB];
                for (int k = 0; k < OB; ++k) wv[k] = _mm512_set1_ps(wc[k * c * 9 + i * 3 + j]);
                for (int v = 0; v < NV; ++v) {
                    const __m512 in = _mm512_loadu_ps(row + j + 16 * v);
                    for (int k = 0; k < OB; ++k) acc[k][v] = _mm512_fmadd_ps(wv[k], in, acc[k][v]);
                }
            }
        }
    }
    for (int v = 0; v < NV; ++v) {
        const int64_t q = x0 + 16 * v;
        const int64_t left = wlim - q;
        const __mmask16 m = vmath::first_lanes(left);
        for (int k = 0; k < OB; ++k) _mm512_mask_storeu_ps(out[k] + q, m, acc[k][v]);
    }
}

// row_tile for a runtime count nv (1..kVec) of 16-column vectors.
template <int OB>
DML_AVX512 inline void row_tiles(int nv, const float* band, int64_t cs, int64_t ws, int64_t r, int64_t x0,
                                 const float* wt, int64_t c, float* const* out, const float* init, int64_t wlim) {
    switch (nv) {
        case 4: row_tile<OB, 4>(band, cs, ws, r, x0, wt, c, out, init, wlim); break;
        case 3: row_tile<OB, 3>(band, cs, ws, r, x0, wt, c, out, init, wlim); break;
        case 2: row_tile<OB, 2>(band, cs, ws, r, x0, wt, c, out, init, wlim); break;
        default: row_tile<OB, 1>(band, cs, ws, r, x0, wt, c, out, init, wlim); break;
    }
}

// One forward work item: output rows [y0, y0 + rows) of image b, all output channels; band is the thread's buffer.
DML_AVX512 void forward_item(const float* x, const float* wt, const float* bias, float* y, int64_t b, int64_t y0,
                             int64_t rows, int64_t c, int64_t h, int64_t w, int64_t o, float* band, int64_t ws,
                             int64_t cs) {
    for (int64_t ci = 0; ci < c; ++ci) pad_rows(x + (b * c + ci) * h * w, h, w, y0 - 1, rows + 2, band + ci * cs, ws);
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t x0 = 0; x0 < w; x0 += 16 * kVec) {
            const int nv = (int)std::min<int64_t>(kVec, (w - x0 + 15) / 16);
            int64_t k0 = 0;
            float* out[kOb];
            for (; k0 + kOb <= o; k0 += kOb) {
                for (int k = 0; k < kOb; ++k) out[k] = y + ((b * o + k0 + k) * h + y0 + r) * w;
                row_tiles<kOb>(nv, band, cs, ws, r, x0, wt + k0 * c * 9, c, out, bias ? bias + k0 : nullptr, w);
            }
            for (; k0 < o; ++k0) {
                out[0] = y + ((b * o + k0) * h + y0 + r) * w;
                row_tiles<1>(nv, band, cs, ws, r, x0, wt + k0 * c * 9, c, out, bias ? bias + k0 : nullptr, w);
            }
        }
    }
}

// y [n, o, h, w] = conv3x3(x [n, c, h, w], wt [o, c, 3, 3]) + bias (NULL: none). The OpenMP loop stays outside the
// AVX-512 functions (an outlined parallel region need not inherit their target).
void forward_avx512(const float* x, const float* wt, const float* bias, float* y, int64_t n, int64_t c, int64_t h,
                    int64_t w, int64_t o) {
    const int64_t ws = padded_stride(w), cs = (kRows + 2) * ws;
    const int64_t bands = (h + kRows - 1) / kRows;
#pragma omp parallel
    {
        std::vector<float> buf(c * cs + 16);
#pragma omp for collapse(2) schedule(static)
        for (int64_t b = 0; b < n; ++b)
            for (int64_t t = 0; t < bands; ++t)
                forward_item(x, wt, bias, y, b, t * kRows, std::min(kRows, h - t * kRows), c, h, w, o, buf.data(),
                             ws, cs);
    }
}

// The 16 lanes of a vector accumulator, summed pairwise in a fixed order.
inline float lane_sum(const float* v) {
    float s8[8];
    for (int l = 0; l < 8; ++l) s8[l] = v[l] + v[l + 8];
    for (int l = 0; l < 4; ++l) s8[l] += s8[l + 4];
    return (s8[0] + s8[2]) + (s8[1] + s8[3]);
}

// OB output channels x 9 taps of the weight gradient for one input channel over one chunk of rows: 9 * OB vector
// accumulators (16 column lanes each) stay in registers over the chunk's rows (3 x 9 + 3 + 1 = 31 of the 32
// registers for OB = 3), then each is summed across its lanes into part[k][t]. band: the channel's padded input
// rows (rows + 2 of stride ws); g[k]: dy of output channel k at the chunk's first row (stride w).
template <int OB>
DML_AVX512 void weight_grad_block(const float* band, int64_t ws, const float* const* g, int64_t w, int64_t rows,
                                  float* const* part) {
    __m512 a[OB][9];
    for (int k = 0; k < OB; ++k)
        for (int t = 0; t < 9; ++t) a[k][t] = _mm512_setzero_ps();
    // One flat loop over (row, 16-column vector): with two nested loops GCC moved the accumulators through the
    // stack at every row.
    const int64_t per_row = (w + 15) / 16;
    int64_t r = 0, q = 0;
    for (int64_t it = 0, total = rows * per_row; it < total; ++it) {
        const int64_t left = w - q;
        const __mmask16 m = vmath::first_lanes(left);
        __m512 d[OB];
        for (int k = 0; k < OB; ++k) d[k] = _mm512_maskz_loadu_ps(m, g[k] + r * w + q);
        const float* at = band + r * ws + q;
        for (int i = 0; i < 3; ++i) {
            for (int j = 0; j < 3; ++j) {
                // Lanes past w read padding or the next row, but their dy lanes are zero.
                const __m512 in = _mm512_loadu_ps(at + i * ws + j);
                for (int k = 0; k < OB; ++k) a[k][i * 3 + j] = _mm512_fmadd_ps(d[k], in, a[k][i * 3 + j]);
            }
        }
        q += 16;
        if (q >= w) {
            q = 0;
            ++r;
        }
    }
    // Stored in fully unrolled loops, then summed from memory: a rolled loop over the accumulators would make GCC
    // keep the whole array on the stack and store it at every iteration of the loop above.
    alignas(64) float lanes[OB * 9][16];
#pragma GCC unroll 32
    for (int k = 0; k < OB; ++k)
#pragma GCC unroll 9
        for (int t = 0; t < 9; ++t) _mm512_store_ps(lanes[k * 9 + t], a[k][t]);
    for (int k = 0; k < OB; ++k)
        for (int t = 0; t < 9; ++t) part[k][t] = lane_sum(lanes[k * 9 + t]);
}

// One weight-gradient chunk: rows [y0, y0 + rows) of image b, all (output, input) channel pairs, into part
// [o, c, 9]. The chunk's input rows (all channels, padded) are copied once into band.
DML_AVX512 void weight_grad_chunk(const float* x, const float* dy, float* part, int64_t b, int64_t y0, int64_t rows,
                                  int64_t c, int64_t h, int64_t w, int64_t o, float* band, int64_t ws, int64_t cs) {
    for (int64_t ci = 0; ci < c; ++ci) pad_rows(x + (b * c + ci) * h * w, h, w, y0 - 1, rows + 2, band + ci * cs, ws);
    for (int64_t o0 = 0; o0 < o; o0 += kWgOb) {
        const int ob = (int)std::min<int64_t>(kWgOb, o - o0);
        const float* g[kWgOb];
        for (int k = 0; k < ob; ++k) g[k] = dy + ((b * o + o0 + k) * h + y0) * w;
        for (int64_t ci = 0; ci < c; ++ci) {
            float* out[kWgOb];
            for (int k = 0; k < ob; ++k) out[k] = part + ((o0 + k) * c + ci) * 9;
            const float* bc = band + ci * cs;
            switch (ob) {
                case 3: weight_grad_block<3>(bc, ws, g, w, rows, out); break;
                case 2: weight_grad_block<2>(bc, ws, g, w, rows, out); break;
                default: weight_grad_block<1>(bc, ws, g, w, rows, out); break;
            }
        }
    }
}

// dwt [o, c, 3, 3] = sum over images, rows, columns of dy[b, oc, r, q] * x[b, ci, r + i - 1, q + j - 1]. The batch's
// rows are cut into fixed chunks (image, kWgRows rows), each summed on its own into a partial weight gradient; the
// partials are added in chunk order (in double), so the result does not depend on the thread count.
void weight_grad_avx512(const float* x, const float* dy, float* dwt, int64_t n, int64_t c, int64_t h, int64_t w,
                        int64_t o) {
    const int64_t ws = padded_stride(w), cs = (kWgRows + 2) * ws;
    const int64_t bands = (h + kWgRows - 1) / kWgRows, items = n * bands, size = o * c * 9;
    std::vector<float> parts(items * size);
#pragma omp parallel
    {
        std::vector<float> buf(c * cs + 16);
#pragma omp for schedule(static)
        for (int64_t it = 0; it < items; ++it) {
            const int64_t b = it / bands, y0 = (it % bands) * kWgRows;
            weight_grad_chunk(x, dy, parts.data() + it * size, b, y0, std::min(kWgRows, h - y0), c, h, w, o,
                              buf.data(), ws, cs);
        }
#pragma omp for schedule(static)
        for (int64_t k = 0; k < size; ++k) {
            double acc = 0.0;
            for (int64_t it = 0; it < items; ++it) acc += parts[it * size + k];
            dwt[k] = (float)acc;
        }
    }
}
#endif

int check(const char* op, int dev, int64_t n, int64_t c, int64_t h, int64_t w, int64_t o) {
    return direct_conv_check(op, "3x3", dev, n, c, h, w, o);
}

}  // namespace

}  // namespace dml::cpu

extern "C" {

int dml_conv3x3_supported(void) { return dml::cpu::has_avx512f() ? 1 : 0; }

int dml_conv3x3_forward(int dev, const float* x, const float* wt, const float* bias, float* y, int64_t n, int64_t c,
                        int64_t h, int64_t w, int64_t o) {
    if (int s = dml::cpu::check("conv3x3_forward", dev, n, c, h, w, o)) return s;
#if defined(__x86_64__)
    dml::cpu::forward_avx512(x, wt, bias, y, n, c, h, w, o);
#endif
    return DML_OK;
}

int dml_conv3x3_backward_data(int dev, const float* dy, const float* wt, float* dx, int64_t n, int64_t c, int64_t h,
                              int64_t w, int64_t o) {
    if (int s = dml::cpu::check("conv3x3_backward_data", dev, n, c, h, w, o)) return s;
#if defined(__x86_64__)
    // dx [n, c] = conv3x3(dy [n, o], w'), w'[ci][oc][i][j] = w[oc][ci][2 - i][2 - j].
    std::vector<float> flipped(o * c * 9);
    for (int64_t oc = 0; oc < o; ++oc)
        for (int64_t ci = 0; ci < c; ++ci)
            for (int t = 0; t < 9; ++t) flipped[(ci * o + oc) * 9 + t] = wt[(oc * c + ci) * 9 + 8 - t];
    dml::cpu::forward_avx512(dy, flipped.data(), nullptr, dx, n, o, h, w, c);
#endif
    return DML_OK;
}

int dml_conv3x3_backward_weight(int dev, const float* x, const float* dy, float* dwt, int64_t n, int64_t c,
                                int64_t h, int64_t w, int64_t o) {
    if (int s = dml::cpu::check("conv3x3_backward_weight", dev, n, c, h, w, o)) return s;
#if defined(__x86_64__)
    dml::cpu::weight_grad_avx512(x, dy, dwt, n, c, h, w, o);
#endif
    return DML_OK;
}

}  // extern "C"
