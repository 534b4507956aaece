package ai.diffiml.ops;

import ai.diffiml.backend.Backends;
import ai.diffiml.backend.Blas;
import ai.diffiml.backend.Device;
import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.ElementwiseKernels;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;

/**
 * What {@link MatMul} and {@link Conv} share: GEMM over packed row-major matrices, writing a bias broadcast as a
 * rank-1 GEMM (so the product that follows can accumulate onto it with beta = 1), and the bias gradient, which is
 * the ADD reduction of {@code dml_binary_backward}.
 */
final class Gemm {
    private Gemm() {}

    /** Byte address of float element {@code offset} of {@code t}. */
    static long at(Tensor t, long offset) {
        return t.address() + 4L * offset;
    }

    /**
     * {@code C[i] = op(A[i]) op(B[i]) + beta * C[i]} for {@code batch} packed matrices: A[i] is [m, k] ([k, m] when
     * {@code ta}), B[i] is [k, n] ([n, k] when {@code tb}), C[i] is [m, n]; matrices follow each other without gaps.
     */
    static void packed(Device device, boolean ta, boolean tb, int m, int n, int k, long a, long b, float beta, long c,
            int batch) {
        Blas blas = Backends.blas(device);
        int lda = ta ? m : k, ldb = tb ? k : n;
        if (batch == 1) {
            blas.gemm(ta, tb, m, n, k, 1f, a, lda, b, ldb, beta, c, n);
        } else {
            blas.gemmBatched(ta, tb, m, n, k, 1f, a, lda, (long) m * k, b, ldb, (long) k * n, beta, c, n,
                    (long) m * n, batch);
        }
    }

    /**
     * Writes {@code y[o, j, i] = bias[j]} for y viewed as [outer, mid, inner] (at byte address {@code y}): one
     * GEMM of a column of ones by the bias row when inner is 1 (token features), else per outer index the bias
     * column by a row of ones (channels of NCHW).
     */
    static void broadcastBias(Tensor bias, long y, int outer, int mid, int inner) {
        Device device = bias.device();
        Blas blas = Backends.blas(device);
        if (inner == 1) {
            long ones = Workspace.ones(device, outer).address();
            blas.gemm(false, false, outer, mid, 1, 1f, ones, 1, bias.address(), mid, 0f, y, mid);
        } else {
            long ones = Workspace.ones(device, inner).address();
            blas.gemmBatched(false, false, mid, inner, 1, 1f, bias.address(), 1, 0, ones, inner, 0, 0f, y, inner,
                    (long) mid * inner, outer);
        }
    }

    /** The gradient of a bias broadcast as in {@link #broadcastBias}: dy summed over outer and inner. */
    static Tensor biasGrad(Tensor bias, Tensor dy, long outer, long mid, long inner, String what) {
        Tensor db = Tensor.empty(bias.device(), bias.shape());
        Native.check(ElementwiseKernels.dml_binary_backward(bias.device().code, ElementwiseKernels.ADD, 0,
                bias.address(), dy.address(), 0, db.address(), outer, mid, inner), what + " bias gradient");
        return db;
    }

    /** Rejects empty dimensions (BLAS and the kernels' launch geometry assume every size is at least 1). */
    static void requireNonEmpty(String op, Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && t.numel() == 0) {
                throw new IllegalArgumentException(op + ": empty tensor " + Shapes.str(t.shape()) + " not supported");
            }
        }
    }
}
