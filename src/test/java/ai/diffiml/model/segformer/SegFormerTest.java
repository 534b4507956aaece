package ai.diffiml.model.segformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Device;
import ai.diffiml.model.DiceLoss;
import ai.diffiml.optim.AdamW;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The discriminative baseline: its Dice loss, its head's names and shapes, and that it trains. */
class SegFormerTest {
    @Test
    void diceOfHandComputedCases() {
        try (Scope s = Scope.open()) {
            // logits 0 -> p = 0.5 everywhere; target [1, 1, 0, 0]: 1 - (2 * 1 + 1) / (2 + 2 + 1) = 0.4.
            Tensor zero = Tensor.zeros(Device.CPU, 1, 1, 2, 2);
            Tensor target = Tensor.of(Device.CPU, new float[] {1, 1, 0, 0}, 1, 1, 2, 2);
            assertEquals(0.4f, DiceLoss.of(zero, target).item(), 1e-6f);
            // Confident and right: almost 0. Second image authentic and predicted empty: 1 - 1/1 = 0 exactly.
            Tensor logits = Tensor.of(Device.CPU, new float[] {30, 30, -30, -30, -30, -30, -30, -30}, 2, 1, 2, 2);
            Tensor t2 = Tensor.of(Device.CPU, new float[] {1, 1, 0, 0, 0, 0, 0, 0}, 2, 1, 2, 2);
            assertEquals(0f, DiceLoss.of(logits, t2).item(), 1e-6f);
            // Batch mean: image 1 all wrong (p ~ 1 on 2 authentic pixels, 0 on 2 tampered):
            // 1 - (0 + 1) / (2 + 2 + 1) = 0.8; image 2 as above 0.4 -> mean 0.6.
            Tensor mixed = Tensor.of(Device.CPU, new float[] {-30, -30, 30, 30, 0, 0, 0, 0}, 2, 1, 2, 2);
            Tensor t3 = Tensor.of(Device.CPU, new float[] {1, 1, 0, 0, 1, 1, 0, 0}, 2, 1, 2, 2);
            assertEquals(0.6f, DiceLoss.of(mixed, t3).item(), 1e-6f);
        }
    }

    @Test
    void diceGradientMatchesFiniteDifferences() {
        Rand r = new Rand(3);
        Tensor logits = r.param(3, 1, 4, 5);
        Tensor target = Tensor.of(Device.CPU, r.uniform(60, 0, 1), 3, 1, 4, 5);
        try {
            new GradCheck().eps(1e-2).check("dice", in -> DiceLoss.of(in[0], target), logits);
            Tensor a = r.param(4), b = Tensor.of(Device.CPU, r.uniform(4, 1, 2), 4).requiresGrad(true);
            new GradCheck().eps(1e-3).check("divide", in -> DiceLoss.divide(in[0], in[1]), a, b);
            a.close();
            b.close();
        } finally {
            logits.close();
            target.close();
        }
    }

    @Test
    void encoderStartsFromTheOriginalMixTransformerInitialisation() {
        try (SegFormer m = new SegFormer(SegFormer.Config.of("b0", 32), Device.CPU).init(5)) {
            Map<String, Tensor> p = m.namedParameters();
            String block = "segformer.encoder.block.0.0.";
            // linear: N(0, 0.02), bias 0
            assertEquals(0.02, std(p.get(block + "attention.self.query.weight").toArray()), 0.002);
            for (float v : p.get(block + "mlp.dense1.bias").toArray()) {
                assertEquals(0f, v);
            }
            // convolutions: He-normal over fan-out k*k*out/groups, bias 0
            assertEquals(Math.sqrt(2.0 / (7 * 7 * 32)), std(p.get("segformer.encoder.patch_embeddings.0.proj.weight")
                    .toArray()), Math.sqrt(2.0 / (7 * 7 * 32)) * 0.1);
            assertEquals(Math.sqrt(2.0 / 9), std(p.get(block + "mlp.dwconv.dwconv.weight").toArray()),
                    Math.sqrt(2.0 / 9) * 0.1);
            for (float v : p.get(block + "attention.self.sr.bias").toArray()) {
                assertEquals(0f, v);
            }
            for (float v : p.get(block + "layer_norm_1.weight").toArray()) {
                assertEquals(1f, v);
            }
        }
    }

