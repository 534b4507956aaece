package ai.diffiml.ops;

import static ai.diffiml.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.DeviceParity;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class GroupNormTest {
    /** Naive double reference: for each (sample, group), statistics over its channels and positions. */
    static double[] reference(float[] x, int[] shape, int groups, float[] gamma, float[] beta, double eps) {
        int n = shape[0], c = shape[1], per = c / groups;
        int spatial = (int) Shapes.prod(shape, 2, shape.length);
        double[] y = new double[x.length];
        for (int i = 0; i < n; i++) {
            for (int g = 0; g < groups; g++) {
                double mean = 0, var = 0;
                int count = per * spatial;
                for (int ch = g * per; ch < (g + 1) * per; ch++) {
                    for (int p = 0; p < spatial; p++) {
                        mean += x[(i * c + ch) * spatial + p];
                    }
                }
                mean /= count;
                for (int ch = g * per; ch < (g + 1) * per; ch++) {
                    for (int p = 0; p < spatial; p++) {
                        double d = x[(i * c + ch) * spatial + p] - mean;
                        var += d * d;
                    }
                }
                var /= count;
                for (int ch = g * per; ch < (g + 1) * per; ch++) {
                    for (int p = 0; p < spatial; p++) {
                        int idx = (i * c + ch) * spatial + p;
                        y[idx] = (x[idx] - mean) / Math.sqrt(var + eps) * gamma[ch] + beta[ch];
                    }
                }
            }
        }
        return y;
    }

    @Test
    void forwardMatchesDoubleReference() {
        // {shape..., groups}: odd spatial sizes, one group, one channel per group (instance norm), no spatial axes.
        int[][] cases = {{2, 12, 5, 7, 4}, {3, 10, 3, 3, 5}, {2, 6, 11, 3}, {2, 6, 4, 3, 6}, {3, 5, 2, 2, 1},
            {2, 4, 2}};
        Rand r = new Rand(1);
        for (int[] cs : cases) {
            int[] shape = Arrays.copyOf(cs, cs.length - 1);
            int groups = cs[cs.length - 1];
            try (Scope s = Scope.open()) {
                Tensor x = r.tensorIn(-2, 3, shape), gamma = r.tensor(shape[1]), beta = r.tensor(shape[1]);
                double[] expected = reference(x.toArray(), shape, groups, gamma.toArray(), beta.toArray(), 1e-5);
                assertClose("groupNorm " + Arrays.toString(cs),
                        GroupNorm.groupNorm(x, groups, gamma, beta, 1e-5f).toArray(), expected, 1e-5);
            }
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(2);
            Tensor x = r.param(2, 6, 3, 5), gamma = r.param(6), beta = r.param(6);
            new GradCheck().check("groupNorm", in -> GroupNorm.groupNorm(in[0], 3, in[1], in[2], 1e-5f), x, gamma,
                    beta);
            // Only x needs a gradient (dgamma, dbeta NULL), and only beta (dx NULL).
            Tensor x2 = r.param(3, 4, 7), g2 = r.tensor(4), b2 = r.tensor(4);
            new GradCheck().check("groupNorm dx only", in -> GroupNorm.groupNorm(in[0], 2, in[1], in[2], 1e-5f), x2,
                    g2, b2);
            Tensor x3 = r.tensor(3, 4, 7), b3 = r.param(4);
            new GradCheck().check("groupNorm dbeta only", in -> GroupNorm.groupNorm(in[0], 2, in[1], in[2], 1e-5f),
                    x3, g2, b3);
        }
    }

    @Test
    void rejectsIndivisibleGroupsAndMismatchedParameters() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(3);
            Tensor x = r.tensor(2, 6, 5), gamma = r.tensor(6), beta = r.tensor(6);
            assertThrows(IllegalArgumentException.class, () -> GroupNorm.groupNorm(x, 4, gamma, beta, 1e-5f));
            assertThrows(IllegalArgumentException.class, () -> GroupNorm.groupNorm(x, 0, gamma, beta, 1e-5f));
            assertThrows(IllegalArgumentException.class, () -> GroupNorm.groupNorm(x, 3, r.tensor(5), beta, 1e-5f));
            assertThrows(IllegalArgumentException.class, () -> GroupNorm.groupNorm(r.tensor(6), 3, gamma, beta, 1e-5f));
        }
    }

    @CudaTest
    void cudaMatchesCpuOnOddShapes() {
        // {shape..., groups}: the UNet's 32 groups, few channels per group, a group larger than a block.
        int[][] cases = {{2, 64, 9, 11, 32}, {3, 20, 17, 5}, {2, 6, 37, 29, 2}};
        Rand r = new Rand(4);
        for (int[] cs : cases) {
            int[] shape = Arrays.copyOf(cs, cs.length - 1);
            int groups = cs[cs.length - 1];
            try (Scope s = Scope.open()) {
                Tensor x = r.param(shape), gamma = r.param(shape[1]), beta = r.param(shape[1]);
                DeviceParity.check("groupNorm " + Arrays.toString(cs),
                        in -> GroupNorm.groupNorm(in[0], groups, in[1], in[2], 1e-5f), x, gamma, beta);
            }
        }
    }
}
