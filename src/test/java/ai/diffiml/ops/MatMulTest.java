package ai.diffiml.ops;

import static ai.diffiml.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.DeviceParity;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MatMulTest {
    /** Element (r, col) of a stored row-major [rows, cols] matrix at offset base, read transposed when asked. */
    private static double get(float[] a, int base, boolean transposed, int rows, int cols, int r, int col) {
        return transposed ? a[base + col * rows + r] : a[base + r * cols + col];
    }

    /** Naive double-precision op(a[i]) @ op(b[i]) for packed batches. */
    private static double[] reference(float[] a, float[] b, int batch, int m, int n, int k, boolean ta, boolean tb) {
        double[] c = new double[batch * m * n];
        for (int i = 0; i < batch; i++) {
            for (int r = 0; r < m; r++) {
                for (int col = 0; col < n; col++) {
                    double s = 0;
                    for (int t = 0; t < k; t++) {
                        s += get(a, i * m * k, ta, m, k, r, t) * get(b, i * k * n, tb, k, n, t, col);
                    }
                    c[(i * m + r) * n + col] = s;
                }
            }
        }
        return c;
    }

    @ParameterizedTest
    @CsvSource({"1, 1, 1", "7, 13, 5", "33, 17, 29", "64, 3, 1"})
    void matmulMatchesDoubleReference(int m, int k, int n) {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(m * 100 + k);
            Tensor a = r.tensor(m, k), b = r.tensor(k, n);
            Tensor c = MatMul.matmul(a, b);
            assertArrayEquals(new int[] {m, n}, c.shape());
            assertClose("matmul", c.toArray(), reference(a.toArray(), b.toArray(), 1, m, n, k, false, false), 1e-5);
        }
    }

    @ParameterizedTest
    @CsvSource({"false, false", "false, true", "true, false", "true, true"})
    void bmmMatchesDoubleReferenceForEveryTranspose(boolean ta, boolean tb) {
        try (Scope s = Scope.open()) {
            int batch = 3, m = 5, k = 7, n = 9;
            Rand r = new Rand(2);
            Tensor a = ta ? r.tensor(batch, k, m) : r.tensor(batch, m, k);
            Tensor b = tb ? r.tensor(batch, n, k) : r.tensor(batch, k, n);
            Tensor c = MatMul.bmm(a, b, ta, tb);
            assertArrayEquals(new int[] {batch, m, n}, c.shape());
            assertClose("bmm " + ta + " " + tb, c.toArray(),
                    reference(a.toArray(), b.toArray(), batch, m, n, k, ta, tb), 1e-5);
        }
    }

    @Test
    void linearMatchesDoubleReferenceOverLeadingDims() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(3);
            int in = 7, out = 5;
            Tensor w = r.tensor(out, in), bias = r.tensor(out);
            float[] wv = w.toArray(), bv = bias.toArray();
            for (int[] shape : new int[][] {{2, 3, in}, {in}, {11, in}}) {
                Tensor x = r.tensor(shape);
                float[] xv = x.toArray();
                int rows = xv.length / in;
                double[] expected = new double[rows * out], noBias = new double[rows * out];
                for (int row = 0; row < rows; row++) {
                    for (int o = 0; o < out; o++) {
                        double acc = 0;
                        for (int i = 0; i < in; i++) {
                            acc += (double) xv[row * in + i] * wv[o * in + i];
                        }
                        noBias[row * out + o] = acc;
                        expected[row * out + o] = acc + bv[o];
                    }
                }
                int[] outShape = shape.clone();
                outShape[outShape.length - 1] = out;
                Tensor y = MatMul.linear(x, w, bias);
                assertArrayEquals(outShape, y.shape());
                assertClose("linear", y.toArray(), expected, 1e-5);
                assertClose("linear without bias", MatMul.linear(x, w, null).toArray(), noBias, 1e-5);
            }
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(4);
            GradCheck gc = new GradCheck();
            gc.check("matmul", in -> MatMul.matmul(in[0], in[1]), r.param(5, 7), r.param(7, 3));
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    Tensor a = ta ? r.param(2, 6, 3) : r.param(2, 3, 6);
                    Tensor b = tb ? r.param(2, 5, 6) : r.param(2, 6, 5);
                    gc.check("bmm " + ta + " " + tb, in -> MatMul.bmm(in[0], in[1], ta, tb), a, b);
                }
            }
            gc.check("linear", in -> MatMul.linear(in[0], in[1], in[2]), r.param(2, 3, 6), r.param(4, 6),
                    r.param(4));
            gc.check("linear without bias", in -> MatMul.linear(in[0], in[1], null), r.param(5, 6), r.param(3, 6));
            // One tensor on both sides: x @ x accumulates both gradients.
            gc.check("matmul(x, x)", in -> MatMul.matmul(in[0], in[0]), r.param(4, 4));
        }
    }

    @Test
    void mismatchedShapesAreRejectedNamingTheOp() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(5);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MatMul.matmul(r.tensor(3, 4), r.tensor(5, 2)));
            assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("[3, 4]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> MatMul.bmm(r.tensor(2, 3, 4), r.tensor(2, 5, 4), false, false));
            assertTrue(e.getMessage().contains("bmm"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> MatMul.linear(r.tensor(2, 5), r.tensor(3, 4), null));
            assertTrue(e.getMessage().contains("linear"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> MatMul.linear(r.tensor(2, 4), r.tensor(3, 4), r.tensor(4)));
            assertTrue(e.getMessage().contains("bias"), e.getMessage());
        }
    }

    @CudaTest
    void cudaMatchesCpuOnOddShapes() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(6);
            DeviceParity.check("matmul", in -> MatMul.matmul(in[0], in[1]), r.param(33, 65), r.param(65, 17));
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    Tensor a = ta ? r.param(3, 19, 13) : r.param(3, 13, 19);
                    Tensor b = tb ? r.param(3, 7, 19) : r.param(3, 19, 7);
                    DeviceParity.check("bmm " + ta + " " + tb, in -> MatMul.bmm(in[0], in[1], ta, tb), a, b);
                }
            }
            DeviceParity.check("linear", in -> MatMul.linear(in[0], in[1], in[2]), r.param(3, 11, 37),
                    r.param(23, 37), r.param(23));
        }
    }
}
