package ai.diffiml.ops;

import static ai.diffiml.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.DeviceParity;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;

class ReduceTest {
    @Test
    void sumAndMeanOfAllElementsMatchDoubleReference() {
        Rand r = new Rand(1);
        // The large one (all values positive, so no cancellation) exposes float accumulation: its error would be
        // around 1e-5 relative, far above the tolerance.
        int[][] shapes = {{7}, {3, 5, 7}, {2, 3, 5, 9}, {1, 300_007}};
        for (int[] shape : shapes) {
            try (Scope s = Scope.open()) {
                Tensor x = r.tensorIn(0.5, 1.5, shape);
                double sum = 0;
                for (float v : x.toArray()) {
                    sum += v;
                }
                Tensor total = Reduce.sum(x), mean = Reduce.mean(x);
                assertArrayEquals(new int[] {1}, total.shape());
                assertArrayEquals(new int[] {1}, mean.shape());
                assertClose("sum " + java.util.Arrays.toString(shape), total.toArray(), new double[] {sum}, 1e-7);
                assertClose("mean " + java.util.Arrays.toString(shape), mean.toArray(),
                        new double[] {sum / x.numel()}, 1e-7);
            }
        }
    }

    @Test
    void sumAndMeanAlongEachAxisMatchDoubleReference() {
        Rand r = new Rand(2);
        // Odd sizes; {3, 9, 131} has more than one block of 64 columns; {70_001} is one long axis.
        int[][] shapes = {{4, 5, 6, 3}, {3, 9, 131}, {70_001}, {2, 40_003}};
        for (int[] shape : shapes) {
            for (int axis = 0; axis < shape.length; axis++) {
                try (Scope s = Scope.open()) {
                    Tensor x = r.tensor(shape);
                    float[] xv = x.toArray();
                    int outer = 1, inner = 1, len = shape[axis];
                    for (int d = 0; d < axis; d++) {
                        outer *= shape[d];
                    }
                    for (int d = axis + 1; d < shape.length; d++) {
                        inner *= shape[d];
                    }
                    double[] sum = new double[outer * inner], mean = new double[outer * inner];
                    for (int o = 0; o < outer; o++) {
                        for (int k = 0; k < len; k++) {
                            for (int i = 0; i < inner; i++) {
                                sum[o * inner + i] += xv[(o * len + k) * inner + i];
                            }
                        }
                    }
                    for (int j = 0; j < sum.length; j++) {
                        mean[j] = sum[j] / len;
                    }
                    int[] expectedShape = removeAxis(shape, axis);
                    // A negative axis names the same one.
                    Tensor ys = Reduce.sum(x, axis - shape.length), ym = Reduce.mean(x, axis);
                    String what = java.util.Arrays.toString(shape) + " axis " + axis;
                    assertArrayEquals(expectedShape, ys.shape(), "sum shape " + what);
                    assertArrayEquals(expectedShape, ym.shape(), "mean shape " + what);
                    assertClose("sum " + what, ys.toArray(), sum, 1e-6);
                    assertClose("mean " + what, ym.toArray(), mean, 1e-6);
                }
            }
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(3);
            GradCheck gc = new GradCheck();
            Tensor x = r.param(3, 4, 5);
            gc.check("sum", in -> Reduce.sum(in[0]), x);
            gc.check("mean", in -> Reduce.mean(in[0]), x);
            for (int axis = 0; axis < 3; axis++) {
                int a = axis;
                gc.check("sum axis " + a, in -> Reduce.sum(in[0], a), x);
                gc.check("mean axis " + a, in -> Reduce.mean(in[0], a), x);
            }
        }
    }

    @Test
    void rejectsBadAxes() {
        try (Scope s = Scope.open()) {
            Tensor x = new Rand(4).tensor(2, 3);
            assertThrows(IllegalArgumentException.class, () -> Reduce.sum(x, 2));
            assertThrows(IllegalArgumentException.class, () -> Reduce.mean(x, -3));
        }
    }

    @CudaTest
    void cudaMatchesCpuOnOddShapes() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(5);
            Tensor many = r.param(3, 5, 1001); // axis 1: 3003 outputs, a thread each
            Tensor few = r.param(3, 2001, 7);  // axis 1: 21 long outputs, a block each
            Tensor all = r.param(37, 411);
            DeviceParity.check("sum all", in -> Reduce.sum(in[0]), all);
            DeviceParity.check("mean all", in -> Reduce.mean(in[0]), all);
            DeviceParity.check("sum many", in -> Reduce.sum(in[0], 1), many);
            DeviceParity.check("mean many", in -> Reduce.mean(in[0], 1), many);
            DeviceParity.check("sum few", in -> Reduce.sum(in[0], 1), few);
            DeviceParity.check("mean few last axis", in -> Reduce.mean(in[0], -1), few);
            DeviceParity.check("sum first axis", in -> Reduce.sum(in[0], 0), all);
        }
    }

    static int[] removeAxis(int[] shape, int axis) {
        if (shape.length == 1) {
            return new int[] {1};
        }
        int[] out = new int[shape.length - 1];
        for (int d = 0, j = 0; d < shape.length; d++) {
            if (d != axis) {
                out[j++] = shape[d];
            }
        }
        return out;
    }
}
