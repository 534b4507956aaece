package ai.diffiml.ops;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Backends;
import ai.diffiml.backend.Blas;
import ai.diffiml.backend.Device;
import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.LinalgKernels;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;

/**
 * 2-D convolution and transposed convolution over NCHW float32, dilation 1, with PyTorch's weight layouts and
 * output sizes. General convolutions run as im2col + GEMM (native im2col / col2im, BLAS GEMM per group, batched
 * over images); depthwise ones (groups == in channels == out channels) run on a direct kernel, since per-channel
 * GEMMs of a few taps are slow. The col buffer is bounded by {@link #colBudget()} floats: images are batched into
 * it while they fit, and a bigger image is processed in bands of output rows. The buffer is the calling thread's
 * {@link Workspace}, reused across calls.
 *
 * <p>A transposed convolution is the adjoint of a convolution, so both are written with the same three
 * primitives on one geometry (see {@link Geometry}): the forward map img -> out (im2col + GEMM), its adjoint
 * out -> img (GEMM + col2im), and the weight gradient (GEMM of out by im2col(img)).
 */
public final class Conv {
    private Conv() {}

    /**
     * When the direct CPU kernels are used instead of im2col + GEMM: the 3x3 stride-1 kernel
     * ({@code diffiml/conv3x3.h}) and the 7x7 kernel of the patch embeddings ({@code diffiml/conv7x7.h}), where they
     * measured faster ({@link #direct3x3Wins}, {@link #direct7x7Wins}: auto), for every layer they support (on), or
     * never (off: the im2col reference). System property {@code diffiml.conv.direct}.
     */
    public enum Direct { AUTO, ON, OFF }

    private static volatile Direct direct = Direct.valueOf(
            System.getProperty("diffiml.conv.direct", "auto").toUpperCase(java.util.Locale.ROOT));
    private static volatile Boolean directSupported;

    /** Chooses when CPU convolutions take the direct kernels instead of im2col + GEMM. */
    public static void direct(Direct mode) {
        direct = mode;
    }

    public static Direct direct() {
        return direct;
    }

    /** Whether this CPU runs the direct kernels (AVX-512F). */
    public static boolean directSupported() {
        Boolean s = directSupported;
        if (s == null) {
            s = LinalgKernels.dml_conv3x3_supported() == 1 && LinalgKernels.dml_conv7x7_supported() == 1;
            directSupported = s;
        }
        return s;
    }

    /**
     * Where the direct 3x3 kernel beats im2col + GEMM (measured, see benchmarks/RESULTS.md): layers with few channels
     * on a grid of at least 32x32 (the noise stem's 32-channel convs at 128x128, the auxiliary read-out's 64-channel
     * conv at 32x32), whose col buffer is 9x the input and bound by memory; with many channels the GEMM is faster.
     */
    static boolean direct3x3Wins(int c, int o, int h, int w) {
        return c <= 64 && o <= 64 && (long) h * w >= 32 * 32;
    }

    /**
     * Where the direct 7x7 kernel beats im2col + GEMM (measured, see benchmarks/RESULTS.md, on the MiT-b0's first
     * patch embedding 3 -> 32 and the noise stem's projection 32 -> 32 from 128x128): up to 64 channels in and out.
     */
    static boolean direct7x7Wins(int c, int o) {
        return c <= 64 && o <= 64;
    }

    /** Which kernel a convolution takes. */
    enum Path { IM2COL, DEPTHWISE, DIRECT3X3, DIRECT7X7 }

    static Path path(Device dev, int c, int o, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw,
            int groups) {
        if (groups == c && o == c) {
            return Path.DEPTHWISE;
        }
        Direct mode = direct;
        if (mode == Direct.OFF || dev != Device.CPU || groups != 1 || kh != kw || sh != sw || ph != pw
                || !directSupported()) {
            return Path.IM2COL;
        }
        if (kh == 3 && sh == 1 && ph == 1 && (mode == Direct.ON || direct3x3Wins(c, o, h, w))) {
            return Path.DIRECT3X3;
        }
        if (kh == 7 && ph < 7 && (mode == Direct.ON || direct7x7Wins(c, o))) {
            return Path.DIRECT7X7;
        }
        return Path.IM2COL;
    }

