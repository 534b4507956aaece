package ai.diffiml.model.diffiml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.diffiml.backend.Device;
import ai.diffiml.ops.Losses;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;

/** The mask-latent MSE weighted by tampered pixels ({@link DiffIml#maskLatentLoss}). */
class WeightedLatentLossTest {
    private static final int B = 2, C = 3, H = 16, W = 24, CELL = 8;
    private static final ModelConfig TINY = AnchorTest.TINY;

    /** Image 0: the top-left cell fully tampered, the cell right of it a quarter; image 1 untouched. */
    private static Tensor mask() {
        float[] m = new float[B * H * W];
        for (int y = 0; y < CELL; y++) {
            for (int x = 0; x < CELL; x++) {
                m[y * W + x] = 1;
            }
        }
        for (int y = 0; y < 4; y++) {
            for (int x = 8; x < 12; x++) {
                m[y * W + x] = 1;
            }
        }
        return Tensor.of(Device.CPU, m, B, 1, H, W);
    }

    @Test
    void aCellWeighsOnePlusThePositiveWeightMinusOneTimesItsTamperedShare() {
        try (Scope s = Scope.open()) {
            float[] w = DiffIml.cellWeights(mask(), C, H / CELL, W / CELL, 5f).toArray();
            int cells = (H / CELL) * (W / CELL);
            float[] image0 = {5f, 2f, 1f, 1f, 1f, 1f}; // 1 + 4 x {1, 1/4, 0, ...}
            for (int c = 0; c < C; c++) {
                assertArrayEquals(image0, java.util.Arrays.copyOfRange(w, c * cells, (c + 1) * cells), 0f);
                for (int i = 0; i < cells; i++) {
                    assertEquals(1f, w[(C + c) * cells + i]);
                }
            }
        }
    }

    @Test
    void theWeightedLossIsTheWeightedMeanOfSquaredErrorsAndPlainMseWhenOff() {
        try (Scope s = Scope.open()) {
            Tensor pred = new Rand(1).tensorIn(-2, 2, B, C, H / CELL, W / CELL);
            Tensor target = new Rand(2).tensorIn(-2, 2, B, C, H / CELL, W / CELL);
            Tensor mask = mask();
            ModelConfig weighted = TINY.withWeightedLatents(true);
            try (DiffIml plain = new DiffIml(TINY, Device.CPU); DiffIml m = new DiffIml(weighted, Device.CPU)) {
                assertEquals(Losses.mse(pred, target).item(), plain.maskLatentLoss(pred, target, mask).item(), 0f);
                float[] p = pred.toArray(), t = target.toArray();
                float[] w = DiffIml.cellWeights(mask, C, H / CELL, W / CELL, weighted.auxPosWeight()).toArray();
                double num = 0, den = 0;
                for (int i = 0; i < p.length; i++) {
                    num += w[i] * (p[i] - t[i]) * (p[i] - t[i]);
                    den += w[i];
                }
                assertEquals(num / den, m.maskLatentLoss(pred, target, mask).item(), 1e-5 * num / den);
                assertEquals(2f, weighted.auxPosWeight(), "the tiny config's positive weight (AnchorTest.TINY)");
            }
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        try (Scope s = Scope.open(); DiffIml m = new DiffIml(TINY.withWeightedLatents(true), Device.CPU)) {
            Tensor pred = new Rand(3).tensorIn(-2, 2, B, C, H / CELL, W / CELL).requiresGrad(true);
            Tensor target = new Rand(4).tensorIn(-2, 2, B, C, H / CELL, W / CELL);
            Tensor mask = mask();
            new GradCheck().eps(1e-3).samples(40).check("weighted latent MSE",
                    in -> m.maskLatentLoss(in[0], target, mask), pred);
        }
    }
}
