package ai.diffiml.ops;

import static ai.diffiml.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.DeviceParity;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConvTest {
    /** One conv2d case: x [n, c, h, w], weight [o, c/groups, kh, kw], stride, padding, groups. */
    record Case(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw, int groups) {
        int oh() {
            return (h + 2 * ph - kh) / sh + 1;
        }

        int ow() {
            return (w + 2 * pw - kw) / sw + 1;
        }

        Tensor conv(Tensor[] in) {
            return Conv.conv2d(in[0], in[1], in.length > 2 ? in[2] : null, sh, sw, ph, pw, groups);
        }

        Tensor[] params(Rand r, boolean bias) {
            Tensor x = r.param(n, c, h, w), wt = r.param(o, c / groups, kh, kw);
            return bias ? new Tensor[] {x, wt, r.param(o)} : new Tensor[] {x, wt};
        }
    }

    /** Odd sizes, strides 1/2/4, padding 0/1/2/3, kernels 1/3/5/7 (incl. MiT stage 1), groups 1/2/3/depthwise. */
    static final Case[] CASES = {
        new Case(2, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1),
        new Case(1, 3, 7, 9, 5, 3, 3, 2, 2, 0, 0, 1),
        new Case(2, 5, 7, 9, 3, 1, 1, 1, 1, 0, 0, 1),
        new Case(1, 3, 13, 11, 4, 7, 7, 4, 4, 3, 3, 1), // MiT stage-1 patch embedding: k7 s4 p3
        new Case(2, 4, 9, 7, 6, 3, 3, 2, 2, 1, 1, 2),
        new Case(1, 3, 7, 9, 6, 5, 5, 1, 1, 3, 3, 3),
        new Case(1, 3, 7, 9, 4, 3, 5, 2, 1, 1, 2, 1), // rectangular kernel, stride and padding
        new Case(2, 5, 7, 9, 5, 3, 3, 1, 1, 1, 1, 5), // depthwise (MiT dwconv)
        new Case(1, 6, 8, 7, 6, 3, 3, 2, 2, 1, 1, 6), // depthwise, stride 2
        new Case(1, 4, 9, 7, 4, 7, 5, 1, 2, 3, 0, 4), // depthwise, k7x5, rectangular stride and padding
        new Case(2, 3, 11, 37, 3, 5, 5, 1, 1, 2, 2, 3), // depthwise 5x5 (the SRM filters): rows past two vectors
        new Case(1, 4, 6, 21, 4, 3, 7, 2, 1, 1, 4, 4), // depthwise, row stride 2, padding wider than half the kernel
    };

    /** Direct convolution in double: y[b,o,r,q] = bias[o] + sum_{ci in group, i, j} w[o,ci,i,j] x[b,ci,r*sh-ph+i,q*sw-pw+j]. */
    static double[] conv2dReference(Case k, float[] x, float[] wt, float[] bias) {
        int oh = k.oh(), ow = k.ow(), cg = k.c / k.groups, og = k.o / k.groups;
        double[] y = new double[k.n * k.o * oh * ow];
        for (int b = 0; b < k.n; b++) {
            for (int o = 0; o < k.o; o++) {
                int g = o / og;
                for (int r = 0; r < oh; r++) {
                    for (int q = 0; q < ow; q++) {
                        double acc = bias == null ? 0 : bias[o];
                        for (int cl = 0; cl < cg; cl++) {
                            int ci = g * cg + cl;
                            for (int i = 0; i < k.kh; i++) {
                                for (int j = 0; j < k.kw; j++) {
                                    int ih = r * k.sh - k.ph + i, iw = q * k.sw - k.pw + j;
                                    if (ih >= 0 && ih < k.h && iw >= 0 && iw < k.w) {
                                        acc += (double) wt[((o * cg + cl) * k.kh + i) * k.kw + j]
                                                * x[((b * k.c + ci) * k.h + ih) * k.w + iw];
                                    }
                                }
                            }
                        }
                        y[((b * k.o + o) * oh + r) * ow + q] = acc;
                    }
                }
            }
        }
        return y;
    }

    /**
     * PyTorch's ConvTranspose2d by its scatter definition: every input pixel (ih, iw) adds x * w[ci, co] into the
     * kh x kw window whose top-left corner is (ih*s - p, iw*s - p) of the [oh, ow] output; what falls outside is
     * cut away.
     */
    static double[] convTransposeReference(float[] x, int n, int cin, int h, int w, float[] wt, int cout, int kh,
            int kw, float[] bias, int s, int p, int oh, int ow) {
        double[] y = new double[n * cout * oh * ow];
        for (int b = 0; b < n; b++) {
            for (int co = 0; co < cout; co++) {
                for (int idx = 0; idx < oh * ow; idx++) {
                    y[(b * cout + co) * oh * ow + idx] = bias == null ? 0 : bias[co];
                }
            }
            for (int ci = 0; ci < cin; ci++) {
                for (int ih = 0; ih < h; ih++) {
                    for (int iw = 0; iw < w; iw++) {
                        double xv = x[((b * cin + ci) * h + ih) * w + iw];
                        for (int co = 0; co < cout; co++) {
                            for (int i = 0; i < kh; i++) {
                                for (int j = 0; j < kw; j++) {
                                    int r = ih * s - p + i, q = iw * s - p + j;
                                    if (r >= 0 && r < oh && q >= 0 && q < ow) {
                                        y[((b * cout + co) * oh + r) * ow + q] +=
                                                xv * wt[((ci * cout + co) * kh + i) * kw + j];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return y;
    }

    /** Runs {@code body} with the im2col budget set to {@code floats}, restoring it afterwards. */
    static void withColBudget(long floats, Runnable body) {
        long saved = Conv.colBudget();
        Conv.colBudget(floats);
        try {
            body.run();
        } finally {
            Conv.colBudget(saved);
        }
    }

    @Test
    void conv2dMatchesDirectDoubleLoops() {
        Rand r = new Rand(1);
        for (Case k : CASES) {
            for (boolean bias : new boolean[] {true, false}) {
                try (Scope s = Scope.open()) {
                    Tensor[] in = k.params(r, bias);
                    Tensor y = k.conv(in);
                    assertArrayEquals(new int[] {k.n, k.o, k.oh(), k.ow()}, y.shape(), k.toString());
                    double[] expected = conv2dReference(k, in[0].toArray(), in[1].toArray(),
                            bias ? in[2].toArray() : null);
                    assertClose(k + " bias " + bias, y.toArray(), expected, 1e-5);
                }
            }
        }
    }

    /** Budgets that force one output row per band, then several images but not all of them per band. */
    @ParameterizedTest
    @CsvSource({"1", "300"})
    void conv2dInBandsMatchesDirectDoubleLoops(long budget) {
        Rand r = new Rand(2);
        withColBudget(budget, () -> {
            for (Case k : new Case[] {new Case(3, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1),
                    new Case(3, 4, 9, 7, 6, 3, 3, 2, 2, 1, 1, 2)}) {
                try (Scope s = Scope.open()) {
                    Tensor[] in = k.params(r, true);
                    assertClose(k + " budget " + budget, k.conv(in).toArray(),
                            conv2dReference(k, in[0].toArray(), in[1].toArray(), in[2].toArray()), 1e-5);
                }
            }
        });
    }

    @Test
    void conv2dGradientsMatchFiniteDifferences() {
        Rand r = new Rand(3);
        GradCheck gc = new GradCheck().samples(24);
        for (Case k : CASES) {
            try (Scope s = Scope.open()) {
                gc.check(k.toString(), k::conv, k.params(r, true));
            }
        }
    }

    @Test
    void conv2dGradientsInBandsMatchFiniteDifferences() {
        Rand r = new Rand(4);
        withColBudget(100, () -> {
            for (Case k : new Case[] {new Case(3, 3, 7, 9, 4, 3, 3, 1, 1, 1, 1, 1),
                    new Case(2, 4, 9, 7, 6, 3, 3, 2, 2, 1, 1, 2)}) {
                try (Scope s = Scope.open()) {
                    new GradCheck().samples(24).check(k + " in bands", k::conv, k.params(r, true));
                }
            }
        });
    }

    /** The LightVAE decoder's upsampler: k3 s2 p1 with output padding 1 doubles the size. */
    @Test
    void convTransposeStride2Padding1OutputPadding1MatchesPyTorchSemantics() {
        try (Scope s = Scope.open()) {
            // Hand-worked example (x 2x2, w = 1..9): PyTorch's ConvTranspose2d(1, 1, 3, 2, 1, 1) gives this 4x4.
            Tensor x = Tensor.of(Device.CPU, new float[] {1, 2, 3, 4}, 1, 1, 2, 2);
            Tensor w = Tensor.of(Device.CPU, new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);
            Tensor y = Conv.convTranspose2d(x, w, null, 2, 1, 1);
            assertArrayEquals(new int[] {1, 1, 4, 4}, y.shape());
            assertArrayEquals(new float[] {5, 14, 10, 12, 14, 36, 24, 30, 15, 34, 20, 24, 24, 55, 32, 36},
                    y.toArray());

            Rand r = new Rand(5);
            int n = 2, cin = 3, h = 5, wd = 7, cout = 4;
            Tensor xr = r.tensor(n, cin, h, wd), wr = r.tensor(cin, cout, 3, 3), b = r.tensor(cout);
            Tensor yr = Conv.convTranspose2d(xr, wr, b, 2, 1, 1);
            assertArrayEquals(new int[] {n, cout, 2 * h, 2 * wd}, yr.shape());
            assertClose("convTranspose2d k3 s2 p1 op1", yr.toArray(), convTransposeReference(xr.toArray(), n, cin, h,
                    wd, wr.toArray(), cout, 3, 3, b.toArray(), 2, 1, 2 * h, 2 * wd), 1e-5);
        }
    }

    /** (n, cin, h, w, cout, k, stride, padding, outputPadding). */
    @ParameterizedTest
    @CsvSource({"2, 3, 5, 7, 4, 3, 2, 1, 1", "1, 4, 4, 3, 3, 4, 2, 1, 0", "2, 3, 3, 5, 5, 3, 1, 0, 0",
        "1, 2, 3, 4, 3, 5, 3, 2, 2", "1, 3, 4, 5, 2, 2, 2, 0, 0"})
    void convTransposeMatchesScatterDefinition(int n, int cin, int h, int w, int cout, int k, int stride, int pad,
            int outPad) {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(6);
            Tensor x = r.tensor(n, cin, h, w), wt = r.tensor(cin, cout, k, k), b = r.tensor(cout);
            int oh = (h - 1) * stride - 2 * pad + k + outPad, ow = (w - 1) * stride - 2 * pad + k + outPad;
            Tensor y = Conv.convTranspose2d(x, wt, b, stride, pad, outPad);
            assertArrayEquals(new int[] {n, cout, oh, ow}, y.shape());
            double[] expected = convTransposeReference(x.toArray(), n, cin, h, w, wt.toArray(), cout, k, k,
                    b.toArray(), stride, pad, oh, ow);
            assertClose("convTranspose2d", y.toArray(), expected, 1e-5);
            withColBudget(1, () -> assertClose("convTranspose2d in bands",
                    Conv.convTranspose2d(x, wt, b, stride, pad, outPad).toArray(), expected, 1e-5));
        }
    }

    /** conv_transpose2d is the adjoint of conv2d: <conv2d(a, w), z> == <a, convTranspose2d(z, w)>. */
    @Test
    void convTransposeIsTheAdjointOfConv2d() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(7);
            Tensor a = r.tensor(2, 4, 10, 14), w = r.tensor(3, 4, 3, 3);
            Tensor ya = Conv.conv2d(a, w, null, 2, 1);
            assertArrayEquals(new int[] {2, 3, 5, 7}, ya.shape());
            Tensor z = r.tensor(2, 3, 5, 7);
            Tensor tz = Conv.convTranspose2d(z, w, null, 2, 1, 1);
            assertEquals(dot(ya.toArray(), z.toArray()), dot(a.toArray(), tz.toArray()), 1e-4);
        }
    }

    @Test
    void convTransposeGradientsMatchFiniteDifferences() {
        Rand r = new Rand(8);
        GradCheck gc = new GradCheck().samples(24);
        int[][] cases = {{2, 3, 3, 4, 2, 3, 2, 1, 1}, {1, 2, 4, 3, 3, 4, 2, 1, 0}, {1, 3, 3, 3, 2, 5, 3, 2, 2}};
        for (int[] c : cases) {
            try (Scope s = Scope.open()) {
                Tensor x = r.param(c[0], c[1], c[2], c[3]), w = r.param(c[1], c[4], c[5], c[5]), b = r.param(c[4]);
                gc.check("convTranspose2d " + java.util.Arrays.toString(c),
                        in -> Conv.convTranspose2d(in[0], in[1], in[2], c[6], c[7], c[8]), x, w, b);
            }
        }
        withColBudget(1, () -> {
            try (Scope s = Scope.open()) {
                Tensor x = r.param(2, 3, 3, 4), w = r.param(3, 2, 3, 3), b = r.param(2);
                gc.check("convTranspose2d in bands", in -> Conv.convTranspose2d(in[0], in[1], in[2], 2, 1, 1), x, w,
                        b);
            }
        });
    }

    /** The im2col workspace is reused across calls of different sizes and can be released in between. */
    @Test
    void resultsDoNotDependOnWorkspaceReuseOrRelease() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(11);
            Case small = new Case(1, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1), big = new Case(2, 6, 15, 13, 4, 5, 5, 1, 1, 2, 2, 1);
            Tensor[] in = small.params(r, true), bigIn = big.params(r, false);
            Workspace.release();
            float[] fresh = small.conv(in).toArray();
            big.conv(bigIn);
            assertArrayEquals(fresh, small.conv(in).toArray(), "after a bigger convolution");
            Workspace.release();
            assertArrayEquals(fresh, small.conv(in).toArray(), "after release");
            assertClose("after release", fresh, conv2dReference(small, in[0].toArray(), in[1].toArray(),
                    in[2].toArray()), 1e-5);
        }
    }

    @Test
    void badShapesAreRejectedNamingTheOp() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(9);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Conv.conv2d(r.tensor(1, 4, 5, 5), r.tensor(2, 3, 3, 3), null, 1, 1));
            assertTrue(e.getMessage().contains("conv2d") && e.getMessage().contains("[2, 3, 3, 3]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Conv.conv2d(r.tensor(1, 4, 5, 5), r.tensor(6, 2, 3, 3), null, 1, 1, 1, 1, 3));
            assertTrue(e.getMessage().contains("groups 3"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Conv.conv2d(r.tensor(1, 2, 2, 2), r.tensor(2, 2, 5, 5), null, 1, 0));
            assertTrue(e.getMessage().contains("larger than the padded"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Conv.conv2d(r.tensor(1, 2, 5, 5), r.tensor(3, 2, 3, 3), r.tensor(2), 1, 1));
            assertTrue(e.getMessage().contains("bias"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Conv.convTranspose2d(r.tensor(1, 2, 4, 4), r.tensor(2, 3, 3, 3), null, 2, 1, 2));
            assertTrue(e.getMessage().contains("outputPadding"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Conv.convTranspose2d(r.tensor(1, 2, 4, 4), r.tensor(3, 2, 3, 3), null, 2, 1, 1));
            assertTrue(e.getMessage().contains("convTranspose2d"), e.getMessage());
        }
    }

    @CudaTest
    void cudaMatchesCpuOnOddShapes() {
        Rand r = new Rand(10);
        Case[] cases = {new Case(2, 5, 17, 13, 7, 3, 3, 1, 1, 1, 1, 1), new Case(2, 3, 29, 31, 8, 7, 7, 4, 4, 3, 3, 1),
            new Case(1, 6, 15, 11, 9, 3, 3, 2, 2, 1, 1, 3), new Case(2, 37, 19, 13, 37, 3, 3, 1, 1, 1, 1, 37),
            new Case(1, 9, 14, 11, 9, 5, 3, 2, 1, 2, 1, 9)};
        for (Case k : cases) {
            try (Scope s = Scope.open()) {
                DeviceParity.check(k.toString(), k::conv, k.params(r, true));
            }
        }
        withColBudget(500, () -> {
            try (Scope s = Scope.open()) {
                Case k = new Case(3, 5, 17, 13, 6, 3, 3, 1, 1, 1, 1, 1);
                DeviceParity.check(k + " in bands", k::conv, k.params(r, true));
            }
        });
        try (Scope s = Scope.open()) {
            DeviceParity.check("convTranspose2d k3 s2 p1 op1",
                    in -> Conv.convTranspose2d(in[0], in[1], in[2], 2, 1, 1), r.param(2, 5, 9, 7),
                    r.param(5, 3, 3, 3), r.param(3));
            DeviceParity.check("convTranspose2d k4 s2 p1", in -> Conv.convTranspose2d(in[0], in[1], in[2], 2, 1, 0),
                    r.param(1, 4, 7, 5), r.param(4, 6, 4, 4), r.param(6));
        }
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
