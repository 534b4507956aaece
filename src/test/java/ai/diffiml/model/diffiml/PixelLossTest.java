package ai.diffiml.model.diffiml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.Rand;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The segmentation loss on the decoded x0-prediction ({@link ModelConfig#pixelWeight}). */
class PixelLossTest {
    private static final ModelConfig ANCHORED = AnchorTest.TINY.withAnchor(true, AnchorForm.RESIDUAL, true);

    @Test
    void theTotalAddsTheWeightedLossOfTheDecodedPredictionAndItsGradientReachesTheUnetThroughTheFrozenDecoder() {
        float weight = 0.7f;
        try (DiffIml m = new DiffIml(ANCHORED.withPixelWeight(weight), Device.CPU).init(5); Scope s = Scope.open()) {
            m.train(true);
            m.vae().train(false);
            m.namedParameters().forEach((name, p) -> p.requiresGrad(!name.startsWith("vae.")));
            // A UNet whose output is not zero, so the decoded prediction is not the anchor's alone.
            Tensor w = m.unet().namedParameters().get("conv_out.weight");
            w.copyFrom(new Rand(3).uniform(w.numel(), -0.2, 0.2));
            Tensor image = new Rand(1).tensorIn(-1, 1, 2, 3, 32, 32);
            float[] maskValues = new float[2 * 32 * 32];
            for (int i = 0; i < 200; i++) {
                maskValues[i] = 1; // image 0 tampered at the top, image 1 authentic
            }
            Tensor mask = Tensor.of(Device.CPU, maskValues, 2, 1, 32, 32);
            Tensor edge = Tensor.zeros(Device.CPU, 2, 1, 32, 32);
            int[] t = {600, 40};
            Tensor xi = new Rand(6).tensorIn(-1, 1, 2, 8, 4, 4);
            Tensor eps = new Rand(7).tensorIn(-1, 1, 2, 8, 4, 4);
            DiffIml.Loss loss = m.loss(image, mask, edge, t, xi, eps);
            assertNotNull(loss.pixel());
            float seg = ANCHORED.segWeight();
            double expected = seg * loss.mask().item() + (1 - seg) * loss.edge().item()
                    + ANCHORED.auxWeight() * loss.aux().total().item() + weight * loss.pixel().total().item();
            assertEquals(expected, loss.total().item(), 1e-5 * Math.abs(expected));
            Tape.backward(loss.pixel().total());
            Map<String, Tensor> params = m.namedParameters();
            Tensor g = params.get("unet.conv_out.weight").grad();
            assertNotNull(g, "the decoded prediction's loss trains the UNet");
            double norm = 0;
            for (float v : g.toArray()) {
                norm += v * v;
            }
            assertTrue(norm > 0, "non-zero gradient at the UNet's output conv");
            params.forEach((name, p) -> {
                if (name.startsWith("vae.")) {
                    assertNull(p.grad(), name + " stays frozen");
                }
            });
            Tape.clear();
        }
    }

    @Test
    void withoutAWeightThereIsNoPixelTerm() {
        try (DiffIml m = new DiffIml(ANCHORED, Device.CPU).init(5); Scope s = Scope.open()) {
            DiffIml.Loss loss = m.loss(new Rand(1).tensorIn(-1, 1, 1, 3, 32, 32), Tensor.zeros(Device.CPU, 1, 1, 32, 32),
                    Tensor.zeros(Device.CPU, 1, 1, 32, 32), new int[] {100}, new Rand(2).tensorIn(-1, 1, 1, 8, 4, 4),
                    new Rand(3).tensorIn(-1, 1, 1, 8, 4, 4));
            assertNull(loss.pixel());
        }
    }
}
