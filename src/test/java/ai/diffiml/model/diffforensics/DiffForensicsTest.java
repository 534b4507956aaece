package ai.diffiml.model.diffforensics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Device;
import ai.diffiml.ops.Losses;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.Rand;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Shapes, the frozen encoder of stage 1, gradients reaching every trained part in stage 2, the config's checks. */
class DiffForensicsTest {
    static final DiffForensics.Config CONFIG = DiffForensics.Config.paper("b0", 32).withDecoderWidth(8)
            .withNoiseStem("srm");

    @Test
    void headsHaveTheDocumentedShapes() {
        try (DiffForensics m = new DiffForensics(CONFIG, Device.CPU).init(1); Scope s = Scope.open()) {
            Tensor image = new Rand(2).tensorIn(-2, 2, 2, 3, 32, 32);
            assertArrayEquals(new int[] {2, 3, 32, 32}, m.predictNoise(image, new int[] {1, 999}).shape());
            DiffForensics.Prediction p = m.predict(image);
            assertArrayEquals(new int[] {2, 1, 32, 32}, p.probability().shape());
            assertArrayEquals(new int[] {2}, p.detection().shape());
            for (float v : p.detection().toArray()) {
                assertTrue(v > 0 && v < 1);
            }
        }
    }

    @Test
    void pretrainingLeavesTheEncoderWithoutGradients() {
        try (DiffForensics m = new DiffForensics(CONFIG, Device.CPU).init(3); Scope s = Scope.open()) {
            m.freezeEncoder(true);
            m.train(true);
            assertTrue(!m.encoder().isTraining(), "a frozen encoder stays in inference mode");
            Tensor image = new Rand(4).tensorIn(-2, 2, 2, 3, 32, 32);
            Tensor eps = new Rand(5).tensorIn(-1, 1, 2, 3, 32, 32);
            Tape.backward(Losses.mse(m.predictNoise(image, new int[] {10, 500}), eps));
            for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) {
                String k = e.getKey();
                boolean encoder = k.startsWith("segformer.") || k.startsWith("noise_stem.");
                boolean fineTuneHead = k.startsWith("seg_head.") || k.startsWith("edge_heads.")
                        || k.startsWith("cls_head.");
                if (encoder || fineTuneHead) {
                    assertNull(e.getValue().grad(), k + " must get no gradient in stage 1");
                } else {
                    assertNotNull(e.getValue().grad(), k + " must train in stage 1");
                }
            }
            Tape.clear();
            m.zeroGrad();
        }
    }

    @Test
    void fineTuningTrainsEncoderAndEveryHead() {
        try (DiffForensics m = new DiffForensics(CONFIG, Device.CPU).init(6); Scope s = Scope.open()) {
            m.train(true);
            Tensor image = new Rand(7).tensorIn(-2, 2, 2, 3, 32, 32);
            float[] mask = new float[2 * 32 * 32], edge = new float[2 * 32 * 32];
            for (int y = 8; y < 24; y++) {
                for (int x = 6; x < 20; x++) {
                    mask[y * 32 + x] = 1;
                    edge[y * 32 + x] = y == 8 || y == 23 || x == 6 || x == 19 ? 1 : 0;
                }
            }
            DiffForensics.Loss l = m.fineTune(image, Tensor.of(Device.CPU, mask, 2, 1, 32, 32),
                    Tensor.of(Device.CPU, edge, 2, 1, 32, 32), new boolean[] {true, false});
            double expected = 0.8 * (l.seg().item() + l.edge().item()) + 0.1 * l.clf().item();
            assertEquals(expected, l.total().item(), 1e-5);
            assertEquals(0.1 * l.segBce().item() + 0.9 * l.segDice().item(), l.seg().item(), 1e-5);
            Tape.backward(l.total());
            for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) {
                if (!e.getKey().startsWith("noise_head.")) {
                    assertNotNull(e.getValue().grad(), e.getKey() + " must train in stage 2");
                }
            }
            Tape.clear();
            m.zeroGrad();
        }
    }

    @Test
    void configRefusesWhatTheModelCannotBe() {
        assertThrows(IllegalArgumentException.class, () -> CONFIG.withDecoderWidth(12));
        assertThrows(IllegalArgumentException.class, () -> DiffForensics.Config.paper("b0", 100));
        assertThrows(IllegalArgumentException.class, () -> CONFIG.withPixelWeights(0f, 1f));
        assertThrows(IllegalArgumentException.class, () -> CONFIG.withNoiseStem("sobel"));
    }
}
