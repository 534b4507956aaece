package ai.diffiml.model.diffiml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.Rand;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The diffusion objective's gradient stopped at the condition feature ({@link ModelConfig#detachCondition}). */
class DetachedConditionTest {
    private static final ModelConfig ANCHORED = AnchorTest.TINY.withAnchor(true, AnchorForm.RESIDUAL, true);

    @Test
    void detachedTheDiffusionTermsTrainTheUnetButNotTheEncoderAndTheLossIsTheSame() {
        double[] losses = new double[2];
        for (int k = 0; k < 2; k++) {
            boolean detached = k == 1;
            try (DiffIml m = new DiffIml(ANCHORED.withDetachedCondition(detached), Device.CPU).init(5);
                    Scope s = Scope.open()) {
                m.train(false); // BatchNorm on running statistics: both runs compute the same loss
                m.namedParameters().forEach((name, p) -> p.requiresGrad(!name.startsWith("vae.")));
                Tensor w = m.unet().namedParameters().get("conv_out.weight");
                w.copyFrom(new Rand(3).uniform(w.numel(), -0.2, 0.2));
                DiffIml.Loss l = m.loss(new Rand(1).tensorIn(-1, 1, 2, 3, 32, 32), Tensor.zeros(Device.CPU, 2, 1, 32, 32),
                        Tensor.zeros(Device.CPU, 2, 1, 32, 32), new int[] {600, 40},
                        new Rand(6).tensorIn(-1, 1, 2, 8, 4, 4), new Rand(7).tensorIn(-1, 1, 2, 8, 4, 4));
                losses[k] = l.mask().item();
                Tape.backward(l.mask());
                Map<String, Tensor> p = m.namedParameters();
                assertTrue(norm(p.get("unet.conv_out.weight").grad()) > 0, "the UNet learns");
                double encoder = norm(p.get("segformer.encoder.patch_embeddings.0.proj.weight").grad())
                        + norm(p.get("cond.linear_fuse.0.weight").grad());
                if (detached) {
                    assertEquals(0, encoder, "no diffusion gradient reaches the encoder and the condition head");
                } else {
                    assertTrue(encoder > 0, "the diffusion objective trains the encoder");
                }
                Tape.clear();
            }
        }
        assertEquals(losses[0], losses[1], 1e-6 * Math.abs(losses[0]), "detaching changes no value");
    }

    @Test
    void detachingNeedsTheAuxiliaryHead() {
        ModelConfig noAux = new ModelConfig("b0", 32, 32, 32, 4, 8, 1e-6f, 1e-5f, 0, 1000, 2, 1, 0.1f, 0.5f, false);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> noAux.withDetachedCondition(true)).getMessage()
                .contains("detachCondition needs the auxiliary head"));
    }

    private static double norm(Tensor g) {
        if (g == null) {
            return 0;
        }
        double n = 0;
        for (float v : g.toArray()) {
            n += v * v;
        }
        return n;
    }
}
