// CPU reference of the elementwise ops (activations, broadcast add/mul, scale, accumulate, fill),
// and the C API entry points that dispatch them to CPU or CUDA.
#include <algorithm>
#include <cmath>
#include "core/dispatch.h"

namespace dml::cpu {

namespace {
constexpr float kInvSqrt2 = 0.70710678118654752440f;
constexpr float kInvSqrt2Pi = 0.39894228040143267794f;

inline float unary(int op, float x) {
    switch (op) {
        case DML_RELU: return x > 0.f ? x : 0.f;
        case DML_SILU: return x / (1.f + std::exp(-x));
        case DML_GELU: return 0.5f * x * (1.f + std::erf(x * kInvSqrt2));
        case DML_SIGMOID: return 1.f / (1.f + std::exp(-x));
        case DML_LOG1P: return std::log1p(x);
        case DML_LOG_SIGMOID: return std::fmin(x, 0.f) - std::log1p(std::exp(-std::fabs(x)));
        default: return std::tanh(x);
    }
}

inline float unary_grad(int op, float x, float y) {
    switch (op) {
        case DML_RELU: return x > 0.f ? 1.f : 0.f;
        case DML_SILU: {
            float s = 1.f / (1.f + std::exp(-x));
            return s * (1.f + x * (1.f - s));
        }
        case DML_GELU: return 0.5f * (1.f + std::erf(x * kInvSqrt2)) + x * kInvSqrt2Pi * std::exp(-0.5f * x * x);
        case DML_SIGMOID: return y * (1.f - y);
        case DML_LOG1P: return 1.f / (1.f + x);
        case DML_LOG_SIGMOID: return 1.f / (1.f + std::exp(x));  // 1 - sigmoid(x) = sigmoid(-x)
        default: return 1.f - y * y;
    }
}

}  // namespace

// activations_avx512.cpp: the vectorised GELU and SiLU; false where the CPU lacks AVX-512 (the loops below run then).
bool gelu_avx512_forward(const float* x, float* y, int64_t n);
bool gelu_avx512_backward(const float* x, const float* dy, float* dx, int64_t n);
bool silu_avx512_forward(const float* x, float* y, int64_t n);
bool silu_avx512_backward(const float* x, const float* dy, float* dx, int64_t n);

// The op is a template argument so that each loop is compiled for one op (ReLU's vectorises; the switch per
// element of a runtime op kept every loop scalar).
template <int OP>
void unary_loop(const float* x, float* y, int64_t n) {
#pragma omp parallel for schedule(static) if (n > 32768)
    for (int64_t i = 0; i < n; ++i) y[i] = unary(OP, x[i]);
}

template <int OP>
void unary_grad_loop(const float* x, const float* y, const float* dy, float* dx, int64_t n) {
#pragma omp parallel for schedule(static) if (n > 32768)
    for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * unary_grad(OP, x[i], y[i]);
}

int unary_forward(int op, const float* x, float* y, int64_t n) {
    switch (op) {
        case DML_RELU: unary_loop<DML_RELU>(x, y, n); break;
        case DML_SILU:
            if (!silu_avx512_forward(x, y, n)) unary_loop<DML_SILU>(x, y, n);
            break;
        case DML_GELU:
            if (!gelu_avx512_forward(x, y, n)) unary_loop<DML_GELU>(x, y, n);
            break;
        case DML_SIGMOID: unary_loop<DML_SIGMOID>(x, y, n); break;
        case DML_LOG1P: unary_loop<DML_LOG1P>(x, y, n); break;
        case DML_LOG_SIGMOID: unary_loop<DML_LOG_SIGMOID>(x, y, n); break;
        case DML_TANH: unary_loop<DML_TANH>(x, y, n); break;
        default: return fail(DML_ERR_ARGUMENT, "unary_forward: unknown op %d", op);
    }
    return DML_OK;
}

int unary_backward(int op, const float* x, const float* y, const float* dy, float* dx, int64_t n) {
    switch (op) {
        case DML_RELU: unary_grad_loop<DML_RELU>(x, y, dy, dx, n); break;
        case DML_SILU:
            if (!silu_avx512_backward(x, dy, dx, n)) unary_grad_loop<DML_SILU>(x, y, dy, dx, n);
            break;
        case DML_GELU:
            if (!gelu_avx512_backward(x, dy, dx, n)) unary_grad_loop<DML_GELU>(x, y, dy, dx, n);
            break;
        case DML_SIGMOID: unary_grad_loop<DML_SIGMOID>(x, y, dy, dx, n); break;
        case DML_LOG1P: unary_grad_loop<DML_LOG1P>(x, y, dy, dx, n); break;
        case DML_LOG_SIGMOID: unary_grad_loop<DML_LOG_SIGMOID>(x, y, dy, dx, n); break;
        case DML_TANH: unary_grad_loop<DML_TANH>(x, y, dy, dx, n); break;
        default: return fail(DML_ERR_ARGUMENT, "unary_backward: unknown op %d", op);
    }
    return DML_OK;
}

namespace {
// With inner = 1 (same-shape operands: outer = 1; a last-axis broadcast: v along each row of mid), the row loops
// below would run one element per row (and one modulo): body(o, m0, m1) over tiles of one row instead, so that
// the loop over m vectorises.
template <typename Body>
void for_row_tiles(int64_t outer, int64_t mid, Body body) {
    constexpr int64_t kTile = 4096;
    const int64_t tiles = (mid + kTile - 1) / kTile, items = outer * tiles;
#pragma omp parallel for schedule(static) if (outer * mid > 32768)
    for (int64_t it = 0; it < items; ++it) {
        const int64_t o = it / tiles, m0 = it % tiles * kTile;
        body(o, m0, std::min(mid, m0 + kTile));
    }
}
}  // namespace

int binary_forward(int op, const float* x, const float* v, float* y, int64_t outer, int64_t mid, int64_t inner) {
    if (op < DML_ADD || op > DML_MAX) return fail(DML_ERR_ARGUMENT, "binary_forward: unknown op %d", op);
    if (inner == 1) {
        for_row_tiles(outer, mid, [&](int64_t o, int64_t m0, int64_t m1) {
            const float* xr = x + o * mid;
            float* yr = y + o * mid;
            if (op == DML_ADD)
                for (int64_t m = m0; m < m1; ++m) yr[m] = xr[m] + v[m];
            else if (op == DML_MUL)
                for (int64_t m = m0; m < m1; ++m) yr[m] = xr[m] * v[m];
            else
                for (int64_t m = m0; m < m1; ++m) yr[m] = xr[m] >= v[m] ? xr[m] : v[m];
        });
        return DML_OK;
    }
    const int64_t rows = outer * mid;
#pragma omp parallel for schedule(static) if (rows * inner > 32768)
    for (int64_t r = 0; r < rows; ++r) {
        const float b = v[r % mid];
        const float* xr = x + r * inner;
        float* yr = y + r * inner;
        if (op == DML_ADD)
            for (int64_t i = 0; i < inner; ++i) yr[i] = xr[i] + b;
        else if (op == DML_MUL)
            for (int64_t i = 0; i < inner; ++i) yr[i] = xr[i] * b;
        else
            for (int64_t i = 0; i < inner; ++i) yr[i] = xr[i] >= b ? xr[i] : b;
    }
    return DML_OK;
}

int binary_backward(int op, const float* x, const float* v, const float* dy, float* dx, float* dv, int64_t outer,
                    int64_t mid, int64_t inner) {
    if (op < DML_ADD || op > DML_MAX) return fail(DML_ERR_ARGUMENT, "binary_backward: unknown op %d", op);
    const int64_t rows = outer * mid;
    if (inner == 1 && (dx || (dv && outer == 1))) {
        // dx, and dv where each of its elements has one term (outer = 1; the float product or the term itself
        // is what the double sum below rounds back to).
        float* dvo = outer == 1 ? dv : nullptr;
        for_row_tiles(outer, mid, [&](int64_t o, int64_t m0, int64_t m1) {
            const float* g = dy + o * mid;
            const float* xr = x + o * mid;
            float* d = dx ? dx + o * mid : nullptr;
            if (op == DML_ADD) {
                if (d) std::copy(g + m0, g + m1, d + m0);
                if (dvo) std::copy(g + m0, g + m1, dvo + m0);
            } else if (op == DML_MUL) {
                if (d)
                    for (int64_t m = m0; m < m1; ++m) d[m] = g[m] * v[m];
                if (dvo)
                    for (int64_t m = m0; m < m1; ++m) dvo[m] = g[m] * xr[m];
            } else {
                if (d)
                    for (int64_t m = m0; m < m1; ++m) d[m] = xr[m] >= v[m] ? g[m] : 0.f;
                if (dvo)
                    for (int64_t m = m0; m < m1; ++m) dvo[m] = xr[m] >= v[m] ? 0.f : g[m];
            }
        });
        if (outer == 1) return DML_OK;
        dx = nullptr;  // done; dv (outer > 1) is summed below
    }
    if (dx) {
#pragma omp parallel for schedule(static) if (rows * inner > 32768)
        for (int64_t r = 0; r < rows; ++r) {
            const float* g = dy + r * inner;
            float* d = dx + r * inner;
            const float* xr = x + r * inner;
            const float b = v[r % mid];
            if (op == DML_ADD)
                for (int64_t i = 0; i < inner; ++i) d[i] = g[i];
            else if (op == DML_MUL)
                for (int64_t i = 0; i < inner; ++i) d[i] = g[i] * b;
            else
                for (int64_t i = 0; i < inner; ++i) d[i] = xr[i] >= b ? g[i] : 0.f;
        }
    }
    if (dv) {
        // One output per mid index, summed in double: outer*inner terms can be millions.
#pragma omp parallel for schedule(static) if (rows * inner > 32768)
        for (int64_t m = 0; m < mid; ++m) {
            double acc = 0.0;
            for (int64_t o = 0; o < outer; ++o) {
                const int64_t base = (o * mid + m) * inner;
                if (op == DML_ADD) {
#pragma omp simd reduction(+ : acc)
                    for (int64_t i = 0; i < inner; ++i) acc += dy[base + i];
                } else if (op == DML_MUL) {
#pragma omp simd reduction(+ : acc)
                    for (int64_t i = 0; i < inner; ++i) acc += (double)dy[base + i] * x[base + i];
                } else {
                    for (int64_t i = 0; i < inner; ++i) acc += x[base + i] >= v[m] ? 0.0 : (double)dy[base + i];
                }
            }
            dv[m] = (float)acc;
        }
    }
    return DML_OK;
}

int scale(const float* x, float* y, int64_t n, float alpha) {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; ++i) y[i] = alpha * x[i];
    return DML_OK;
}

