package ai.diffiml.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;

/** Weighted BCE and Dice over tampered images against double references, and their gradients. */
class SegmentationLossTest {
    private static final int B = 3, H = 4, W = 5;

    /** Image 1 is authentic (empty mask); images 0 and 2 hold a few tampered pixels. */
    private static float[] masks() {
        float[] m = new float[B * H * W];
        for (int i : new int[] {0, 1, 7, 40, 41, 45, 46, 59}) {
            m[i] = 1;
        }
        return m;
    }

    @Test
    void weightedBceAndDiceMatchDoubleReferences() {
        try (Scope s = Scope.open()) {
            float[] x = new Rand(1).uniform(B * H * W, -4, 4), y = masks();
            Tensor logits = Tensor.of(Device.CPU, x, B, 1, H, W), mask = Tensor.of(Device.CPU, y, B, 1, H, W);
            float w = 3.5f;
            SegmentationLoss.Terms t = SegmentationLoss.of(logits, mask, w, 0.7f);
            double bce = 0;
            for (int i = 0; i < x.length; i++) {
                double p = 1 / (1 + Math.exp(-x[i]));
                bce -= w * y[i] * Math.log(p) + (1 - y[i]) * Math.log(1 - p);
            }
            bce /= x.length;
            double dice = 0;
            for (int b : new int[] {0, 2}) { // the authentic image is left out
                double pt = 0, ps = 0, ts = 0;
                for (int i = b * H * W; i < (b + 1) * H * W; i++) {
                    double p = 1 / (1 + Math.exp(-x[i]));
                    pt += p * y[i];
                    ps += p;
                    ts += y[i];
                }
                dice += 1 - (2 * pt + 1) / (ps + ts + 1);
            }
            dice /= 2;
            assertEquals(bce, t.bce().item(), 1e-5);
            assertEquals(dice, t.dice().item(), 1e-5);
            assertEquals(bce + 0.7 * dice, t.total().item(), 1e-5);
            assertArrayEquals(new boolean[] {true, false, true}, SegmentationLoss.tampered(mask));
        }
    }

    @Test
    void aBatchOfAuthenticImagesHasNoDiceTerm() {
        try (Scope s = Scope.open()) {
            Tensor logits = new Rand(2).tensorIn(-3, 3, 2, 1, H, W);
            Tensor mask = Tensor.full(Device.CPU, 0f, 2, 1, H, W);
            SegmentationLoss.Terms t = SegmentationLoss.of(logits, mask, 2f, 1f);
            assertEquals(0f, t.dice().item());
            assertEquals(t.bce().item(), t.total().item());
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        try (Scope s = Scope.open()) {
            Tensor logits = new Rand(3).tensorIn(-3, 3, B, 1, H, W).requiresGrad(true);
            Tensor mask = Tensor.of(Device.CPU, masks(), B, 1, H, W);
            new GradCheck().eps(1e-3).samples(40).check("segmentation loss",
                    in -> SegmentationLoss.of(in[0], mask, 4f, 1f).total(), logits);
        }
    }

    @Test
    void positiveWeightFollowsTheShareWithinItsClamp() {
        assertEquals(9f, SegmentationLoss.positiveWeight(0.1), 1e-5f);
        assertEquals(4f, SegmentationLoss.positiveWeight(0.2), 1e-5f);
        assertEquals(1f, SegmentationLoss.positiveWeight(0.7));
        assertEquals(10f, SegmentationLoss.positiveWeight(1e-5));
        assertEquals(1f, SegmentationLoss.positiveWeight(0));
    }
}
