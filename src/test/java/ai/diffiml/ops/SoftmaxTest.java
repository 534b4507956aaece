package ai.diffiml.ops;

import static ai.diffiml.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.DeviceParity;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SoftmaxTest {
    /** Naive double reference over rows of the last axis. */
    static double[] reference(float[] x, int cols) {
        double[] y = new double[x.length];
        for (int r = 0; r < x.length / cols; r++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < cols; j++) {
                max = Math.max(max, x[r * cols + j]);
            }
            for (int j = 0; j < cols; j++) {
                sum += Math.exp(x[r * cols + j] - max);
            }
            for (int j = 0; j < cols; j++) {
                y[r * cols + j] = Math.exp(x[r * cols + j] - max) / sum;
            }
        }
        return y;
    }

    @Test
    void forwardMatchesDoubleReference() {
        // {range, shape...}: ordinary values, a single column, and values whose exp overflows float.
        Object[][] cases = {{4.0, new int[] {3, 7, 13}}, {4.0, new int[] {5, 1}}, {1000.0, new int[] {4, 9}}};
        Rand r = new Rand(1);
        for (Object[] cs : cases) {
            double range = (double) cs[0];
            int[] shape = (int[]) cs[1];
            try (Scope s = Scope.open()) {
                Tensor x = r.tensorIn(-range, range, shape);
                assertClose("softmax " + Arrays.toString(shape) + " range " + range, Softmax.softmax(x).toArray(),
                        reference(x.toArray(), shape[shape.length - 1]), 1e-6);
            }
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        try (Scope s = Scope.open()) {
            Tensor x = new Rand(2).tensorIn(-2, 2, 4, 11).requiresGrad(true);
            new GradCheck().check("softmax", in -> Softmax.softmax(in[0]), x);
        }
    }

    @Test
    void rejectsScalar() {
        try (Scope s = Scope.open()) {
            Tensor scalar = Tensor.of(ai.diffiml.backend.Device.CPU, new float[] {1f});
            assertThrows(IllegalArgumentException.class, () -> Softmax.softmax(scalar));
        }
    }

    @CudaTest
    void cudaMatchesCpuOnOddShapes() {
        Object[][] cases = {{3.0, new int[] {5, 11, 301}}, {3.0, new int[] {7, 3}}, {500.0, new int[] {2, 1000}}};
        Rand r = new Rand(3);
        for (Object[] cs : cases) {
            try (Scope s = Scope.open()) {
                double range = (double) cs[0];
                int[] shape = (int[]) cs[1];
                Tensor x = r.tensorIn(-range, range, shape).requiresGrad(true);
                DeviceParity.check("softmax " + Arrays.toString(shape), in -> Softmax.softmax(in[0]), x);
            }
        }
    }
}
