package ai.diffiml.optim;

import static ai.diffiml.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.backend.jni.RuntimeKernels;
import ai.diffiml.optim.AdamW.ParamGroup;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.Close;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.DeviceParity;
import ai.diffiml.testing.Rand;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * AdamW against an independent double-precision implementation of the update rule, over several steps. The
 * optimiser is not a differentiable op (it updates leaves in place outside the tape), so there is no gradient
 * check; the CUDA kernel is checked against the CPU one on odd sizes.
 */
class AdamWTest {
    private static final double TOL = 1e-6;

    /** AdamW in double, written from the textbook form: p -= lr*wd*p; ...; p -= lr * mhat / (sqrt(vhat) + eps). */
    static final class Reference {
        final double[] p;
        final double[] m;
        final double[] v;
        long t;

        Reference(float[] p0) {
            p = Close.toDouble(p0);
            m = new double[p0.length];
            v = new double[p0.length];
        }

        void step(float[] g, double lr, double wd, double b1, double b2, double eps) {
            t++;
            double bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
            for (int i = 0; i < p.length; i++) {
                p[i] -= lr * wd * p[i];
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * (double) g[i] * g[i];
                double mhat = m[i] / bc1, vhat = v[i] / bc2;
                p[i] -= lr * mhat / (Math.sqrt(vhat) + eps);
            }
        }
    }

    /** Named parameters of odd shapes: two that decay, three that do not (rank 1, or named ".bias"). */
    private static Map<String, Tensor> namedParams(Rand r) {
        Map<String, Tensor> named = new LinkedHashMap<>();
        named.put("block.proj.weight", r.param(7, 13));
        named.put("block.conv.weight", r.param(3, 5, 3, 3));
        named.put("block.proj.bias", r.param(13));
        named.put("block.norm.weight", r.param(13));
        named.put("pos_embed.bias", r.param(5, 9));
        return named;
    }

    private static void setGrad(Tensor p, float[] g) {
        Tensor t = Tensor.detachedEmpty(p.device(), p.shape());
        t.copyFrom(g);
        p.setGrad(t);
    }

    private static void assertMatches(String what, AdamW opt, Tensor p, Reference ref) {
        assertClose(what + " parameter", p.toArray(), ref.p, TOL);
        assertClose(what + " first moment", opt.state(p).expAvg().toArray(), ref.m, TOL);
        assertClose(what + " second moment", opt.state(p).expAvgSq().toArray(), ref.v, TOL);
        assertEquals(ref.t, opt.state(p).step(), what + " step count");
    }

