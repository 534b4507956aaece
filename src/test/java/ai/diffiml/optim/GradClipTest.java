package ai.diffiml.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.Close;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.DeviceParity;
import ai.diffiml.testing.Rand;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Gradient-norm clipping against hand-computed and double-precision norms. Clipping rescales gradients outside
 * the tape and is not differentiable, so there is no gradient check; the CUDA kernels are checked against CPU.
 */
class GradClipTest {
    /** A leaf parameter (values irrelevant) whose gradient holds {@code g}, owned by the parameter. */
    private static Tensor paramWithGrad(float[] g, int... shape) {
        Tensor p = Tensor.full(Device.CPU, 0.5f, shape).requiresGrad(true);
        Tensor grad = Tensor.detachedEmpty(Device.CPU, shape);
        grad.copyFrom(g);
        p.setGrad(grad);
        return p;
    }

    private static double referenceNorm(List<Tensor> params) {
        double sum = 0;
        for (Tensor p : params) {
            if (p.grad() != null) {
                for (float x : p.grad().toArray()) {
                    sum += (double) x * x;
                }
            }
        }
        return Math.sqrt(sum);
    }

    @Test
    void normMatchesHandComputedValue() {
        try (Scope s = Scope.open()) {
            // 3^2 + 4^2 + 12^2 = 169: norm 13.
            List<Tensor> params = List.of(paramWithGrad(new float[] {3, -4}, 2), paramWithGrad(new float[] {-12}, 1, 1),
                    Tensor.full(Device.CPU, 2f, 3).requiresGrad(true)); // no gradient: skipped
            assertEquals(13.0, GradClip.gradNorm(params), 1e-12);
            assertEquals(0.0, GradClip.gradNorm(List.of()), 0.0);
        }
    }

    @Test
    void normMatchesDoubleReferenceOnOddAndLargeShapes() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(1);
            List<Tensor> params = new ArrayList<>();
            for (int[] shape : new int[][] {{7, 13}, {31}, {3, 5, 9}, {301, 257}}) { // the last one runs threaded
                params.add(paramWithGrad(r.uniform(Shapes.numel(shape), -2, 2), shape));
            }
            double expected = referenceNorm(params);
            double norm = GradClip.gradNorm(params);
            assertTrue(Math.abs(norm - expected) <= 1e-6 * expected, norm + " vs " + expected);
        }
    }

    @Test
    void clipsAllGradientsToMaxNormWhenAbove() {
        try (Scope s = Scope.open()) {
            List<Tensor> params = List.of(paramWithGrad(new float[] {3, -4}, 2), paramWithGrad(new float[] {-12}, 1));
            double norm = GradClip.clipGradNorm(params, 6.5);
            assertEquals(13.0, norm, 1e-12, "returns the norm before clipping");
            double k = 6.5 / (13 + 1e-6);
            Close.assertClose("first gradient", params.get(0).grad().toArray(), new double[] {3 * k, -4 * k}, 1e-7);
            Close.assertClose("second gradient", params.get(1).grad().toArray(), new double[] {-12 * k}, 1e-7);
            assertEquals(6.5, GradClip.gradNorm(params), 1e-5);
        }
    }

    @Test
    void leavesGradientsUntouchedAtOrBelowMaxNorm() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(2);
            List<Tensor> params = List.of(paramWithGrad(r.uniform(35, -1, 1), 5, 7), paramWithGrad(r.uniform(9, -1, 1), 9));
            float[] g0 = params.get(0).grad().toArray(), g1 = params.get(1).grad().toArray();
            double norm = referenceNorm(params);
            assertEquals(norm, GradClip.clipGradNorm(params, norm * 1.5), 1e-6 * norm);
            assertEquals(norm, GradClip.clipGradNorm(params, norm + 1e-5), 1e-6 * norm);
            assertArrayEquals(g0, params.get(0).grad().toArray());
            assertArrayEquals(g1, params.get(1).grad().toArray());
        }
    }

    @Test
    void nonFiniteNormIsReturnedWithGradientsLeftAsTheyAre() {
        try (Scope s = Scope.open()) {
            List<Tensor> params = List.of(paramWithGrad(new float[] {1, Float.NaN, 2}, 3));
            assertTrue(Double.isNaN(GradClip.clipGradNorm(params, 1.0)));
            float[] g = params.get(0).grad().toArray();
            assertEquals(1f, g[0]);
            assertEquals(2f, g[2]);
            assertThrows(IllegalArgumentException.class, () -> GradClip.clipGradNorm(params, 0));
        }
    }

    /**
     * Norm and clipped gradients on CUDA against CPU, for odd sizes and one tensor large enough (4.2M elements)
     * to use every block of the partial-sum kernel. Output: the clipped gradients, then the norm.
     */
    @CudaTest
    void cudaMatchesCpuOnOddShapes() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(3);
            Tensor[] grads = {r.tensor(257, 263), r.tensor(31), r.tensor(3, 5, 9), r.tensor(2053, 2049)};
            for (double maxNorm : new double[] {1.0, 1e6}) { // clipping, and no clipping
                DeviceParity.check("clipGradNorm " + maxNorm, in -> clipped(in, maxNorm), grads);
            }
        }
    }

    private static Tensor clipped(Tensor[] grads, double maxNorm) {
        List<Tensor> params = new ArrayList<>();
        for (Tensor g : grads) {
            Tensor p = Tensor.empty(g.device(), g.shape()).requiresGrad(true);
            p.setGrad(g.copy());
            params.add(p);
        }
        double norm = GradClip.clipGradNorm(params, maxNorm);
        Tensor[] parts = new Tensor[grads.length + 1];
        for (int i = 0; i < grads.length; i++) {
            parts[i] = params.get(i).grad();
        }
        parts[grads.length] = Tensor.full(grads[0].device(), (float) norm, 1);
        return AdamWTest.concat(parts);
    }
}