    private static double std(float[] v) {
        double mean = 0, sq = 0;
        for (float x : v) {
            mean += x;
        }
        mean /= v.length;
        for (float x : v) {
            sq += (x - mean) * (x - mean);
        }
        return Math.sqrt(sq / v.length);
    }

    @Test
    void headHasHuggingFaceNamesAndShapes() {
        SegFormer.Config c = SegFormer.Config.of("b0", 64);
        assertEquals(256, c.decoderWidth());
        assertEquals(768, SegFormer.Config.of("b3", 512).decoderWidth());
        try (SegFormer m = new SegFormer(c, Device.CPU)) {
            Map<String, Tensor> params = m.namedParameters();
            assertArrayEquals(new int[] {256, 32}, params.get("decode_head.linear_c.0.proj.weight").shape());
            assertArrayEquals(new int[] {256, 256}, params.get("decode_head.linear_c.3.proj.weight").shape());
            assertArrayEquals(new int[] {256, 1024, 1, 1}, params.get("decode_head.linear_fuse.weight").shape());
            assertArrayEquals(new int[] {1, 256, 1, 1}, params.get("decode_head.classifier.weight").shape());
            assertNotNull(m.namedBuffers().get("decode_head.batch_norm.running_mean"));
            assertTrue(params.containsKey("segformer.encoder.patch_embeddings.0.proj.weight"));
            assertTrue(params.keySet().stream().noneMatch(k -> k.startsWith("decode_head.linear_fuse.bias")));
        }
    }

    @Test
    void gradientsReachEveryParameterAndAdamWLowersTheLoss() {
        try (SegFormer m = new SegFormer(SegFormer.Config.of("b0", 32), Device.CPU).init(5); Scope s = Scope.open()) {
            Rand r = new Rand(6);
            Tensor image = r.tensor(2, 3, 32, 32);
            float[] mask = new float[2 * 32 * 32];
            for (int i = 0; i < mask.length; i++) {
                int y = (i / 32) % 32, x = i % 32;
                mask[i] = y >= 5 && y < 20 && x >= 10 && x < 22 ? 1 : 0;
            }
            Tensor mask01 = Tensor.of(Device.CPU, mask, 2, 1, 32, 32);
            try (Scope first = Scope.open()) {
                Tensor logits = m.forward(image);
                assertArrayEquals(new int[] {2, 1, 32, 32}, logits.shape());
                Tape.clear();
            }
            float firstLoss = 0, last = 0;
            try (AdamW opt = new AdamW(AdamW.decayGroups(m.namedParameters(), 0.05f), 1e-3f)) {
                for (int step = 0; step < 6; step++) {
                    try (Scope st = Scope.open()) {
                        SegFormer.Loss l = m.loss(image, mask01);
                        float v = l.total().item();
                        assertEquals(v, l.bce().item() + l.dice().item(), 1e-5f);
                        Tape.backward(l.total());
                        if (step == 0) {
                            firstLoss = v;
                            m.namedParameters().forEach((n, p) -> assertNotNull(p.grad(), "no gradient for " + n));
                        }
                        last = v;
                        opt.step();
                        opt.zeroGrad();
                    }
                }
            }
            assertTrue(Float.isFinite(firstLoss) && last < 0.8f * firstLoss, "loss " + firstLoss + " -> " + last);
            m.train(false);
            Tensor p = m.predict(image);
            assertEquals(0, Tape.size());
            float[] v = p.toArray();
            for (float x : v) {
                assertTrue(x >= 0 && x <= 1, "probability " + x);
            }
        }
    }
}
