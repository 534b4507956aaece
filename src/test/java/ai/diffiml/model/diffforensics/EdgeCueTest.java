package ai.diffiml.model.diffforensics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.DeviceParity;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;

/** The edge cue g = |V * |H * d|| against a double reference loop, its gradient, and CUDA against the CPU. */
class EdgeCueTest {
    @Test
    void gradientMagnitudeMatchesADoubleReference() {
        int b = 2, c = 3, h = 5, w = 7;
        try (Scope s = Scope.open()) {
            Tensor d = new Rand(1).tensorIn(-2, 2, b, c, h, w);
            float[] x = d.toArray(), got = EdgeCue.gradientMagnitude(d).toArray();
            for (int p = 0; p < b * c; p++) {
                double[] horizontal = new double[h * w];
                for (int y = 0; y < h; y++) {
                    for (int i = 0; i < w; i++) {
                        horizontal[y * w + i] = i + 1 < w
                                ? Math.abs(x[p * h * w + y * w + i] - x[p * h * w + y * w + i + 1]) : 0;
                    }
                }
                for (int y = 0; y < h; y++) {
                    for (int i = 0; i < w; i++) {
                        double want = y + 1 < h ? Math.abs(horizontal[y * w + i] - horizontal[(y + 1) * w + i]) : 0;
                        assertEquals(want, got[p * h * w + y * w + i], 1e-6, "plane " + p + " (" + i + ", " + y + ")");
                    }
                }
            }
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        try (Scope s = Scope.open()) {
            Tensor d = new Rand(2).tensorIn(-2, 2, 2, 2, 4, 6).requiresGrad(true);
            new GradCheck().eps(1e-3).samples(48).check("edge cue", in -> EdgeCue.gradientMagnitude(in[0]), d);
        }
    }

    @Test
    void aConstantMapHasNoEdge() {
        try (Scope s = Scope.open()) {
            for (float v : EdgeCue.gradientMagnitude(Tensor.full(ai.diffiml.backend.Device.CPU, 3f, 1, 2, 4, 4))
                    .toArray()) {
                assertEquals(0f, v);
            }
        }
    }

    @CudaTest
    void cudaMatchesCpuOnOddShapes() {
        try (Scope s = Scope.open()) {
            Tensor d = new Rand(3).tensorIn(-2, 2, 3, 5, 9, 11).requiresGrad(true);
            DeviceParity.check("edge cue", in -> EdgeCue.gradientMagnitude(in[0]), d);
        }
    }
}
