package ai.diffiml.ops;

import static ai.diffiml.testing.Close.assertClose;
import static ai.diffiml.testing.Close.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.DeviceParity;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BatchNormTest {
    private static final float MOMENTUM = 0.1f, EPS = 1e-5f;

    /** Random x [N, C, *], gamma, beta and running statistics (positive variances) for one call. */
    private record Inputs(Tensor x, Tensor gamma, Tensor beta, Tensor runMean, Tensor runVar) {
        static Inputs random(Rand r, int... shape) {
            int c = shape[1];
            return new Inputs(r.tensorIn(-2, 3, shape), r.tensor(c), r.tensor(c), r.tensor(c),
                    r.tensorIn(0.5, 2, c));
        }

        /** The same inputs with x, gamma and beta requiring grad. */
        Inputs params() {
            x.requiresGrad(true);
            gamma.requiresGrad(true);
            beta.requiresGrad(true);
            return this;
        }
    }

    /** Per-channel batch mean and biased variance of x [N, C, *], in double. */
    static double[][] batchStats(float[] x, int[] shape) {
        int n = shape[0], c = shape[1], spatial = (int) Shapes.prod(shape, 2, shape.length);
        double[] mean = new double[c], var = new double[c];
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < n; i++) {
                for (int p = 0; p < spatial; p++) {
                    mean[ch] += x[(i * c + ch) * spatial + p];
                }
            }
            mean[ch] /= n * spatial;
            for (int i = 0; i < n; i++) {
                for (int p = 0; p < spatial; p++) {
                    double d = x[(i * c + ch) * spatial + p] - mean[ch];
                    var[ch] += d * d;
                }
            }
            var[ch] /= n * spatial;
        }
        return new double[][] {mean, var};
    }

    /** y = (x - mean[c]) / sqrt(var[c] + eps) * gamma[c] + beta[c], in double. */
    static double[] normalize(float[] x, int[] shape, double[] mean, double[] var, float[] gamma, float[] beta) {
        int c = shape[1], spatial = (int) Shapes.prod(shape, 2, shape.length);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int ch = (i / spatial) % c;
            y[i] = (x[i] - mean[ch]) / Math.sqrt(var[ch] + EPS) * gamma[ch] + beta[ch];
        }
        return y;
    }

    @Test
    void trainingNormalisesWithBatchStatsAndUpdatesRunningStats() {
        int[][] shapes = {{4, 5, 3, 7}, {6, 3}, {2, 3, 1, 1}};
        Rand r = new Rand(1);
        for (int[] shape : shapes) {
            try (Scope s = Scope.open()) {
                int c = shape[1];
                Inputs in = Inputs.random(r, shape);
                Tensor x = in.x(), gamma = in.gamma(), beta = in.beta(), runMean = in.runMean(), runVar = in.runVar();
                float[] rm0 = runMean.toArray(), rv0 = runVar.toArray();
                double[][] st = batchStats(x.toArray(), shape);
                double m = x.numel() / c;
                double[] expMean = new double[c], expVar = new double[c];
                for (int ch = 0; ch < c; ch++) {
                    expMean[ch] = (1 - MOMENTUM) * rm0[ch] + MOMENTUM * st[0][ch];
                    expVar[ch] = (1 - MOMENTUM) * rv0[ch] + MOMENTUM * st[1][ch] * m / (m - 1);
                }
                Tensor y = BatchNorm.batchNorm(x, gamma, beta, runMean, runVar, true, MOMENTUM, EPS);
                String what = "batchNorm training " + Arrays.toString(shape);
                assertClose(what, y.toArray(),
                        normalize(x.toArray(), shape, st[0], st[1], gamma.toArray(), beta.toArray()), 1e-5);
                assertClose(what + " running mean", runMean.toArray(), expMean, 1e-6);
                assertClose(what + " running var (unbiased)", runVar.toArray(), expVar, 1e-6);
                // Without running statistics: same output, nothing to update.
                assertClose(what + " untracked", BatchNorm.batchNorm(x, gamma, beta, null, null, true, MOMENTUM, EPS)
                        .toArray(), y.toArray(), 0);
            }
        }
    }

    @Test
    void evalNormalisesWithRunningStatsAndLeavesThemUnchanged() {
        int[][] shapes = {{3, 4, 5, 3}, {1, 6}};
        Rand r = new Rand(2);
        for (int[] shape : shapes) {
            try (Scope s = Scope.open()) {
                Inputs in = Inputs.random(r, shape);
                Tensor x = in.x(), gamma = in.gamma(), beta = in.beta(), runMean = in.runMean(), runVar = in.runVar();
                float[] rm0 = runMean.toArray(), rv0 = runVar.toArray();
                Tensor y = BatchNorm.batchNorm(x, gamma, beta, runMean, runVar, false, MOMENTUM, EPS);
                assertClose("batchNorm eval " + Arrays.toString(shape), y.toArray(),
                        normalize(x.toArray(), shape, toDouble(rm0), toDouble(rv0), gamma.toArray(), beta.toArray()),
                        1e-5);
                assertArrayEquals(rm0, runMean.toArray(), "running mean changed in eval mode");
                assertArrayEquals(rv0, runVar.toArray(), "running var changed in eval mode");
            }
        }
    }

    @Test
    void trainingGradientMatchesFiniteDifferences() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(3);
            Inputs p = Inputs.random(r, 3, 4, 2, 5).params();
            // Fresh copies of the running statistics per evaluation: training mode updates them in place.
            new GradCheck().check("batchNorm training", in -> BatchNorm.batchNorm(in[0], in[1], in[2],
                    p.runMean().copy(), p.runVar().copy(), true, MOMENTUM, EPS), p.x(), p.gamma(), p.beta());
            Tensor x2 = r.param(7, 3), g2 = r.tensor(3), b2 = r.tensor(3);
            new GradCheck().check("batchNorm training dx only, no running stats",
                    in -> BatchNorm.batchNorm(in[0], in[1], in[2], null, null, true, MOMENTUM, EPS), x2, g2, b2);
        }
    }

    @Test
    void evalGradientMatchesFiniteDifferences() {
        try (Scope s = Scope.open()) {
            Inputs p = Inputs.random(new Rand(4), 3, 4, 2, 5).params();
            new GradCheck().check("batchNorm eval", in -> BatchNorm.batchNorm(in[0], in[1], in[2], p.runMean(),
                    p.runVar(), false, MOMENTUM, EPS), p.x(), p.gamma(), p.beta());
        }
    }

    @Test
    void runningStatsNeverGetGradients() {
        for (boolean training : new boolean[] {true, false}) {
            try (Scope s = Scope.open()) {
                Rand r = new Rand(5);
                Inputs p = Inputs.random(r, 4, 3, 5).params();
                p.runMean().requiresGrad(true);
                p.runVar().requiresGrad(true);
                Tensor y = BatchNorm.batchNorm(p.x(), p.gamma(), p.beta(), p.runMean(), p.runVar(), training, MOMENTUM,
                        EPS);
                Tape.backward(y, Tensor.of(Device.CPU, r.uniform(y.numel(), -1, 1), y.shape()));
                assertNotNull(p.x().grad());
                assertNotNull(p.gamma().grad());
                assertNull(p.runMean().grad(), "running mean got a gradient");
                assertNull(p.runVar().grad(), "running var got a gradient");
            }
        }
    }

    @Test
    void rejectsSingleValuePerChannelInTrainingAndMissingRunningStatsInEval() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(6);
            Tensor gamma = r.tensor(3), beta = r.tensor(3), rm = r.tensor(3), rv = r.tensorIn(0.5, 2, 3);
            assertThrows(IllegalArgumentException.class,
                    () -> BatchNorm.batchNorm(r.tensor(1, 3, 1), gamma, beta, rm, rv, true, MOMENTUM, EPS));
            assertThrows(IllegalArgumentException.class,
                    () -> BatchNorm.batchNorm(r.tensor(4, 3), gamma, beta, null, null, false, MOMENTUM, EPS));
            assertThrows(IllegalArgumentException.class,
                    () -> BatchNorm.batchNorm(r.tensor(4, 3), gamma, beta, rm, null, true, MOMENTUM, EPS));
            assertThrows(IllegalArgumentException.class,
                    () -> BatchNorm.batchNorm(r.tensor(4, 3), gamma, beta, r.tensor(4), rv, true, MOMENTUM, EPS));
        }
    }

    @CudaTest
    void cudaMatchesCpuOnOddShapes() {
        int[][] shapes = {{5, 7, 13, 11}, {3, 20}, {2, 3, 1, 1}};
        Rand r = new Rand(7);
        for (int[] shape : shapes) {
            for (boolean training : new boolean[] {true, false}) {
                try (Scope s = Scope.open()) {
                    Inputs p = Inputs.random(r, shape).params();
                    // Each run gets its own copy of the running statistics on its device.
                    DeviceParity.check("batchNorm " + (training ? "training " : "eval ") + Arrays.toString(shape),
                            in -> BatchNorm.batchNorm(in[0], in[1], in[2], p.runMean().to(in[0].device()),
                                    p.runVar().to(in[0].device()), training, MOMENTUM, EPS), p.x(), p.gamma(),
                            p.beta());
                }
            }
            try (Scope s = Scope.open()) {
                // The running-statistics update itself, CPU vs CUDA.
                Inputs p = Inputs.random(r, shape);
                Tensor rmGpu = p.runMean().to(Device.CUDA), rvGpu = p.runVar().to(Device.CUDA);
                BatchNorm.batchNorm(p.x(), p.gamma(), p.beta(), p.runMean(), p.runVar(), true, MOMENTUM, EPS);
                BatchNorm.batchNorm(p.x().to(Device.CUDA), p.gamma().to(Device.CUDA), p.beta().to(Device.CUDA), rmGpu,
                        rvGpu, true, MOMENTUM, EPS);
                assertClose("running mean (CUDA vs CPU)", rmGpu.toArray(), p.runMean().toArray(), DeviceParity.F32);
                assertClose("running var (CUDA vs CPU)", rvGpu.toArray(), p.runVar().toArray(), DeviceParity.F32);
            }
        }
    }
}