int accumulate(const float* x, float* y, int64_t n, float alpha) {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
    return DML_OK;
}

int fill(float* x, int64_t n, float value) {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; ++i) x[i] = value;
    return DML_OK;
}

}  // namespace dml::cpu

extern "C" {

int dml_unary_forward(int dev, int op, const float* x, float* y, int64_t n) {
    DML_DISPATCH(unary_forward, op, x, y, n);
}
int dml_unary_backward(int dev, int op, const float* x, const float* y, const float* dy, float* dx, int64_t n) {
    DML_DISPATCH(unary_backward, op, x, y, dy, dx, n);
}
int dml_binary_forward(int dev, int op, const float* x, const float* v, float* y, int64_t outer, int64_t mid,
                       int64_t inner) {
    DML_DISPATCH(binary_forward, op, x, v, y, outer, mid, inner);
}
int dml_binary_backward(int dev, int op, const float* x, const float* v, const float* dy, float* dx, float* dv,
                        int64_t outer, int64_t mid, int64_t inner) {
    DML_DISPATCH(binary_backward, op, x, v, dy, dx, dv, outer, mid, inner);
}
int dml_scale(int dev, const float* x, float* y, int64_t n, float alpha) { DML_DISPATCH(scale, x, y, n, alpha); }
int dml_accumulate(int dev, const float* x, float* y, int64_t n, float alpha) {
    DML_DISPATCH(accumulate, x, y, n, alpha);
}
int dml_fill(int dev, float* x, int64_t n, float value) { DML_DISPATCH(fill, x, n, value); }

}  // extern "C"
