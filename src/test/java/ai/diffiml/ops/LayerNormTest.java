package ai.diffiml.ops;

import static ai.diffiml.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.DeviceParity;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;

class LayerNormTest {
    /** Naive double reference: per row, mean and biased variance of the last axis, then the affine map. */
    static double[] reference(float[] x, float[] gamma, float[] beta, int c, double eps) {
        double[] y = new double[x.length];
        for (int r = 0; r < x.length / c; r++) {
            double mean = 0, var = 0;
            for (int j = 0; j < c; j++) {
                mean += x[r * c + j];
            }
            mean /= c;
            for (int j = 0; j < c; j++) {
                var += (x[r * c + j] - mean) * (x[r * c + j] - mean);
            }
            var /= c;
            for (int j = 0; j < c; j++) {
                y[r * c + j] = (x[r * c + j] - mean) / Math.sqrt(var + eps) * gamma[j] + beta[j];
            }
        }
        return y;
    }

    @Test
    void forwardMatchesDoubleReference() {
        Object[][] cases = {
            {new int[] {3, 5, 37}, 1e-6f, 0.0}, {new int[] {7, 20}, 1e-5f, 0.0}, {new int[] {13}, 1e-5f, 0.0},
            {new int[] {4, 1}, 1e-5f, 0.0}, {new int[] {6, 33}, 1e-6f, 50.0}, // large offset: needs two-pass stats
        };
        Rand r = new Rand(1);
        for (Object[] cs : cases) {
            int[] shape = (int[]) cs[0];
            float eps = (float) cs[1];
            double offset = (double) cs[2];
            try (Scope s = Scope.open()) {
                int c = shape[shape.length - 1];
                Tensor x = r.tensorIn(offset - 1, offset + 1, shape), gamma = r.tensor(c), beta = r.tensor(c);
                double[] expected = reference(x.toArray(), gamma.toArray(), beta.toArray(), c, eps);
                assertClose("layerNorm " + java.util.Arrays.toString(shape),
                        LayerNorm.layerNorm(x, gamma, beta, eps).toArray(), expected, 1e-5);
            }
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(2);
            Tensor x = r.param(2, 3, 13), gamma = r.param(13), beta = r.param(13);
            new GradCheck().check("layerNorm", in -> LayerNorm.layerNorm(in[0], in[1], in[2], 1e-5f), x, gamma, beta);
        }
    }

    @Test
    void partialGradientsMatchFiniteDifferences() {
        // Only some inputs need a gradient: the backward is then called with NULL for the others.
        try (Scope s = Scope.open()) {
            Rand r = new Rand(3);
            Tensor x = r.param(5, 9), gamma = r.tensor(9), beta = r.tensor(9);
            new GradCheck().check("layerNorm dx only", in -> LayerNorm.layerNorm(in[0], in[1], in[2], 1e-6f), x,
                    gamma, beta);
            Tensor x2 = r.tensor(5, 9), gamma2 = r.param(9);
            new GradCheck().check("layerNorm dgamma only", in -> LayerNorm.layerNorm(in[0], in[1], in[2], 1e-6f), x2,
                    gamma2, beta);
        }
    }

    @Test
    void rejectsMismatchedParametersAndBadEps() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(4);
            Tensor x = r.tensor(3, 8), gamma = r.tensor(8), beta = r.tensor(8);
            assertThrows(IllegalArgumentException.class, () -> LayerNorm.layerNorm(x, r.tensor(7), beta, 1e-5f));
            assertThrows(IllegalArgumentException.class, () -> LayerNorm.layerNorm(x, gamma, r.tensor(2, 4), 1e-5f));
            assertThrows(IllegalArgumentException.class, () -> LayerNorm.layerNorm(x, gamma, beta, -1f));
        }
    }

    @CudaTest
    void cudaMatchesCpuOnOddShapes() {
        // {3, 700, 64}: 2100 rows, so the weight gradient runs in 5 row chunks over 64 channels (2 column blocks).
        int[][] shapes = {{3, 37, 67}, {5, 301}, {1000, 20}, {3, 700, 64}};
        Rand r = new Rand(5);
        for (int[] shape : shapes) {
            try (Scope s = Scope.open()) {
                int c = shape[shape.length - 1];
                Tensor x = r.param(shape), gamma = r.param(c), beta = r.param(c);
                DeviceParity.check("layerNorm " + java.util.Arrays.toString(shape),
                        in -> LayerNorm.layerNorm(in[0], in[1], in[2], 1e-6f), x, gamma, beta);
            }
        }
    }
}
