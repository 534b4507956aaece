package ai.diffiml.diffusion;

import static ai.diffiml.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.DeviceParity;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;

/** The diffusion kernels carry no gradient (inference and frozen-VAE targets only), so there is no GradCheck. */
class DiffusionKernelsTest {
    @Test
    void scheduleMatchesTheLinearDefinition() {
        NoiseSchedule s = NoiseSchedule.linear1000();
        double acc = 1;
        for (int t = 0; t < 1000; t++) {
            acc *= 1 - (1e-4 + (2e-2 - 1e-4) * t / 999.0);
            assertEquals(acc, s.alphaCumprod(t), 2e-6 * Math.max(acc, 1e-3));
        }
        assertEquals(1f, s.alphaCumprod(-1));
        assertThrows(IllegalArgumentException.class, () -> s.alphaCumprod(1000));
    }

    @Test
    void ddimUsesLeadingSpacing() {
        Ddim d = new Ddim(NoiseSchedule.linear1000(), 8, true);
        assertArrayEquals(new int[] {875, 750, 625, 500, 375, 250, 125, 0}, d.timesteps());
        assertEquals(-1, d.previous(7));
        assertArrayEquals(new int[] {0}, new Ddim(NoiseSchedule.linear1000(), 1, true).timesteps());
        assertThrows(IllegalArgumentException.class, () -> new Ddim(NoiseSchedule.linear1000(), 0, true));
    }

    @Test
    void ddimStepMatchesTheFormula() {
        NoiseSchedule s = NoiseSchedule.linear1000();
        Ddim d = new Ddim(s, 8, true);
        try (Scope scope = Scope.open()) {
            Rand r = new Rand(1);
            Tensor y = r.tensorIn(-3, 3, 2, 8, 5, 7), x0 = r.tensorIn(-2, 2, 2, 8, 5, 7);
            float[] yv = y.toArray(), xv = x0.toArray();
            for (int i : new int[] {0, 3, 7}) {
                double at = s.alphaCumprod(d.timesteps()[i]), ap = s.alphaCumprod(d.previous(i));
                double[] expected = new double[yv.length];
                for (int k = 0; k < yv.length; k++) {
                    double eps = (yv[k] - Math.sqrt(at) * xv[k]) / Math.sqrt(1 - at);
                    double xc = Math.max(-1, Math.min(1, xv[k]));
                    expected[k] = Math.sqrt(ap) * xc + Math.sqrt(1 - ap) * eps;
                }
                assertClose("ddim step " + i, d.step(y, x0, i).toArray(), expected, 2e-6);
            }
            // The last step lands on abar = 1: the result is the clamped x0 itself.
            float[] last = d.step(y, x0, 7).toArray();
            for (int k = 0; k < last.length; k++) {
                assertEquals(Math.max(-1, Math.min(1, xv[k])), last[k], 1e-5);
            }
        }
    }

    @Test
    void errorPriorNoisingMatchesTheFormulaPerSample() {
        NoiseSchedule s = NoiseSchedule.linear1000();
        try (Scope scope = Scope.open()) {
            Rand r = new Rand(2);
            Tensor y0 = r.tensor(3, 8, 3, 5), xi = r.tensor(3, 8, 3, 5), eps = r.tensor(3, 8, 3, 5);
            int[] t = {0, 500, 999};
            float[] a = y0.toArray(), x = xi.toArray(), e = eps.toArray();
            double[] expected = new double[a.length];
            int inner = a.length / 3;
            for (int k = 0; k < a.length; k++) {
                double abar = s.alphaCumprod(t[k / inner]);
                expected[k] = Math.sqrt(abar) * (a[k] + 0.1 * x[k]) + Math.sqrt(1 - abar) * e[k];
            }
            assertClose("error prior", ErrorPrior.noise(s, y0, xi, eps, t, 0.1f).toArray(), expected, 1e-6);
            assertThrows(IllegalArgumentException.class, () -> ErrorPrior.noise(s, y0, xi, eps, new int[] {1}, 0.1f));
        }
    }

    @CudaTest
    void cudaMatchesCpuOnOddShapes() {
        NoiseSchedule s = NoiseSchedule.linear1000();
        Ddim d = new Ddim(s, 8, true);
        try (Scope scope = Scope.open()) {
            Rand r = new Rand(3);
            Tensor y = r.tensorIn(-3, 3, 3, 8, 7, 9), x0 = r.tensorIn(-2, 2, 3, 8, 7, 9), xi = r.tensor(3, 8, 7, 9);
            DeviceParity.check("ddim step", in -> d.step(in[0], in[1], 2), y, x0);
            DeviceParity.check("error prior", in -> ErrorPrior.noise(s, in[0], in[1], in[2], new int[] {3, 400, 999},
                    0.1f), y, x0, xi);
        }
    }
}
