package ai.diffiml.ops;

import static ai.diffiml.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.DeviceParity;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;

class ResizeTest {
    /** {inH, inW, outH, outW}: identity, integer and non-integer up- and downscaling, mixed per axis. */
    static final int[][] SIZES = {
        {5, 5, 5, 5}, {3, 4, 6, 8}, {4, 6, 2, 3}, {7, 5, 11, 3}, {9, 13, 4, 6}, {3, 7, 8, 16}, {6, 6, 5, 9}, {1, 3, 4, 2}
    };

    @Test
    void bilinearTwoByTwoToFourByFourMatchesHandComputedValues() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.of(Device.CPU, new float[] {1, 2, 3, 4}, 1, 1, 2, 2);
            // scale 0.5: source coordinates 0 (clamped from -0.25), 0.25, 0.75, 1.25 (upper tap clamped to 1).
            double[] expected = {
                1.0, 1.25, 1.75, 2.0,
                1.5, 1.75, 2.25, 2.5,
                2.5, 2.75, 3.25, 3.5,
                3.0, 3.25, 3.75, 4.0
            };
            Tensor y = Resize.bilinear(x, 4, 4);
            assertArrayEquals(new int[] {1, 1, 4, 4}, y.shape());
            assertClose("bilinear 2x2 -> 4x4", y.toArray(), expected, 1e-7);
        }
    }

    @Test
    void nearestTwoByTwoToThreeByThreeMatchesHandComputedValues() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.of(Device.CPU, new float[] {1, 2, 3, 4}, 1, 1, 2, 2);
            // scale 2/3: sources floor(0), floor(0.67), floor(1.33) = 0, 0, 1.
            double[] expected = {1, 1, 2, 1, 1, 2, 3, 3, 4};
            assertClose("nearest 2x2 -> 3x3", Resize.nearest(x, 3, 3).toArray(), expected, 0);
        }
    }

    @Test
    void nearestUsesPyTorchsSinglePrecisionSourceIndex() {
        // 2 -> 82: (float) 41 * (2f / 82) rounds to just below 1, so PyTorch reads source 0 where the exact
        // floor(41 * 2 / 82) would be 1. We follow PyTorch.
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.of(Device.CPU, new float[] {10, 20}, 1, 1, 1, 2);
            float[] y = Resize.nearest(x, 1, 82).toArray();
            assertEquals(10f, y[41]);
            assertEquals(20f, y[42]);
        }
    }

    @Test
    void forwardMatchesDoubleReferenceOnUpAndDownScaling() {
        Rand r = new Rand(1);
        for (int[] sz : SIZES) {
            try (Scope s = Scope.open()) {
                Tensor x = r.tensor(2, 3, sz[0], sz[1]);
                float[] xv = x.toArray();
                for (boolean bilinear : new boolean[] {true, false}) {
                    double[][] wy = weights(bilinear, sz[0], sz[2]), wx = weights(bilinear, sz[1], sz[3]);
                    double[] expected = apply(xv, 6, wy, wx);
                    Tensor y = bilinear ? Resize.bilinear(x, sz[2], sz[3]) : Resize.nearest(x, sz[2], sz[3]);
                    assertArrayEquals(new int[] {2, 3, sz[2], sz[3]}, y.shape());
                    assertClose((bilinear ? "bilinear " : "nearest ") + java.util.Arrays.toString(sz), y.toArray(),
                            expected, 1e-6);
                }
            }
        }
    }

    @Test
    void backwardMatchesTransposedReference() {
        Rand r = new Rand(2);
        for (int[] sz : SIZES) {
            for (boolean bilinear : new boolean[] {true, false}) {
                try (Scope s = Scope.open()) {
                    Tensor x = r.param(2, 3, sz[0], sz[1]);
                    Tensor y = bilinear ? Resize.bilinear(x, sz[2], sz[3]) : Resize.nearest(x, sz[2], sz[3]);
                    float[] g = r.uniform(y.numel(), -1, 1);
                    Tape.backward(y, Tensor.of(Device.CPU, g, y.shape()));
                    double[][] wy = weights(bilinear, sz[0], sz[2]), wx = weights(bilinear, sz[1], sz[3]);
                    double[] expected = applyTransposed(g, 6, wy, wx);
                    assertClose((bilinear ? "bilinear" : "nearest") + " backward " + java.util.Arrays.toString(sz),
                            x.grad().toArray(), expected, 1e-6);
                }
            }
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(3);
            GradCheck gc = new GradCheck();
            Tensor x = r.param(2, 3, 5, 7);
            gc.check("bilinear up", in -> Resize.bilinear(in[0], 8, 11), x);
            gc.check("bilinear down", in -> Resize.bilinear(in[0], 3, 4), x);
            gc.check("nearest up", in -> Resize.nearest(in[0], 9, 10), x);
            gc.check("nearest down", in -> Resize.nearest(in[0], 2, 5), x);
        }
    }

    @Test
    void rejectsBadShapes() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(4);
            assertThrows(IllegalArgumentException.class, () -> Resize.bilinear(r.tensor(3, 4, 5), 2, 2));
            assertThrows(IllegalArgumentException.class, () -> Resize.nearest(r.tensor(1, 3, 4, 5), 0, 2));
        }
    }

    @CudaTest
    void cudaMatchesCpuOnOddShapes() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(5);
            Tensor x = r.param(3, 5, 17, 13);
            DeviceParity.check("bilinear up", in -> Resize.bilinear(in[0], 31, 29), x);
            DeviceParity.check("bilinear down", in -> Resize.bilinear(in[0], 7, 5), x);
            DeviceParity.check("nearest up", in -> Resize.nearest(in[0], 35, 27), x);
            DeviceParity.check("nearest down", in -> Resize.nearest(in[0], 6, 9), x);
        }
    }

    /**
     * Dense interpolation matrix W[out][in] of one axis, from PyTorch's documented formulas: bilinear
     * (align_corners=False) src = max((dst + 0.5) * in / out - 0.5, 0) in double; nearest src = floor(dst * in /
     * out), with the product taken in float as PyTorch does.
     */
    static double[][] weights(boolean bilinear, int in, int out) {
        double[][] w = new double[out][in];
        for (int d = 0; d < out; d++) {
            if (bilinear) {
                double src = Math.max((d + 0.5) * in / out - 0.5, 0);
                int i0 = Math.min((int) Math.floor(src), in - 1);
                int i1 = Math.min(i0 + 1, in - 1);
                double l = src - i0;
                w[d][i0] += 1 - l;
                w[d][i1] += l;
            } else {
                w[d][Math.min((int) Math.floor((float) d * ((float) in / (float) out)), in - 1)] = 1;
            }
        }
        return w;
    }

    /** y[p] = Wy x[p] Wx^T for each of `planes` planes. */
    static double[] apply(float[] x, int planes, double[][] wy, double[][] wx) {
        int outH = wy.length, inH = wy[0].length, outW = wx.length, inW = wx[0].length;
        double[] y = new double[planes * outH * outW];
        for (int p = 0; p < planes; p++) {
            for (int oy = 0; oy < outH; oy++) {
                for (int ox = 0; ox < outW; ox++) {
                    double acc = 0;
                    for (int iy = 0; iy < inH; iy++) {
                        for (int ix = 0; ix < inW; ix++) {
                            acc += wy[oy][iy] * wx[ox][ix] * x[(p * inH + iy) * inW + ix];
                        }
                    }
                    y[(p * outH + oy) * outW + ox] = acc;
                }
            }
        }
        return y;
    }

    /** dx[p] = Wy^T g[p] Wx: the adjoint of {@link #apply}. */
    static double[] applyTransposed(float[] g, int planes, double[][] wy, double[][] wx) {
        return apply(g, planes, transpose(wy), transpose(wx));
    }

    static double[][] transpose(double[][] w) {
        double[][] t = new double[w[0].length][w.length];
        for (int i = 0; i < w.length; i++) {
            for (int j = 0; j < w[0].length; j++) {
                t[j][i] = w[i][j];
            }
        }
        return t;
    }
}
