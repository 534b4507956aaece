package ai.diffiml.model.diffiml;

import static ai.diffiml.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.backend.Device;
import ai.diffiml.ops.Arithmetic;
import ai.diffiml.ops.Resize;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;

/** The auxiliary head's read-out of the encoder at 1/4 resolution ({@link ModelConfig#auxFine}). */
class FineReadoutTest {
    private static final ModelConfig PLAIN = AnchorTest.TINY.withAnchor(true, AnchorForm.RESIDUAL, true);
    private static final ModelConfig FINE = PLAIN.withAuxFine(true);

    @Test
    void theFineLogitsSitOnTheFirstStagesGridAndAddToTheHeadsMapAndAModelWithoutThemHasNone() {
        try (DiffIml m = new DiffIml(FINE, Device.CPU).init(4); DiffIml plain = new DiffIml(PLAIN, Device.CPU).init(4);
                Scope s = Scope.open(); GradMode.Guard g = GradMode.disabled()) {
            m.train(false);
            plain.train(false);
            Tensor image = new Rand(1).tensorIn(-1, 1, 2, 3, 32, 32);
            DiffIml.Condition c = m.conditioning(image);
            assertEquals(java.util.List.of(2, 1, 8, 8), java.util.Arrays.stream(c.fine().shape()).boxed().toList());
            assertNull(plain.conditioning(image).fine());
            // The same seed draws the other weights as before, so the rest of the head is the plain model's.
            m.namedParameters().forEach((name, p) -> {
                if (!name.startsWith("aux_fine.")) {
                    assertClose(name, p.toArray(), plain.namedParameters().get(name).toArray(), 0);
                }
            });
            float[] expected = Arithmetic.add(plain.auxLogits(plain.conditioning(image), 32, 32),
                    Resize.bilinear(c.fine(), 32, 32)).toArray();
            assertClose("head + fine read-out", m.auxLogits(c, 32, 32).toArray(), expected, 1e-5);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.auxLogits(new DiffIml.Condition(c.feature(), c.detail(), null), 32, 32));
            assertTrue(e.getMessage().contains("reads the encoder at 1/4"), e.getMessage());
            // Shuffling conditions moves the fine logits with the rest.
            DiffIml.Condition swapped = c.permuted(new int[] {1, 0});
            assertClose("permuted fine logits", ai.diffiml.ops.Layout.slice(swapped.fine(), 0, 0, 1).copy().toArray(),
                    ai.diffiml.ops.Layout.slice(c.fine(), 0, 1, 1).copy().toArray(), 0);
        }
    }

    @Test
    void itsGradientsMatchFiniteDifferencesAndTheAuxiliaryLossTrainsIt() {
        for (int convs : new int[] {0, 2}) {
            FineReadout r = new FineReadout(Device.CPU, 12, convs);
            r.init(new ai.diffiml.nn.Init(3));
            r.train(false);
            try (Scope s = Scope.open()) {
                Tensor x = new Rand(2).tensorIn(-1, 1, 2, 12, 3, 5).requiresGrad(true);
                // A small step: a pre-activation within a step of 1e-2 of the ReLU kink would blur the differences.
                new GradCheck().eps(3e-3).check("fine read-out, " + convs + " 3x3 layers", in -> r.forward(in[0]), x);
            }
            r.close();
        }
        try (DiffIml m = new DiffIml(FINE, Device.CPU).init(4); Scope s = Scope.open()) {
            m.train(true);
            m.namedParameters().forEach((name, p) -> p.requiresGrad(!name.startsWith("vae.")));
            float[] mask = new float[2 * 32 * 32];
            for (int i = 0; i < 300; i++) {
                mask[i] = 1;
            }
            DiffIml.Loss l = m.auxiliaryLoss(new Rand(1).tensorIn(-1, 1, 2, 3, 32, 32),
                    Tensor.of(Device.CPU, mask, 2, 1, 32, 32));
            ai.diffiml.autograd.Tape.backward(l.total());
            Tensor grad = m.namedParameters().get("aux_fine.fuse.weight").grad();
            assertNotNull(grad, "the auxiliary loss trains the fine read-out");
            double norm = 0;
            for (float v : grad.toArray()) {
                norm += v * v;
            }
            assertTrue(norm > 0);
            ai.diffiml.autograd.Tape.clear();
        }
    }

    @Test
    void itsThreeByThreeLayersSeeTheNeighboursAndAReadOutWithoutThemDrawsWhatItDrewBefore() {
        ModelConfig deep = FINE.withAuxFineConvs(2);
        try (DiffIml m = new DiffIml(deep, Device.CPU).init(4); DiffIml flat = new DiffIml(FINE, Device.CPU).init(4);
                Scope s = Scope.open(); GradMode.Guard g = GradMode.disabled()) {
            java.util.Map<String, Tensor> p = m.namedParameters();
            assertEquals(java.util.List.of(64, 64, 3, 3),
                    java.util.Arrays.stream(p.get("aux_fine.convs.1.weight").shape()).boxed().toList());
            assertNotNull(p.get("aux_fine.norms.1.weight"));
            assertNull(flat.namedParameters().get("aux_fine.convs.0.weight"));
            // The 3x3 layers are drawn last: every other weight is the flat read-out's.
            flat.namedParameters().forEach((name, w) -> assertClose(name, w.toArray(), p.get(name).toArray(), 0));
        }
        // A 1x1 read-out's logit at a cell depends on that cell alone; with a 3x3 layer on its neighbours too.
        for (int convs : new int[] {0, 1}) {
            FineReadout r = new FineReadout(Device.CPU, 6, convs);
            r.init(new ai.diffiml.nn.Init(5));
            r.train(false);
            try (Scope s = Scope.open(); GradMode.Guard g = GradMode.disabled()) {
                float[] x = new Rand(3).tensorIn(-1, 1, 1, 6, 5, 5).toArray();
                float[] before = r.forward(Tensor.of(Device.CPU, x, 1, 6, 5, 5)).toArray();
                x[2 * 5 + 1] += 5f; // channel 0, cell (2, 1): the left neighbour of (2, 2)
                float[] after = r.forward(Tensor.of(Device.CPU, x, 1, 6, 5, 5)).toArray();
                boolean moved = Math.abs(after[2 * 5 + 2] - before[2 * 5 + 2]) > 1e-6;
                assertEquals(convs > 0, moved, convs + " 3x3 layers: the centre logit "
                        + (moved ? "moved" : "did not move"));
            }
            r.close();
        }
    }

    @Test
    void aFineReadOutNeedsTheAuxiliaryHead() {
        ModelConfig noAux = new ModelConfig("b0", 32, 32, 32, 4, 8, 1e-6f, 1e-5f, 0, 1000, 2, 1, 0.1f, 0.5f, false);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> noAux.withAuxFine(true)).getMessage()
                .contains("auxFine needs the auxiliary head"));
        ModelConfig flat = AnchorTest.TINY.withAnchor(true, AnchorForm.RESIDUAL, true);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> flat.withAuxFineConvs(1)).getMessage()
                .contains("auxFineConvs needs the read-out at 1/4 (auxFine)"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> flat.withAuxFine(true).withAuxFineConvs(5))
                .getMessage().contains("auxFineConvs must be in [0, 4], got 5"));
        assertEquals(0, flat.withAuxFine(true).auxFineConvs()); // and so are files written before the setting
    }
}
