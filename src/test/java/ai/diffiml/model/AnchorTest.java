package ai.diffiml.model;

import static ai.diffiml.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.backend.Device;
import ai.diffiml.ops.Layout;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;

/** The anchored x0-prediction and the condition read-out start where their javadoc says. */
class AnchorTest {
    static final ModelConfig TINY = new ModelConfig("b0", 32, 32, 32, 4, 8, 1e-6f, 1e-5f, 0, 1000, 2, 1, 0.1f, 0.5f,
            false).withTraining("srm", 1f, 2f, 0.5f, false);

    @Test
    void anAnchoredModelStartsAtTheLatentOfItsAuxiliaryMap() {
        try (DiffIml m = new DiffIml(TINY.withAuxAnchor(true), Device.CPU).init(4); Scope s = Scope.open();
                GradMode.Guard g = GradMode.disabled()) {
            m.train(false);
            Tensor image = new Rand(1).tensorIn(-1, 1, 2, 3, 32, 32);
            Tensor f = m.condition(image);
            Tensor anchor = m.anchor(f, 32, 32);
            assertEquals(java.util.List.of(2, 8, 4, 4), java.util.Arrays.stream(anchor.shape()).boxed().toList());
            float[] expectedMask = m.vae().encode(DiffIml.toSigned(ai.diffiml.ops.Activations.sigmoid(
                    m.auxLogits(f, 32, 32)))).toArray();
            assertClose("anchor mask channels", Layout.slice(anchor, 1, 0, 4).copy().toArray(), toDouble(expectedMask),
                    1e-6);
            for (float v : Layout.slice(anchor, 1, 4, 4).copy().toArray()) {
                assertEquals(0f, v); // no anchor for the edge latent
            }
            // The UNet's output conv starts at zero: the prediction is the anchor, at any t and noisy input.
            Tensor y = new Rand(2).tensorIn(-2, 2, 2, 8, 4, 4);
            Tensor x0 = m.denoise(y, new int[] {875, 125}, f, anchor);
            assertClose("x0 at the start", x0.toArray(), toDouble(anchor.toArray()), 1e-6);
        }
    }

    @Test
    void withoutAnAnchorThereIsNone() {
        try (DiffIml m = new DiffIml(TINY, Device.CPU).init(4); Scope s = Scope.open()) {
            assertNull(m.anchor(m.condition(new Rand(1).tensorIn(-1, 1, 1, 3, 32, 32)), 32, 32));
        }
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
