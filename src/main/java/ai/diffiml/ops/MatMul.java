package ai.diffiml.ops;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;
import java.util.Arrays;

/**
 * Matrix products on BLAS ({@code Backends.blas(device)}: OpenBLAS on CPU, cuBLAS on CUDA), row-major, float32:
 * {@link #matmul}, the batched {@link #bmm} with optional transposes, and {@link #linear} with PyTorch's weight
 * layout. Every backward is two GEMMs (plus the bias reduction for linear).
 */
public final class MatMul {
    private MatMul() {}

    /** {@code a [m, k] @ b [k, n] -> [m, n]}. */
    public static Tensor matmul(Tensor a, Tensor b) {
        Shapes.requireRank("matmul", a, 2);
        Shapes.requireRank("matmul", b, 2);
        if (a.dim(1) != b.dim(0)) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: " + Shapes.str(a.shape()) + " @ "
                    + Shapes.str(b.shape()));
        }
        return product("matmul", a, b, null, 1, a.dim(0), b.dim(1), a.dim(1), false, false,
                new int[] {a.dim(0), b.dim(1)});
    }

    /** {@link #bmm(Tensor, Tensor, boolean, boolean)} without transposes: [B, m, k] @ [B, k, n] -> [B, m, n]. */
    public static Tensor bmm(Tensor a, Tensor b) {
        return bmm(a, b, false, false);
    }

    /**
     * Batched product {@code op(a[i]) @ op(b[i])} for i in [0, B): op(a[i]) is [m, k] (a is [B, m, k], or
     * [B, k, m] when {@code transA}), op(b[i]) is [k, n] (b is [B, k, n], or [B, n, k] when {@code transB}); the
     * result is [B, m, n]. E.g. attention scores are {@code bmm(q, k, false, true)}.
     */
    public static Tensor bmm(Tensor a, Tensor b, boolean transA, boolean transB) {
        Shapes.requireRank("bmm", a, 3);
        Shapes.requireRank("bmm", b, 3);
        int m = a.dim(transA ? 2 : 1), k = a.dim(transA ? 1 : 2);
        int kb = b.dim(transB ? 2 : 1), n = b.dim(transB ? 1 : 2);
        if (a.dim(0) != b.dim(0) || k != kb) {
            throw new IllegalArgumentException("bmm: cannot multiply " + Shapes.str(a.shape()) + (transA ? "^T" : "")
                    + " by " + Shapes.str(b.shape()) + (transB ? "^T" : "")
                    + " (batch sizes and inner dimensions must agree)");
        }
        return product("bmm", a, b, null, a.dim(0), m, n, k, transA, transB, new int[] {a.dim(0), m, n});
    }

    /**
     * {@code x [..., in] @ w^T + bias -> [..., out]} with w [out, in] (PyTorch's nn.Linear layout) and bias [out]
     * or null. Any number of leading dimensions (none included) is flattened into rows.
     */
    public static Tensor linear(Tensor x, Tensor w, Tensor bias) {
        Shapes.requireRank("linear weight", w, 2);
        int[] xs = x.shape();
        if (xs.length < 1 || xs[xs.length - 1] != w.dim(1)) {
            throw new IllegalArgumentException("linear: input " + Shapes.str(xs) + " does not end in the weight's "
                    + w.dim(1) + " input features (weight " + Shapes.str(w.shape()) + ")");
        }
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != w.dim(0))) {
            throw new IllegalArgumentException("linear: bias " + Shapes.str(bias.shape()) + " does not match weight "
                    + Shapes.str(w.shape()));
        }
        int[] out = Arrays.copyOf(xs, xs.length);
        out[out.length - 1] = w.dim(0);
        int rows = Math.toIntExact(Shapes.prod(xs, 0, xs.length - 1));
        return product("linear", x, w, bias, 1, rows, w.dim(0), w.dim(1), false, true, out);
    }

    /**
     * {@code c = op(a) op(b) (+ bias along the last axis)} for {@code batch} packed matrices, recorded with its
     * backward: d op(a) = dc op(b)^T and d op(b) = op(a)^T dc, each written as one GEMM on the stored layout.
     */
    private static Tensor product(String name, Tensor a, Tensor b, Tensor bias, int batch, int m, int n, int k,
            boolean ta, boolean tb, int[] outShape) {
        Shapes.requireSameDevice(name, a, b, bias);
        Gemm.requireNonEmpty(name, a, b, bias);
        Device dev = a.device();
        String what = name + " " + a.describe() + ", " + b.describe() + (bias != null ? ", " + bias.describe() : "");
        Tensor c = Tensor.empty(dev, outShape);
        if (bias != null) {
            Gemm.broadcastBias(bias, c.address(), batch * m, n, 1);
        }
        Gemm.packed(dev, ta, tb, m, n, k, a.address(), b.address(), bias != null ? 1f : 0f, c.address(), batch);
        if (Tape.wants(a, b, bias)) {
            Tape.record(name, c, new Tensor[] {a, b, bias}, (dc, grads) -> {
                if (grads.needs(0)) {
                    Tensor da = Tensor.empty(dev, a.shape());
                    if (!ta) { // da [m, k] = dc op(b)^T
                        Gemm.packed(dev, false, !tb, m, k, n, dc.address(), b.address(), 0f, da.address(), batch);
                    } else { // da [k, m] = op(b) dc^T
                        Gemm.packed(dev, tb, true, k, m, n, b.address(), dc.address(), 0f, da.address(), batch);
                    }
                    grads.add(0, da);
                }
                if (grads.needs(1)) {
                    Tensor db = Tensor.empty(dev, b.shape());
                    if (!tb) { // db [k, n] = op(a)^T dc
                        Gemm.packed(dev, !ta, false, k, n, m, a.address(), dc.address(), 0f, db.address(), batch);
                    } else { // db [n, k] = dc^T op(a)
                        Gemm.packed(dev, true, ta, n, k, m, dc.address(), a.address(), 0f, db.address(), batch);
                    }
                    grads.add(1, db);
                }
                if (grads.needs(2)) {
                    grads.add(2, Gemm.biasGrad(bias, dc, (long) batch * m, n, 1, what));
                }
            });
        }
        return c;
    }
}
