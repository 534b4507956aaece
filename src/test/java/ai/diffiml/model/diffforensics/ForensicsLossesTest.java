package ai.diffiml.model.diffforensics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.diffiml.backend.Device;
import ai.diffiml.ops.Activations;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.DeviceParity;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;

/** The weighted BCE and the squared-denominator Dice against double references, their gradients, the image weights. */
class ForensicsLossesTest {
    private static final int B = 3, N = 20;

    private static float[] target() {
        float[] y = new float[B * N];
        for (int i : new int[] {0, 3, 4, 5, 44, 45, 59}) { // image 1 is empty
            y[i] = 1;
        }
        return y;
    }

    @Test
    void weightedBceMatchesADoubleReference() {
        try (Scope s = Scope.open()) {
            float[] x = new Rand(1).uniform(B * N, -4, 4), y = target();
            Tensor got = ForensicsLosses.weightedBce(Tensor.of(Device.CPU, x, B, 1, 4, 5),
                    Tensor.of(Device.CPU, y, B, 1, 4, 5), 2f, 0.5f);
            double want = 0;
            for (int i = 0; i < x.length; i++) {
                double p = 1 / (1 + Math.exp(-x[i]));
                want -= 2 * y[i] * Math.log(p) + 0.5 * (1 - y[i]) * Math.log(1 - p);
            }
            assertEquals(want / x.length, got.item(), 1e-5);
        }
    }

    @Test
    void squaredDiceMatchesADoubleReference() {
        try (Scope s = Scope.open()) {
            float[] f = new Rand(2).uniform(B * N, 0, 1), y = target();
            Tensor got = ForensicsLosses.squaredDice(Tensor.of(Device.CPU, f, B, 1, 4, 5),
                    Tensor.of(Device.CPU, y, B, 1, 4, 5));
            double want = 0;
            for (int b = 0; b < B; b++) {
                double fy = 0, ff = 0, yy = 0;
                for (int i = b * N; i < (b + 1) * N; i++) {
                    fy += f[i] * y[i];
                    ff += f[i] * f[i];
                    yy += y[i] * y[i];
                }
                want += 1 - (2 * fy + 1) / (ff + yy + 1);
            }
            assertEquals(want / B, got.item(), 1e-5);
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        try (Scope s = Scope.open()) {
            Tensor y = Tensor.of(Device.CPU, target(), B, 1, 4, 5);
            Tensor logits = new Rand(3).tensorIn(-3, 3, B, 1, 4, 5).requiresGrad(true);
            new GradCheck().eps(1e-3).samples(40).check("weighted BCE",
                    in -> ForensicsLosses.weightedBce(in[0], y, 2f, 0.5f), logits);
            new GradCheck().eps(1e-3).samples(40).check("squared Dice of sigmoid",
                    in -> ForensicsLosses.squaredDice(Activations.sigmoid(in[0]), y), logits);
        }
    }

    @Test
    void imageWeightsFollowThePaperRule() {
        assertArrayEquals(new float[] {0.7f, 0.3f}, ForensicsLosses.imageWeights(0.3), 1e-6f);
        assertArrayEquals(new float[] {0.2f, 0.7f}, ForensicsLosses.imageWeights(0.75), 1e-6f);
        assertArrayEquals(new float[] {0.5f, 0.5f}, ForensicsLosses.imageWeights(0.5), 1e-6f);
        assertArrayEquals(new float[] {1f, 0.1f}, ForensicsLosses.imageWeights(0), 1e-6f); // at least 0.1
    }

    @CudaTest
    void cudaMatchesCpuOnOddShapes() {
        try (Scope s = Scope.open()) {
            Tensor y = Tensor.of(Device.CPU, target(), B, 1, 4, 5);
            Tensor logits = new Rand(4).tensorIn(-3, 3, B, 1, 4, 5).requiresGrad(true);
            DeviceParity.check("diffforensics localization loss", in -> ForensicsLosses.squaredDice(
                    Activations.sigmoid(in[0]), y.to(in[0].device())), logits);
            DeviceParity.check("diffforensics weighted BCE", in -> ForensicsLosses.weightedBce(in[0],
                    y.to(in[0].device()), 2f, 0.5f), logits);
        }
    }
}
