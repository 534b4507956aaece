package ai.diffiml.model.diffiml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Device;
import ai.diffiml.optim.AdamW;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.Rand;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The whole training path in training mode (drop-path, BatchNorm batch statistics) on a small model: gradients
 * reach every trainable part but the frozen LightVAE, and a few AdamW steps on one batch lower the loss.
 */
class TrainingStepTest {
    static final ModelConfig SMALL = new ModelConfig("b0", 64, 128, 128, 4, 32, 1e-6f, 1e-5f, 0.1, 1000, 8, 1,
            0.1f, 0.2f, true);

    @Test
    void adamwStepsOnOneBatchLowerTheLoss() {
        try (DiffIml model = new DiffIml(SMALL, Device.CPU).init(11); Scope s = Scope.open()) {
            Map<String, Tensor> trainable = new LinkedHashMap<>();
            model.namedParameters().forEach((name, p) -> {
                boolean frozen = name.startsWith("vae.");
                p.requiresGrad(!frozen);
                if (!frozen) {
                    trainable.put(name, p);
                }
            });
            Rand r = new Rand(12);
            Tensor image = r.tensor(2, 3, 64, 64);
            float[] mask = new float[2 * 64 * 64], edge = new float[mask.length];
            for (int i = 0; i < mask.length; i++) {
                int y = (i / 64) % 64, x = i % 64;
                boolean inside = y >= 16 && y < 40 && x >= 20 && x < 50;
                mask[i] = inside ? 1 : 0;
                boolean border = inside && (y < 19 || y >= 37 || x < 23 || x >= 47);
                edge[i] = border ? 1 : 0;
            }
            Tensor mask01 = Tensor.of(Device.CPU, mask, 2, 1, 64, 64), edge01 = Tensor.of(Device.CPU, edge, 2, 1, 64, 64);
            Tensor xi = r.tensor(2, 8, 8, 8), eps = r.tensor(2, 8, 8, 8);
            int[] t = {300, 700};
            float first = 0, last = 0;
            try (AdamW opt = new AdamW(AdamW.decayGroups(trainable, 0.05f), 2e-3f)) {
                for (int step = 0; step < 6; step++) {
                    try (Scope stepScope = Scope.open()) {
                        DiffIml.Loss loss = model.loss(image, mask01, edge01, t, xi, eps);
                        float value = loss.total().item();
                        if (step == 0) {
                            first = value;
                            Tape.backward(loss.total());
                            trainable.forEach((name, p) -> assertNotNull(p.grad(), "no gradient for " + name));
                            model.namedParameters().forEach((name, p) -> {
                                if (name.startsWith("vae.")) {
                                    assertNull(p.grad(), "the frozen LightVAE got a gradient: " + name);
                                }
                            });
                        } else {
                            Tape.backward(loss.total());
                        }
                        last = value;
                        opt.step();
                        opt.zeroGrad();
                    }
                }
            }
            assertEquals(0, Tape.size());
            assertTrue(Float.isFinite(first) && last < 0.8f * first, "loss went from " + first + " to " + last);
        }
    }
}
