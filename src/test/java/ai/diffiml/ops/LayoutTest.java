package ai.diffiml.ops;

import static ai.diffiml.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.ShapeKernels;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.DeviceParity;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;

class LayoutTest {
    @Test
    void reshapeIsAViewAndInfersTheMinusOneDimension() {
        try (Scope s = Scope.open()) {
            Tensor x = new Rand(1).tensor(2, 3, 5);
            Tensor y = Layout.reshape(x, 5, -1);
            assertArrayEquals(new int[] {5, 6}, y.shape());
            assertEquals(x.address(), y.address(), "reshape must share memory");
            assertArrayEquals(x.toArray(), y.toArray());
            assertArrayEquals(new int[] {30}, Layout.reshape(x, -1).shape());
            assertArrayEquals(new int[] {1, 2, 15}, Layout.reshape(x, 1, 2, -1).shape());
        }
    }

    @Test
    void flipReversesOneAxisAndIsItsOwnGradient() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(12);
            int n = 2, c = 3, h = 5, w = 7;
            Tensor x = r.param(n, c, h, w);
            float[] xv = x.toArray();
            for (int axis = 0; axis < 4; axis++) {
                int[] dims = {n, c, h, w};
                double[] expected = new double[xv.length];
                for (int i = 0; i < xv.length; i++) {
                    int[] idx = {i / (c * h * w), (i / (h * w)) % c, (i / w) % h, i % w};
                    idx[axis] = dims[axis] - 1 - idx[axis];
                    expected[i] = xv[((idx[0] * c + idx[1]) * h + idx[2]) * w + idx[3]];
                }
                assertClose("flip axis " + axis, Layout.flip(x, axis).toArray(), expected, 0);
            }
            ai.diffiml.autograd.Tape.clear();
            assertArrayEquals(xv, Layout.flip(Layout.flip(x, -1), 3).toArray());
            ai.diffiml.autograd.Tape.clear();
            new GradCheck().check("flip", in -> Layout.flip(in[0], 3), x);
        }
    }

    /**
     * Every permutation of shapes past one 16 x 16 tile and its edges (the CPU's tiled transpose path takes those
     * whose last output axis is strided and another reads x contiguously), exactly against the index reference.
     */
    @Test
    void everyPermutationOfTileSizedShapesMatchesIndexReference() {
        int[][] shapes = {{41, 40}, {3, 33, 50}, {2, 37, 5, 19}, {1, 16, 32, 17}};
        Rand r = new Rand(12);
        for (int[] shape : shapes) {
            for (int[] perm : permutations(shape.length)) {
                try (Scope s = Scope.open()) {
                    Tensor x = r.tensor(shape);
                    assertArrayEquals(permuteReference(x.toArray(), shape, perm), Layout.permute(x, perm).toArray(),
                            "permute " + Shapes.str(shape) + " by " + Shapes.str(perm));
                }
            }
        }
    }

    /** Independent reference: every x element scattered to its coordinates in y. */
    private static float[] permuteReference(float[] xv, int[] shape, int[] perm) {
        int[] ys = new int[shape.length];
        for (int j = 0; j < ys.length; j++) {
            ys[j] = shape[perm[j]];
        }
        float[] expected = new float[xv.length];
        for (int i = 0; i < xv.length; i++) {
            int[] c = unravel(i, shape);
            int[] oc = new int[c.length];
            for (int j = 0; j < c.length; j++) {
                oc[j] = c[perm[j]];
            }
            expected[ravel(oc, ys)] = xv[i];
        }
        return expected;
    }

    private static java.util.List<int[]> permutations(int n) {
        java.util.List<int[]> out = new java.util.ArrayList<>();
        permute(new int[n], new boolean[n], 0, out);
        return out;
    }

    private static void permute(int[] cur, boolean[] used, int k, java.util.List<int[]> out) {
        if (k == cur.length) {
            out.add(cur.clone());
            return;
        }
        for (int i = 0; i < cur.length; i++) {
            if (!used[i]) {
                used[i] = true;
                cur[k] = i;
                permute(cur, used, k + 1, out);
                used[i] = false;
            }
        }
    }

    @Test
    void permuteMatchesIndexReferenceUpToRankSix() {
        int[][] shapes = {{7}, {3, 5}, {2, 3, 7}, {3, 1, 5, 2}, {2, 3, 2, 5, 3}, {2, 3, 1, 2, 3, 5}};
        Rand r = new Rand(2);
        for (int[] shape : shapes) {
            for (int trial = 0; trial < 3; trial++) {
                int[] perm = randomPermutation(r, shape.length);
                try (Scope s = Scope.open()) {
                    Tensor x = r.tensor(shape);
                    Tensor y = Layout.permute(x, perm);
                    int[] ys = new int[shape.length];
                    for (int j = 0; j < ys.length; j++) {
                        ys[j] = shape[perm[j]];
                    }
                    assertArrayEquals(ys, y.shape(), "permuted shape");
                    assertArrayEquals(permuteReference(x.toArray(), shape, perm), y.toArray(),
                            "permute " + Shapes.str(shape) + " by " + Shapes.str(perm));
                }
            }
        }
    }

    @Test
    void transposeSwapsTwoAxes() {
        try (Scope s = Scope.open()) {
            Tensor x = new Rand(3).tensor(3, 4, 5);
            Tensor y = Layout.transpose(x, 0, -1);
            assertArrayEquals(new int[] {5, 4, 3}, y.shape());
            float[] xv = x.toArray(), yv = y.toArray();
            for (int a = 0; a < 3; a++) {
                for (int b = 0; b < 4; b++) {
                    for (int c = 0; c < 5; c++) {
                        assertEquals(xv[(a * 4 + b) * 5 + c], yv[(c * 4 + b) * 3 + a]);
                    }
                }
            }
        }
    }

    @Test
    void concatSliceAndSplitMatchIndexReference() {
        Rand r = new Rand(4);
        int[] base = {3, 5, 7};
        for (int axis = 0; axis < 3; axis++) {
            try (Scope s = Scope.open()) {
                int[] lens = {2, 1, 4};
                Tensor[] parts = new Tensor[lens.length];
                for (int k = 0; k < lens.length; k++) {
                    int[] shape = base.clone();
                    shape[axis] = lens[k];
                    parts[k] = r.tensor(shape);
                }
                Tensor y = Layout.concat(axis - 3, parts); // negative axis counts from the end
                int[] ys = base.clone();
                ys[axis] = 7;
                assertArrayEquals(ys, y.shape());
                double[] expected = new double[Math.toIntExact(y.numel())];
                int offset = 0;
                for (Tensor part : parts) {
                    float[] pv = part.toArray();
                    for (int i = 0; i < pv.length; i++) {
                        int[] c = unravel(i, part.shape());
                        c[axis] += offset;
                        expected[ravel(c, ys)] = pv[i];
                    }
                    offset += part.dim(axis);
                }
                assertClose("concat axis " + axis, y.toArray(), expected, 0);

                Tensor sl = Layout.slice(y, axis, 2, 4);
                int[] ss = ys.clone();
                ss[axis] = 4;
                double[] slExpected = new double[Math.toIntExact(sl.numel())];
                float[] yv = y.toArray();
                for (int i = 0; i < slExpected.length; i++) {
                    int[] c = unravel(i, ss);
                    c[axis] += 2;
                    slExpected[i] = yv[ravel(c, ys)];
                }
                assertArrayEquals(ss, sl.shape());
                assertClose("slice axis " + axis, sl.toArray(), slExpected, 0);

                Tensor[] pieces = Layout.split(y, axis, lens);
                for (int k = 0; k < lens.length; k++) {
                    assertArrayEquals(parts[k].toArray(), pieces[k].toArray(), "split piece " + k + " axis " + axis);
                }
            }
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(5);
            GradCheck gc = new GradCheck();
            Tensor x = r.param(3, 4, 5);
            Tensor x4 = r.param(2, 3, 4, 5);
            Tensor a = r.param(3, 2, 5), b = r.param(3, 1, 5), c = r.param(3, 3, 5);
            gc.check("reshape", in -> Layout.reshape(in[0], 5, -1), x);
            gc.check("permute", in -> Layout.permute(in[0], 2, 0, 3, 1), x4);
            gc.check("transpose", in -> Layout.transpose(in[0], 1, 2), x);
            gc.check("concat", in -> Layout.concat(1, in[0], in[1], in[2]), a, b, c);
            gc.check("slice", in -> Layout.slice(in[0], 2, 1, 3), x);
            gc.check("split piece", in -> Layout.split(in[0], 1, 1, 2, 1)[1], x);
            // Every piece feeds the output: the slice gradients must add up to the whole.
            gc.check("split then concat reversed", in -> {
                Tensor[] p = Layout.split(in[0], 2, 2, 3);
                return Layout.concat(2, p[1], p[0]);
            }, x);
            // One tensor given twice to concat: both blocks' gradients add into it.
            gc.check("concat(x, x)", in -> Layout.concat(0, in[0], in[0]), a);
        }
    }

    @Test
    void rejectsInvalidArgumentsWithClearErrors() {
        try (Scope s = Scope.open()) {
            Tensor x = new Rand(6).tensor(2, 3, 4);
            assertThrows(IllegalArgumentException.class, () -> Layout.reshape(x, -1, -1));
            assertThrows(IllegalArgumentException.class, () -> Layout.reshape(x, 5, -1));
            assertThrows(IllegalArgumentException.class, () -> Layout.reshape(x, 2, 3));
            assertThrows(IllegalArgumentException.class, () -> Layout.permute(x, 0, 0, 1));
            assertThrows(IllegalArgumentException.class, () -> Layout.permute(x, 0, 1));
            assertThrows(IllegalArgumentException.class, () -> Layout.permute(new Rand(7).tensor(1, 1, 1, 1, 1, 1, 2),
                    6, 5, 4, 3, 2, 1, 0));
            assertThrows(IllegalArgumentException.class, () -> Layout.slice(x, 1, 2, 2));
            assertThrows(IllegalArgumentException.class, () -> Layout.slice(x, 3, 0, 1));
            assertThrows(IllegalArgumentException.class, () -> Layout.split(x, 2, 1, 2));
            assertThrows(IllegalArgumentException.class, () -> Layout.concat(1, x, new Rand(8).tensor(2, 3, 5)));
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> Layout.concat(0, x, new Rand(8).tensor(2, 3)));
            assertTrue(e.getMessage().contains("concat"), e.getMessage());
        }
    }

    @Test
    void nativeEntryPointsRejectBadSizesWithMessagesNamingTheKernel() {
        try (Scope s = Scope.open()) {
            Tensor a = new Rand(10).tensor(2, 3);
            // A block of 2 starting at 2 does not fit an axis of 3.
            assertNotEquals(0, ShapeKernels.dml_copy_block(0, a.address(), 3, 2, a.address(), 3, 0, 2, 2, 1));
            assertTrue(Native.lastError().contains("copy_block"), Native.lastError());
            assertNotEquals(0, ShapeKernels.dml_permute(0, a.address(), a.address(), 2, new long[] {2, 3},
                    new long[] {0, 0}));
            assertTrue(Native.lastError().contains("permute"), Native.lastError());
            assertNotEquals(0, ShapeKernels.dml_sum_axis(0, a.address(), a.address(), 2, -1, 3, 1.0));
            assertTrue(Native.lastError().contains("sum_axis"), Native.lastError());
        }
    }

    @CudaTest
    void cudaMatchesCpuOnOddShapes() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(9);
            Tensor x5 = r.param(3, 5, 7, 2, 9);
            Tensor a = r.param(3, 17, 31), b = r.param(3, 5, 31);
            DeviceParity.check("permute rank 5", 0, in -> Layout.permute(in[0], 4, 2, 0, 3, 1), x5);
            DeviceParity.check("transpose", 0, in -> Layout.transpose(in[0], 1, 2), a);
            DeviceParity.check("flip", 0, in -> Layout.flip(in[0], 2), a);
            DeviceParity.check("reshape", 0, in -> Layout.reshape(in[0], 31, -1), a);
            DeviceParity.check("concat", 0, in -> Layout.concat(1, in[0], in[1], in[0]), a, b);
            DeviceParity.check("slice", 0, in -> Layout.slice(in[0], 2, 3, 19), a);
            DeviceParity.check("split", 0, in -> {
                Tensor[] p = Layout.split(in[0], 1, 4, 9, 4);
                return Layout.concat(1, p[2], p[0]);
            }, a);
        }
    }

    static int[] randomPermutation(Rand r, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(0, i);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    static int[] unravel(int index, int[] shape) {
        int[] c = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            c[d] = index % shape[d];
            index /= shape[d];
        }
        return c;
    }

    static int ravel(int[] coords, int[] shape) {
        int index = 0;
        for (int d = 0; d < shape.length; d++) {
            index = index * shape[d] + coords[d];
        }
        return index;
    }
}
