package ai.diffiml.model.diffiml;

import static ai.diffiml.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.backend.Device;
import ai.diffiml.model.NoiseStem;
import ai.diffiml.ops.Layout;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The anchored x0-prediction and the condition read-out start where their javadoc says. */
class AnchorTest {
    static final ModelConfig TINY = new ModelConfig("b0", 32, 32, 32, 4, 8, 1e-6f, 1e-5f, 0, 1000, 2, 1, 0.1f, 0.5f,
            false).withTraining("srm", 1f, 2f, 0.5f, false);

    @ParameterizedTest
    @EnumSource(AnchorForm.class)
    void anAnchoredModelStartsAtTheLatentOfItsAuxiliaryMap(AnchorForm form) {
        try (DiffIml m = new DiffIml(TINY.withAnchor(true, form, true), Device.CPU).init(4); Scope s = Scope.open();
                GradMode.Guard g = GradMode.disabled()) {
            m.train(false);
            Tensor image = new Rand(1).tensorIn(-1, 1, 2, 3, 32, 32);
            DiffIml.Condition f = m.conditioning(image);
            Tensor anchor = m.anchor(f, 32, 32);
            assertEquals(java.util.List.of(2, 8, 4, 4), java.util.Arrays.stream(anchor.shape()).boxed().toList());
            Tensor p = ai.diffiml.ops.Activations.sigmoid(m.auxLogits(f, 32, 32));
            if (form == AnchorForm.RESIDUAL) { // the map thresholded at 0.5
                float[] v = p.toArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] = v[i] > 0.5f ? 1f : 0f;
                }
                p = Tensor.of(Device.CPU, v, p.shape());
            }
            float[] expectedMask = m.vae().encode(DiffIml.toSigned(p)).toArray();
            assertClose("anchor mask channels", Layout.slice(anchor, 1, 0, 4).copy().toArray(), toDouble(expectedMask),
                    1e-6);
            for (float v : Layout.slice(anchor, 1, 4, 4).copy().toArray()) {
                assertEquals(0f, v); // no anchor for the edge latent
            }
            // The UNet's output conv starts at zero: the prediction is the anchor, at any t and noisy input.
            Tensor y = new Rand(2).tensorIn(-2, 2, 2, 8, 4, 4);
            Tensor x0 = m.denoise(y, new int[] {875, 125}, f.feature(), anchor);
            assertClose("x0 at the start", x0.toArray(), toDouble(anchor.toArray()), 1e-6);
        }
    }

    @Test
    void withoutAnAnchorThereIsNone() {
        try (DiffIml m = new DiffIml(TINY, Device.CPU).init(4); Scope s = Scope.open()) {
            assertNull(m.anchor(m.conditioning(new Rand(1).tensorIn(-1, 1, 1, 3, 32, 32)), 32, 32));
        }
    }

    @Test
    void theResidualFormDenoisesTheInputCentredOnTheAnchorAndTheGatedFormScalesTheUnetsShare() {
        for (AnchorForm form : AnchorForm.values()) {
            try (DiffIml m = new DiffIml(TINY.withAnchor(true, form, false), Device.CPU).init(4);
                    Scope s = Scope.open(); GradMode.Guard g = GradMode.disabled()) {
                m.train(false);
                Tensor c = m.condition(new Rand(1).tensorIn(-1, 1, 2, 3, 32, 32));
                Tensor w = m.unet().namedParameters().get("conv_out.weight");
                w.copyFrom(new Rand(3).uniform(w.numel(), -0.5, 0.5)); // a UNet whose output is not zero
                Tensor y = new Rand(2).tensorIn(-2, 2, 2, 8, 4, 4);
                Tensor anchor = new Rand(4).tensorIn(-1, 1, 2, 8, 4, 4);
                int[] t = {875, 125};
                float[] yv = y.toArray(), a = anchor.toArray();
                int perSample = yv.length / 2;
                float[] input = yv.clone();
                if (form == AnchorForm.RESIDUAL) {
                    for (int i = 0; i < input.length; i++) {
                        input[i] -= (float) Math.sqrt(m.schedule().alphaCumprod(t[i / perSample])) * a[i];
                    }
                }
                float[] unet = m.unet().forward(Tensor.of(Device.CPU, input, y.shape()), t, c).toArray();
                float[] x0 = m.denoise(y, t, c, anchor).toArray();
                double[] expected = new double[x0.length];
                for (int i = 0; i < x0.length; i++) {
                    double share = form == AnchorForm.RESIDUAL ? 1
                            : Math.sqrt(m.schedule().alphaCumprod(t[i / perSample]));
                    expected[i] = a[i] + share * unet[i];
                }
                assertClose("x0, " + form.label, x0, expected, 1e-5);
            }
        }
    }

    @Test
    void theDetailReadOutAddsTheStemsFullResolutionFeaturesToTheUpsampledMap() {
        try (DiffIml m = new DiffIml(TINY.withAnchor(true, AnchorForm.RESIDUAL, true), Device.CPU).init(4);
                Scope s = Scope.open(); GradMode.Guard g = GradMode.disabled()) {
            m.train(false);
            DiffIml.Condition c = m.conditioning(new Rand(1).tensorIn(-1, 1, 2, 3, 32, 32));
            assertEquals(java.util.List.of(2, NoiseStem.DEFAULT_WIDTH, 32, 32),
                    java.util.Arrays.stream(c.detail().shape()).boxed().toList());
            float[] withDetail = m.auxLogits(c, 32, 32).toArray();
            m.namedParameters().forEach((name, p) -> {
                if (name.startsWith("aux_detail.")) {
                    p.fill(0f);
                }
            });
            float[] upsampledOnly = ai.diffiml.ops.Resize.bilinear(auxOf(m, c.feature()), 32, 32).toArray();
            assertClose("without the detail weights", m.auxLogits(c, 32, 32).toArray(), toDouble(upsampledOnly),
                    1e-6);
            double differs = 0;
            for (int i = 0; i < withDetail.length; i++) {
                differs = Math.max(differs, Math.abs(withDetail[i] - upsampledOnly[i]));
            }
            assertTrue(differs > 1e-3, "the detail features change the map, by " + differs);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.auxLogits(DiffIml.Condition.of(c.feature()), 32, 32));
            assertTrue(e.getMessage().contains("noise stem's features"), e.getMessage());
        }
    }

    @Test
    void anUntrainedUnetsSampledMapIsTheDecodedAnchorWithoutItsCalls() {
        try (DiffIml m = new DiffIml(TINY.withAnchor(true, AnchorForm.RESIDUAL, true), Device.CPU).init(4);
                Scope s = Scope.open(); GradMode.Guard g = GradMode.disabled()) {
            m.train(false);
            Tensor image = new Rand(3).tensorIn(-1, 1, 2, 3, 32, 32);
            DiffIml.Sampling one = new DiffIml.Sampling(8, 1, false, 5);
            Tensor shortcut = m.untrainedUnetPrediction(image, one);
            // the same floats as the 8-step chain, whose x0-predictions are all the anchor
            org.junit.jupiter.api.Assertions.assertArrayEquals(m.predict(image, one).toArray(), shortcut.toArray());
            assertNull(m.untrainedUnetPrediction(image, new DiffIml.Sampling(8, 2, false, 5)), "two members");
            assertNull(m.untrainedUnetPrediction(image, new DiffIml.Sampling(8, 1, true, 5)), "flip TTA");
            // once the UNet's output conv has moved, sampling must run
            m.namedParameters().get("unet.conv_out.bias").fill(1e-3f);
            assertNull(m.untrainedUnetPrediction(image, one), "a trained UNet");
        }
        try (DiffIml m = new DiffIml(TINY.withAnchor(true, AnchorForm.GATED, true), Device.CPU).init(4);
                Scope s = Scope.open()) {
            assertNull(m.untrainedUnetPrediction(new Rand(3).tensorIn(-1, 1, 1, 3, 32, 32),
                    new DiffIml.Sampling(8, 1, false, 5)), "the gated form");
        }
    }

    private static Tensor auxOf(DiffIml m, Tensor feature) {
        Tensor w = m.namedParameters().get("aux_head.weight");
        Tensor b = m.namedParameters().get("aux_head.bias");
        return ai.diffiml.ops.Conv.conv2d(feature, w, b, 1, 0, 1);
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