    @Test
    void updatesMatchDoublePrecisionReferenceOverSeveralSteps() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(1);
            Map<String, Tensor> named = namedParams(r);
            float wd = 0.3f, lr = 0.01f; // a large decay: applying it to the wrong group cannot go unnoticed
            Map<String, Reference> refs = new LinkedHashMap<>();
            named.forEach((k, p) -> refs.put(k, new Reference(p.toArray())));
            try (AdamW opt = new AdamW(AdamW.decayGroups(named, wd), lr)) {
                for (int step = 1; step <= 6; step++) {
                    for (var e : named.entrySet()) {
                        float[] g = r.uniform(e.getValue().numel(), -1, 1);
                        setGrad(e.getValue(), g);
                        double decay = AdamW.decays(e.getKey(), e.getValue()) ? wd : 0;
                        refs.get(e.getKey()).step(g, lr, decay, AdamW.DEFAULT_BETA1, AdamW.DEFAULT_BETA2,
                                AdamW.DEFAULT_EPS);
                    }
                    opt.step();
                    opt.zeroGrad();
                    for (var e : named.entrySet()) {
                        assertMatches(e.getKey() + " after step " + step, opt, e.getValue(), refs.get(e.getKey()));
                    }
                }
                assertEquals(6, opt.stepCount());
            }
        }
    }

    @Test
    void decayGroupsLeaveBiasesAndNormWeightsUndecayed() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(2);
            Map<String, Tensor> named = namedParams(r);
            named.put("frozen.weight", r.tensor(4, 4)); // does not require grad: left out
            List<ParamGroup> groups = AdamW.decayGroups(named, 0.05f);
            assertEquals(2, groups.size());
            assertEquals(0.05f, groups.get(0).weightDecay());
            assertEquals(List.of(named.get("block.proj.weight"), named.get("block.conv.weight")),
                    groups.get(0).params());
            assertEquals(0f, groups.get(1).weightDecay());
            assertEquals(List.of(named.get("block.proj.bias"), named.get("block.norm.weight"),
                    named.get("pos_embed.bias")), groups.get(1).params());
        }
    }

    @Test
    void parameterWithoutGradientIsSkippedAndKeepsItsOwnStepCount() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(3);
            Tensor a = r.param(9, 11), b = r.param(23);
            Reference ra = new Reference(a.toArray()), rb = new Reference(b.toArray());
            float lr = 0.02f, wd = 0.1f;
            try (AdamW opt = new AdamW(List.of(ParamGroup.of("all", List.of(a, b), wd)), lr)) {
                for (int step = 1; step <= 4; step++) {
                    float[] ga = r.uniform(a.numel(), -1, 1);
                    setGrad(a, ga);
                    ra.step(ga, lr, wd, AdamW.DEFAULT_BETA1, AdamW.DEFAULT_BETA2, AdamW.DEFAULT_EPS);
                    boolean bHasGrad = step != 2 && step != 3;
                    float[] before = b.toArray(), mBefore = opt.state(b).expAvg().toArray();
                    if (bHasGrad) {
                        float[] gb = r.uniform(b.numel(), -1, 1);
                        setGrad(b, gb);
                        rb.step(gb, lr, wd, AdamW.DEFAULT_BETA1, AdamW.DEFAULT_BETA2, AdamW.DEFAULT_EPS);
                    }
                    opt.step();
                    opt.zeroGrad();
                    if (!bHasGrad) {
                        assertArrayEquals(before, b.toArray(), "b without gradient must not change (step " + step + ")");
                        assertArrayEquals(mBefore, opt.state(b).expAvg().toArray(), "b's moment must not change");
                    }
                    assertMatches("a after step " + step, opt, a, ra);
                    // At step 4, b's second update uses bias corrections for t = 2, not 4.
                    assertMatches("b after step " + step, opt, b, rb);
                }
                assertEquals(4, opt.state(a).step());
                assertEquals(2, opt.state(b).step());
            }
        }
    }

    @Test
    void learningRateChangesAndGroupMultipliersApplyFromTheNextStep() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(4);
            Tensor a = r.param(6, 17), b = r.param(3, 19);
            Reference ra = new Reference(a.toArray()), rb = new Reference(b.toArray());
            float[] lrs = {0.01f, 0.01f, 0.003f, 0.0005f};
            float scaleB = 0.25f, wd = 0.02f;
            List<ParamGroup> groups = List.of(ParamGroup.of("a", List.of(a), wd),
                    new ParamGroup("b", List.of(b), wd, scaleB));
            try (AdamW opt = new AdamW(groups, lrs[0], 0.8f, 0.99f, 1e-6f)) {
                for (float lr : lrs) {
                    opt.setLr(lr);
                    assertEquals(lr, opt.lr());
                    float[] ga = r.uniform(a.numel(), -1, 1), gb = r.uniform(b.numel(), -1, 1);
                    setGrad(a, ga);
                    setGrad(b, gb);
                    ra.step(ga, lr, wd, 0.8f, 0.99f, 1e-6f);
                    rb.step(gb, (double) lr * scaleB, wd, 0.8f, 0.99f, 1e-6f);
                    opt.step();
                    opt.zeroGrad();
                    assertMatches("a at lr " + lr, opt, a, ra);
                    assertMatches("b at lr " + lr + " x " + scaleB, opt, b, rb);
                }
            }
        }
    }

    @Test
    void zeroGradClosesGradientsAndCloseFreesTheMoments() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(5);
            Tensor a = r.param(4, 5);
            AdamW opt = new AdamW(List.of(ParamGroup.of("a", List.of(a), 0.01f)), 1e-3f);
            setGrad(a, r.uniform(a.numel(), -1, 1));
            Tensor g = a.grad();
            opt.step();
            opt.zeroGrad();
            assertNull(a.grad());
            assertTrue(g.isClosed(), "zeroGrad must free the gradient");
            AdamW.State state = opt.state(a);
            opt.close();
            assertTrue(state.expAvg().isClosed() && state.expAvgSq().isClosed(), "close must free the moments");
            assertThrows(IllegalStateException.class, opt::step);
            opt.close(); // idempotent
        }
    }

    @Test
    void rejectsInvalidArguments() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(6);
            Tensor a = r.param(3, 4), frozen = r.tensor(3, 4);
            List<ParamGroup> ok = List.of(ParamGroup.of("a", List.of(a), 0f));
            assertThrows(IllegalArgumentException.class, () -> new AdamW(ok, -1f));
            assertThrows(IllegalArgumentException.class, () -> new AdamW(ok, 1e-3f, 1f, 0.999f, 1e-8f));
            assertThrows(IllegalArgumentException.class, () -> new AdamW(ok, 1e-3f, 0.9f, 0.999f, 0f));
            assertThrows(IllegalArgumentException.class, () -> ParamGroup.of("neg", List.of(a), -0.1f));
            assertThrows(IllegalArgumentException.class,
                    () -> new AdamW(List.of(ParamGroup.of("f", List.of(frozen), 0f)), 1e-3f));
            assertThrows(IllegalArgumentException.class,
                    () -> new AdamW(List.of(ParamGroup.of("x", List.of(a), 0f), ParamGroup.of("y", List.of(a), 0f)),
                            1e-3f));
            assertThrows(IllegalArgumentException.class, () -> new AdamW(List.of(ParamGroup.of("e", List.of(), 0f)),
                    1e-3f));
            try (AdamW opt = new AdamW(ok, 1e-3f)) {
                a.setGrad(Tensor.detachedEmpty(Device.CPU, 5).fill(1f));
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, opt::step);
                assertTrue(e.getMessage().contains("[5]") && e.getMessage().contains("[3, 4]"), e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> opt.state(frozen));
                opt.zeroGrad();
            }
        }
    }

    /**
     * Three AdamW steps of two parameters (one decayed, one not; the first larger than 65536 elements so the
     * CPU kernel runs threaded) on CPU and CUDA; compares parameters and moments. Inputs: p1, p2, then the two
     * gradients of each step.
     */
    @CudaTest
    void cudaMatchesCpuOnOddShapes() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(7);
            int[] s1 = {257, 263}, s2 = {31};
            List<Tensor> inputs = new ArrayList<>(List.of(r.tensor(s1), r.tensor(s2)));
            for (int step = 0; step < 3; step++) {
                inputs.add(r.tensor(s1));
                inputs.add(r.tensor(s2));
            }
            DeviceParity.check("AdamW", AdamWTest::threeSteps, inputs.toArray(new Tensor[0]));
        }
    }

    /** Runs three steps from in[0], in[1] with gradients in[2..7]; returns p1, p2 and their moments, flattened. */
    private static Tensor threeSteps(Tensor[] in) {
        Tensor p1 = in[0].copy().requiresGrad(true), p2 = in[1].copy().requiresGrad(true);
        List<ParamGroup> groups = List.of(ParamGroup.of("decay", List.of(p1), 0.1f),
                new ParamGroup("no_decay", List.of(p2), 0f, 0.5f));
        try (AdamW opt = new AdamW(groups, 0.01f)) {
            for (int step = 0; step < 3; step++) {
                p1.setGrad(in[2 + 2 * step].copy());
                p2.setGrad(in[3 + 2 * step].copy());
                opt.step();
                opt.zeroGrad();
            }
            Tensor[] parts = {p1, p2, opt.state(p1).expAvg(), opt.state(p2).expAvg(), opt.state(p1).expAvgSq(),
                    opt.state(p2).expAvgSq()};
            return concat(parts);
        }
    }

    /** The elements of all tensors, one after the other, in a new 1-D tensor on their device. */
    static Tensor concat(Tensor... parts) {
        long total = 0;
        for (Tensor t : parts) {
            total += t.numel();
        }
        Tensor out = Tensor.empty(parts[0].device(), Math.toIntExact(total));
        long offset = 0;
        for (Tensor t : parts) {
            int dev = t.device().code;
            assertEquals(0, RuntimeKernels.dml_copy(dev, out.address() + 4 * offset, dev, t.address(), t.numel()));
            offset += t.numel();
        }
        return out;
    }
}
