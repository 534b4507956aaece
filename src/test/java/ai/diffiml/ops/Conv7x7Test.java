package ai.diffiml.ops;

import static ai.diffiml.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.LinalgKernels;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;

/**
 * The direct 7x7 convolution (native/cpu/conv7x7.cpp, CPU with AVX-512) against the im2col + GEMM path, which stays
 * the reference: forward, input, weight and bias gradients on strides 1 to 5, paddings 0 to 6, output widths that
 * are and are not multiples of the kernel's 8-column tiles, and channel counts that are and are not multiples of its
 * 16-lane vectors and 32-channel passes; each kernel called alone overwrites a NaN-filled output.
 */
class Conv7x7Test {
    static final ConvTest.Case[] CASES = {
        new ConvTest.Case(2, 3, 13, 11, 4, 7, 7, 4, 4, 3, 3, 1), // the MiT's first patch embedding, odd sizes
        new ConvTest.Case(1, 32, 40, 36, 32, 7, 7, 4, 4, 3, 3, 1), // the noise stem's projection, a partial tile
        new ConvTest.Case(2, 20, 15, 17, 40, 7, 7, 2, 2, 2, 2, 1), // partial vectors, a second pass of 8 channels
        new ConvTest.Case(1, 5, 9, 8, 7, 7, 7, 1, 1, 0, 0, 1), // stride 1, no padding
        new ConvTest.Case(1, 2, 7, 7, 3, 7, 7, 3, 3, 0, 0, 1), // a 1x1 output
        new ConvTest.Case(1, 17, 12, 30, 33, 7, 7, 4, 4, 6, 6, 1), // the largest padding
        new ConvTest.Case(3, 1, 10, 23, 2, 7, 7, 5, 5, 1, 1, 1), // one input channel, stride 5
    };

    static final double TOL = Conv3x3Test.TOL;

    @Test
    void directMatchesIm2colGemmForwardAndGradients() {
        assumeTrue(Conv.directSupported(), "no AVX-512F on this CPU");
        Conv3x3Test.assertDirectMatchesIm2col(CASES, 21);
    }

    @Test
    void eachKernelOverwritesPoisonedOutput() {
        assumeTrue(Conv.directSupported(), "no AVX-512F on this CPU");
        Rand r = new Rand(22);
        for (ConvTest.Case k : CASES) {
            Conv3x3Test.Inputs in = Conv3x3Test.Inputs.random(r, k);
            float[][] ref = Conv3x3Test.run(Conv.Direct.OFF, k, in);
            try (Scope s = Scope.open()) {
                Tensor xt = Tensor.of(Device.CPU, in.x(), k.n(), k.c(), k.h(), k.w());
                Tensor wt = Tensor.of(Device.CPU, in.w(), k.o(), k.c(), 7, 7);
                Tensor bt = Tensor.of(Device.CPU, in.b(), k.o());
                Tensor g = Tensor.of(Device.CPU, in.dy(), k.n(), k.o(), k.oh(), k.ow());
                Tensor y = Tensor.empty(Device.CPU, k.n(), k.o(), k.oh(), k.ow()).fill(Float.NaN);
                Tensor dx = Tensor.empty(Device.CPU, k.n(), k.c(), k.h(), k.w()).fill(Float.NaN);
                Tensor dw = Tensor.empty(Device.CPU, k.o(), k.c(), 7, 7).fill(Float.NaN);
                Native.check(LinalgKernels.dml_conv7x7_forward(0, xt.address(), wt.address(), bt.address(),
                        y.address(), k.n(), k.c(), k.h(), k.w(), k.o(), k.sh(), k.ph()), "y");
                Native.check(LinalgKernels.dml_conv7x7_backward_data(0, g.address(), wt.address(), dx.address(),
                        k.n(), k.c(), k.h(), k.w(), k.o(), k.sh(), k.ph()), "dx");
                Native.check(LinalgKernels.dml_conv7x7_backward_weight(0, xt.address(), g.address(), dw.address(),
                        k.n(), k.c(), k.h(), k.w(), k.o(), k.sh(), k.ph()), "dw");
                assertClose(k + " y kernel", y.toArray(), ref[0], TOL);
                assertClose(k + " dx kernel", dx.toArray(), ref[1], TOL);
                assertClose(k + " dw kernel", dw.toArray(), ref[2], TOL);
            }
        }
    }

    @Test
    void directGradientsMatchFiniteDifferences() {
        assumeTrue(Conv.directSupported(), "no AVX-512F on this CPU");
        Rand r = new Rand(23);
        Conv3x3Test.with(Conv.Direct.ON, () -> {
            for (ConvTest.Case k : new ConvTest.Case[] {CASES[0], CASES[4]}) {
                try (Scope s = Scope.open()) {
                    new GradCheck().samples(24).check(k + " direct 7x7", k::conv, k.params(r, true));
                }
            }
        });
    }

    @Test
    void kernelsRejectBadGeometry() {
        assumeTrue(Conv.directSupported(), "no AVX-512F on this CPU");
        // padding 7 is outside the kernel's support; a 3x3 input without padding is smaller than the kernel
        assertNotEquals(0, LinalgKernels.dml_conv7x7_forward(0, 0, 0, 0, 0, 1, 1, 9, 9, 1, 1, 7));
        assertNotEquals(0, LinalgKernels.dml_conv7x7_forward(0, 0, 0, 0, 0, 1, 1, 3, 3, 1, 1, 0));
        assertNotEquals(0, LinalgKernels.dml_conv7x7_backward_data(0, 0, 0, 0, 1, 1, 9, 9, 1, 0, 3));
        assertNotEquals(0, LinalgKernels.dml_conv7x7_backward_weight(1, 0, 0, 0, 1, 1, 9, 9, 1, 1, 3)); // not CPU
    }

    @Test
    void autoTakesTheDirectKernelForThePatchEmbeddings() {
        assumeTrue(Conv.directSupported(), "no AVX-512F on this CPU");
        Conv3x3Test.with(Conv.Direct.AUTO, () -> {
            assertEquals(Conv.Path.DIRECT7X7, Conv.path(Device.CPU, 32, 32, 128, 128, 7, 7, 4, 4, 3, 3, 1));
            assertEquals(Conv.Path.IM2COL, Conv.path(Device.CPU, 32, 32, 128, 128, 7, 5, 4, 4, 3, 3, 1));
        });
        Conv3x3Test.with(Conv.Direct.OFF, () ->
                assertEquals(Conv.Path.IM2COL, Conv.path(Device.CPU, 32, 32, 128, 128, 7, 7, 4, 4, 3, 3, 1)));
    }
}
