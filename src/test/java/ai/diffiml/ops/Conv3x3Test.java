package ai.diffiml.ops;

import static ai.diffiml.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Device;
import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.LinalgKernels;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;

/**
 * The direct 3x3 convolution (native/cpu/conv3x3.cpp, CPU with AVX-512) against the im2col + GEMM path it replaces,
 * which stays the reference, and against the double-precision loops of {@link ConvTest}: forward, input, weight
 * and bias gradients, on widths that are and are not multiples of the kernel's 16-column vectors and 64-column
 * tiles, and channel counts that are and are not multiples of its 4-channel blocks.
 */
class Conv3x3Test {
    /** x [n, c, h, w] -> [n, o, h, w], 3x3, stride 1, padding 1. */
    static final ConvTest.Case[] CASES = {
        new ConvTest.Case(2, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1),
        new ConvTest.Case(1, 18, 6, 37, 32, 3, 3, 1, 1, 1, 1, 1), // the stem's conv1 widths, a partial vector
        new ConvTest.Case(2, 5, 3, 70, 6, 3, 3, 1, 1, 1, 1, 1), // a second 64-column tile of one partial vector
        new ConvTest.Case(3, 32, 9, 16, 32, 3, 3, 1, 1, 1, 1, 1), // the stem's conv2 widths, exact vectors
        new ConvTest.Case(1, 1, 1, 1, 1, 3, 3, 1, 1, 1, 1, 1),
        new ConvTest.Case(1, 2, 5, 4, 7, 3, 3, 1, 1, 1, 1, 1),
        new ConvTest.Case(2, 4, 70, 20, 5, 3, 3, 1, 1, 1, 1, 1), // three weight-gradient chunks of 32 rows, one partial
        new ConvTest.Case(1, 32, 40, 128, 32, 3, 3, 1, 1, 1, 1, 1), // the stem's real width, two chunks
    };

    /** 1e-5 relative (the kernels sum in float, in another order than the GEMM). */
    static final double TOL = 1e-5;

    static void with(Conv.Direct mode, Runnable body) {
        Conv.Direct saved = Conv.direct();
        Conv.direct(mode);
        try {
            body.run();
        } finally {
            Conv.direct(saved);
        }
    }

    /** Random inputs and output gradient of one case. */
    record Inputs(float[] x, float[] w, float[] b, float[] dy) {
        static Inputs random(Rand r, ConvTest.Case k) {
            return new Inputs(r.normal((long) k.n() * k.c() * k.h() * k.w()),
                    r.normal((long) k.o() * k.c() * k.kh() * k.kw()), r.normal(k.o()),
                    r.normal((long) k.n() * k.o() * k.oh() * k.ow()));
        }
    }

    /** y, dx, dw, db of one case under {@code mode}, for the given inputs and output gradient. */
    static float[][] run(Conv.Direct mode, ConvTest.Case k, Inputs in) {
        float[][] out = new float[4][];
        with(mode, () -> {
            try (Scope s = Scope.open()) {
                Tensor xt = Tensor.of(Device.CPU, in.x(), k.n(), k.c(), k.h(), k.w()).requiresGrad(true);
                Tensor wt = Tensor.of(Device.CPU, in.w(), k.o(), k.c(), k.kh(), k.kw()).requiresGrad(true);
                Tensor bt = Tensor.of(Device.CPU, in.b(), k.o()).requiresGrad(true);
                Tensor y = k.conv(new Tensor[] {xt, wt, bt});
                out[0] = y.toArray();
                Tape.backward(y, Tensor.of(Device.CPU, in.dy(), y.shape()));
                out[1] = xt.grad().toArray();
                out[2] = wt.grad().toArray();
                out[3] = bt.grad().toArray();
                xt.close();
                wt.close();
                bt.close();
            }
        });
        return out;
    }

    /** The direct path (on) against im2col + GEMM (off) and the double loops, every case, all four results. */
    static void assertDirectMatchesIm2col(ConvTest.Case[] cases, long seed) {
        Rand r = new Rand(seed);
        for (ConvTest.Case k : cases) {
            Inputs in = Inputs.random(r, k);
            float[][] ref = run(Conv.Direct.OFF, k, in);
            float[][] fast = run(Conv.Direct.ON, k, in);
            String[] what = {"y", "dx", "dw", "db"};
            for (int i = 0; i < 4; i++) {
                assertClose(k + " " + what[i], fast[i], ref[i], TOL);
            }
            assertClose(k + " y against double loops", fast[0], ConvTest.conv2dReference(k, in.x(), in.w(), in.b()),
                    TOL);
        }
    }

    @Test
    void directMatchesIm2colGemmForwardAndGradients() {
        assumeTrue(Conv.directSupported(), "no AVX-512F on this CPU");
        assertDirectMatchesIm2col(CASES, 11);
    }

    /** The weight-gradient kernel called on its own writes every element of a NaN-filled output. */
    @Test
    void directWeightGradientKernelOverwritesPoisonedOutput() {
        assumeTrue(Conv.directSupported(), "no AVX-512F on this CPU");
        Rand r = new Rand(13);
        for (ConvTest.Case k : CASES) {
            Inputs in = Inputs.random(r, k);
            float[][] ref = run(Conv.Direct.OFF, k, in);
            try (Scope s = Scope.open()) {
                Tensor xt = Tensor.of(Device.CPU, in.x(), k.n(), k.c(), k.h(), k.w());
                Tensor g = Tensor.of(Device.CPU, in.dy(), k.n(), k.o(), k.h(), k.w());
                Tensor dw = Tensor.empty(Device.CPU, k.o(), k.c(), 3, 3).fill(Float.NaN);
                Native.check(LinalgKernels.dml_conv3x3_backward_weight(0, xt.address(), g.address(), dw.address(),
                        k.n(), k.c(), k.h(), k.w(), k.o()), "dw");
                assertClose(k + " dw kernel", dw.toArray(), ref[2], TOL);
            }
        }
    }

    @Test
    void directGradientsMatchFiniteDifferences() {
        assumeTrue(Conv.directSupported(), "no AVX-512F on this CPU");
        Rand r = new Rand(12);
        with(Conv.Direct.ON, () -> {
            for (ConvTest.Case k : new ConvTest.Case[] {CASES[0], CASES[5]}) {
                try (Scope s = Scope.open()) {
                    new GradCheck().samples(24).check(k + " direct", k::conv, k.params(r, true));
                }
            }
        });
    }

    @Test
    void autoTakesTheDirectKernelOnlyForFewChannelsAtFullResolution() {
        assertTrue(Conv.direct3x3Wins(32, 32, 128, 128)); // the noise stem
        assertTrue(Conv.direct3x3Wins(18, 32, 128, 128));
        assertTrue(Conv.direct3x3Wins(64, 64, 32, 32)); // the auxiliary read-out at 1/4 of 128 px
        assertFalse(Conv.direct3x3Wins(128, 128, 64, 64)); // the paper UNet at 64x64 latents: GEMM
        assertFalse(Conv.direct3x3Wins(32, 32, 16, 16)); // small images: GEMM
    }
}