    private static final long DEFAULT_COL_BUDGET = 1L << 24; // floats (64 MiB) of im2col buffer per call
    private static volatile long colBudget = DEFAULT_COL_BUDGET;

    /** How many floats one convolution may use for its im2col buffer. */
    public static long colBudget() {
        return colBudget;
    }

    /** Sets the im2col buffer budget in floats (at least 1; a band is never less than one output row). */
    public static void colBudget(long floats) {
        if (floats < 1) {
            throw new IllegalArgumentException("colBudget: " + floats + " floats");
        }
        colBudget = floats;
    }

    /** {@link #conv2d(Tensor, Tensor, Tensor, int, int, int, int, int)} with square stride and padding. */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding, int groups) {
        return conv2d(x, w, bias, stride, stride, padding, padding, groups);
    }

    /** {@link #conv2d(Tensor, Tensor, Tensor, int, int, int, int, int)} with square stride and padding, groups 1. */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding) {
        return conv2d(x, w, bias, stride, stride, padding, padding, 1);
    }

    /**
     * PyTorch's {@code conv2d}: x [N, C, H, W], w [O, C/groups, kh, kw], bias [O] or null -> y [N, O, OH, OW] with
     * OH = (H + 2 padH - kh) / strideH + 1 (floor), likewise OW; zero padding. Input channel block g of C/groups
     * channels feeds output block g of O/groups channels.
     */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW,
            int groups) {
        requireOperands("conv2d", x, w, bias);
        int c = x.dim(1), o = w.dim(0);
        if (groups < 1 || c % groups != 0 || o % groups != 0 || w.dim(1) != c / groups) {
            throw new IllegalArgumentException("conv2d: weight " + Shapes.str(w.shape()) + " does not fit input "
                    + Shapes.str(x.shape()) + " with groups " + groups + " (expected [O, C/groups, kh, kw] with C and"
                    + " O divisible by groups)");
        }
        requireBias("conv2d", bias, o);
        Geometry g = new Geometry("conv2d", x.dim(0), c, x.dim(2), x.dim(3), o, w.dim(2), w.dim(3), strideH, strideW,
                padH, padW, groups);
        Device dev = x.device();
        String what = "conv2d " + x.describe() + ", " + w.describe() + " " + g;
        Tensor y = Tensor.empty(dev, g.n, o, g.oh, g.ow);
        Path path = path(dev, c, o, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, groups);
        long bAddr = bias == null ? 0 : bias.address();
        switch (path) {
            case DIRECT3X3 -> Native.check(LinalgKernels.dml_conv3x3_forward(dev.code, x.address(), w.address(),
                    bAddr, y.address(), g.n, c, g.h, g.w, o), what);
            case DIRECT7X7 -> Native.check(LinalgKernels.dml_conv7x7_forward(dev.code, x.address(), w.address(),
                    bAddr, y.address(), g.n, c, g.h, g.w, o, g.sh, g.ph), what);
            case DEPTHWISE -> Native.check(LinalgKernels.dml_depthwise_conv2d_forward(dev.code, x.address(),
                    w.address(), bAddr, y.address(), g.n, c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw), what);
            case IM2COL -> {
                if (bias != null) {
                    Gemm.broadcastBias(bias, y.address(), g.n, o, g.oh * g.ow);
                }
                g.forward(x, w, y, bias != null);
            }
        }
        if (Tape.wants(x, w, bias)) {
            Tape.record("conv2d", y, new Tensor[] {x, w, bias}, (dy, grads) -> {
                Tensor dx = grads.needs(0) ? Tensor.empty(dev, x.shape()) : null;
                Tensor dw = grads.needs(1) ? Tensor.empty(dev, w.shape()) : null;
                long dxAddr = dx == null ? 0 : dx.address(), dwAddr = dw == null ? 0 : dw.address();
                switch (path) {
                    case DIRECT3X3 -> {
                        if (dx != null) {
                            Native.check(LinalgKernels.dml_conv3x3_backward_data(dev.code, dy.address(), w.address(),
                                    dxAddr, g.n, c, g.h, g.w, o), what + " backward (input)");
                        }
                        if (dw != null) {
                            Native.check(LinalgKernels.dml_conv3x3_backward_weight(dev.code, x.address(),
                                    dy.address(), dwAddr, g.n, c, g.h, g.w, o), what + " backward (weight)");
                        }
                    }
                    case DIRECT7X7 -> {
                        if (dx != null) {
                            Native.check(LinalgKernels.dml_conv7x7_backward_data(dev.code, dy.address(), w.address(),
                                    dxAddr, g.n, c, g.h, g.w, o, g.sh, g.ph), what + " backward (input)");
                        }
                        if (dw != null) {
                            Native.check(LinalgKernels.dml_conv7x7_backward_weight(dev.code, x.address(),
                                    dy.address(), dwAddr, g.n, c, g.h, g.w, o, g.sh, g.ph),
                                    what + " backward (weight)");
                        }
                    }
                    case DEPTHWISE -> Native.check(LinalgKernels.dml_depthwise_conv2d_backward(dev.code, x.address(),
                            w.address(), dy.address(), dxAddr, dwAddr, g.n, c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph,
                            g.pw), what + " backward");
                    case IM2COL -> {
                        if (dx != null) {
                            dx.fill(0f);
                            g.adjoint(dy, w, dx);
                        }
                        if (dw != null) {
                            dw.fill(0f);
                            g.weightGrad(x, dy, dw);
                        }
                    }
                }
                if (dx != null) {
                    grads.add(0, dx);
                }
                if (dw != null) {
                    grads.add(1, dw);
                }
                if (grads.needs(2)) {
                    grads.add(2, Gemm.biasGrad(bias, dy, g.n, o, (long) g.oh * g.ow, what));
                }
            });
        }
        return y;
    }

    /**
     * PyTorch's {@code conv_transpose2d} with groups 1: x [N, Cin, H, W], w [Cin, Cout, kh, kw], bias [Cout] or
     * null -> y [N, Cout, OH, OW] with OH = (H - 1) stride - 2 padding + kh + outputPadding, likewise OW. It is the
     * gradient of conv2d with the same weight, stride and padding with respect to its input;
     * {@code 0 <= outputPadding < stride} picks which of the stride input sizes that map to H is meant.
     */
    public static Tensor convTranspose2d(Tensor x, Tensor w, Tensor bias, int stride, int padding,
            int outputPadding) {
        requireOperands("convTranspose2d", x, w, bias);
        int cin = x.dim(1), cout = w.dim(1);
        if (w.dim(0) != cin) {
            throw new IllegalArgumentException("convTranspose2d: weight " + Shapes.str(w.shape())
                    + " does not fit input " + Shapes.str(x.shape()) + " (expected [Cin, Cout, kh, kw])");
        }
        if (stride < 1 || padding < 0 || outputPadding < 0 || outputPadding >= stride) {
            throw new IllegalArgumentException("convTranspose2d: need stride >= 1, padding >= 0 and 0 <= outputPadding"
                    + " < stride, got stride " + stride + ", padding " + padding + ", outputPadding " + outputPadding);
        }
        requireBias("convTranspose2d", bias, cout);
        int kh = w.dim(2), kw = w.dim(3);
        int oh = (x.dim(2) - 1) * stride - 2 * padding + kh + outputPadding;
        int ow = (x.dim(3) - 1) * stride - 2 * padding + kw + outputPadding;
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException("convTranspose2d: output size " + oh + "x" + ow + " of input "
                    + Shapes.str(x.shape()) + " with kernel " + kh + "x" + kw + ", stride " + stride + ", padding "
                    + padding + " is empty");
        }
        // The convolution this is the transpose of: image y [N, Cout, OH, OW] -> x [N, Cin, H, W].
        Geometry g = new Geometry("convTranspose2d", x.dim(0), cout, oh, ow, cin, kh, kw, stride, stride, padding,
                padding, 1);
        if (g.oh != x.dim(2) || g.ow != x.dim(3)) {
            throw new IllegalStateException("convTranspose2d: geometry " + g + " does not map back to "
                    + Shapes.str(x.shape()));
        }
        Device dev = x.device();
        String what = "convTranspose2d " + x.describe() + ", " + w.describe() + " " + g;
        Tensor y = Tensor.empty(dev, g.n, cout, oh, ow);
        if (bias != null) {
            Gemm.broadcastBias(bias, y.address(), g.n, cout, oh * ow);
        } else {
            y.fill(0f);
        }
        g.adjoint(x, w, y);
        if (Tape.wants(x, w, bias)) {
            Tape.record("convTranspose2d", y, new Tensor[] {x, w, bias}, (dy, grads) -> {
                if (grads.needs(0)) {
                    Tensor dx = Tensor.empty(dev, x.shape());
                    g.forward(dy, w, dx, false);
                    grads.add(0, dx);
                }
                if (grads.needs(1)) {
                    Tensor dw = Tensor.zeros(dev, w.shape());
                    g.weightGrad(dy, x, dw);
                    grads.add(1, dw);
                }
                if (grads.needs(2)) {
                    grads.add(2, Gemm.biasGrad(bias, dy, g.n, cout, (long) oh * ow, what));
                }
            });
        }
        return y;
    }

    /** x and w of rank 4, nothing empty, everything on one device. */
    private static void requireOperands(String op, Tensor x, Tensor w, Tensor bias) {
        Shapes.requireRank(op + " input", x, 4);
        Shapes.requireRank(op + " weight", w, 4);
        Shapes.requireSameDevice(op, x, w, bias);
        Gemm.requireNonEmpty(op, x, w, bias);
    }

    private static void requireBias(String op, Tensor bias, int channels) {
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != channels)) {
            throw new IllegalArgumentException(op + ": bias " + Shapes.str(bias.shape()) + " does not match "
                    + channels + " output channels");
        }
    }

    /**
     * One convolution's geometry: image [n, c, h, w] -> out [n, o, oh, ow], kernel kh x kw, stride, padding,
     * groups; the weight is [o, c/groups * kh * kw] (row-major, o = groups blocks of og rows). The col buffer of
     * a band of {@code rows} output rows of {@code nb} images is [nb, K = c*kh*kw, rows*ow], group g's rows
     * being [g*kg, (g+1)*kg).
     */
    private static final class Geometry {
        final int n, c, h, w, o, kh, kw, sh, sw, ph, pw, groups, oh, ow, og, kg, bigK;
        final int imagesPerBand, rowsPerBand;

        Geometry(String op, int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw,
                int groups) {
            if (sh < 1 || sw < 1 || ph < 0 || pw < 0) {
                throw new IllegalArgumentException(op + ": need stride >= 1 and padding >= 0, got stride " + sh + "x"
                        + sw + ", padding " + ph + "x" + pw);
            }
            if (h + 2 * ph < kh || w + 2 * pw < kw) {
                throw new IllegalArgumentException(op + ": kernel " + kh + "x" + kw + " larger than the padded "
                        + (h + 2 * ph) + "x" + (w + 2 * pw) + " image");
            }
            this.n = n;
            this.c = c;
            this.h = h;
            this.w = w;
            this.o = o;
            this.kh = kh;
            this.kw = kw;
            this.sh = sh;
            this.sw = sw;
            this.ph = ph;
            this.pw = pw;
            this.groups = groups;
            this.oh = (h + 2 * ph - kh) / sh + 1;
            this.ow = (w + 2 * pw - kw) / sw + 1;
            this.og = o / groups;
            this.kg = c / groups * kh * kw;
            this.bigK = Math.toIntExact((long) c * kh * kw);
            long budget = colBudget;
            long perImage = (long) bigK * oh * ow;
            if (perImage <= budget) {
                imagesPerBand = (int) Math.min(n, budget / perImage);
                rowsPerBand = oh;
            } else {
                imagesPerBand = 1;
                rowsPerBand = (int) Math.max(1, Math.min(oh, budget / ((long) bigK * ow)));
            }
        }

        interface Band {
            void run(int n0, int nb, int row0, int rows, Tensor col);
        }

        /** Runs {@code body} over every band (images x output rows) with a col buffer (the thread's workspace). */
        void forEachBand(Device dev, Band body) {
            Tensor col = Workspace.scratch(dev, (long) imagesPerBand * bigK * rowsPerBand * ow);
            for (int n0 = 0; n0 < n; n0 += imagesPerBand) {
                int nb = Math.min(imagesPerBand, n - n0);
                for (int row0 = 0; row0 < oh; row0 += rowsPerBand) {
                    body.run(n0, nb, row0, Math.min(rowsPerBand, oh - row0), col);
                }
            }
        }

        void im2col(Tensor img, int n0, int nb, int row0, int rows, Tensor col) {
            Native.check(LinalgKernels.dml_im2col(img.device().code, Gemm.at(img, (long) n0 * c * h * w),
                    col.address(), nb, c, h, w, kh, kw, sh, sw, ph, pw, row0, rows), "im2col " + this);
        }

        /** out (+)= conv(img): im2col of each band, then per group W_g [og, kg] @ col_g [kg, rows*ow]. */
        void forward(Tensor img, Tensor wt, Tensor out, boolean accumulate) {
            Device dev = img.device();
            long outImage = (long) o * oh * ow;
            forEachBand(dev, (n0, nb, row0, rows, col) -> {
                im2col(img, n0, nb, row0, rows, col);
                int p = rows * ow;
                for (int gi = 0; gi < groups; gi++) {
                    gemmBands(dev, false, og, p, kg, Gemm.at(wt, (long) gi * og * kg), kg,
                            Gemm.at(col, (long) gi * kg * p), p, (long) bigK * p, accumulate ? 1f : 0f,
                            Gemm.at(out, n0 * outImage + (long) gi * og * oh * ow + (long) row0 * ow), oh * ow,
                            outImage, nb);
                }
            });
        }

        /** img += conv^T(out): per group col_g = W_g^T @ out_g, then col2im of each band. */
        void adjoint(Tensor out, Tensor wt, Tensor img) {
            Device dev = out.device();
            long outImage = (long) o * oh * ow;
            forEachBand(dev, (n0, nb, row0, rows, col) -> {
                int p = rows * ow;
                for (int gi = 0; gi < groups; gi++) {
                    gemmBands(dev, true, kg, p, og, Gemm.at(wt, (long) gi * og * kg), kg,
                            Gemm.at(out, n0 * outImage + (long) gi * og * oh * ow + (long) row0 * ow), oh * ow,
                            outImage, 0f, Gemm.at(col, (long) gi * kg * p), p, (long) bigK * p, nb);
                }
                Native.check(LinalgKernels.dml_col2im_accumulate(dev.code, col.address(),
                        Gemm.at(img, (long) n0 * c * h * w), nb, c, h, w, kh, kw, sh, sw, ph, pw, row0, rows),
                        "col2im " + this);
            });
        }

        /** dw += sum over images of out_g [og, rows*ow] @ col_g^T for every band. */
        void weightGrad(Tensor img, Tensor out, Tensor dw) {
            Device dev = img.device();
            Blas blas = Backends.blas(dev);
            forEachBand(dev, (n0, nb, row0, rows, col) -> {
                im2col(img, n0, nb, row0, rows, col);
                int p = rows * ow;
                for (int b = 0; b < nb; b++) {
                    for (int gi = 0; gi < groups; gi++) {
                        blas.gemm(false, true, og, kg, p, 1f,
                                Gemm.at(out, ((long) (n0 + b) * o + (long) gi * og) * oh * ow + (long) row0 * ow),
                                oh * ow, Gemm.at(col, ((long) b * bigK + (long) gi * kg) * p), p, 1f,
                                Gemm.at(dw, (long) gi * og * kg), kg);
                    }
                }
            });
        }

        /**
         * One GEMM per image of the band, the weight (A, not transposed, or transposed when {@code transA}) shared:
         * C[b] = op(A) @ B[b] + beta C[b].
         */
        private static void gemmBands(Device dev, boolean transA, int m, int n, int k, long a, int lda, long b,
                int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch) {
            Backends.blas(dev).gemmBatched(transA, false, m, n, k, 1f, a, lda, 0, b, ldb, strideB,
                    beta, c, ldc, strideC, batch);
        }

        @Override
        public String toString() {
            return "(kernel " + kh + "x" + kw + ", stride " + sh + "x" + sw + ", padding " + ph + "x" + pw
                    + ", groups " + groups + ")";
        }
    }
}
