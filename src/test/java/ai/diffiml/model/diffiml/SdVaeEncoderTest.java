package ai.diffiml.model.diffiml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Device;
import ai.diffiml.io.ModuleWeights;
import ai.diffiml.io.WeightFileException;
import ai.diffiml.nn.Init;
import ai.diffiml.nn.Module;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.Close;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.Rand;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The SD-VAE teacher encoder against an independent float64 re-implementation of diffusers' AutoencoderKL encoder
 * written here with naive loops (conv with explicit per-side padding, GroupNorm, SiLU, single-head attention),
 * at a tiny size: widths 8, 8, 16, 16, 4 groups, 2 ResNets per block. Tolerance 1e-4 norm-wise relative
 * ({@link Close}).
 */
class SdVaeEncoderTest {
    static final double TOL = 1e-4;
    static final SdVaeEncoder.Config TINY = new SdVaeEncoder.Config(3, new int[] {8, 8, 16, 16}, 2, 4, 4);

    /** A tiny encoder with PyTorch-default convs and random GroupNorm affines (so a swapped gamma/beta shows). */
    static SdVaeEncoder tiny(Device device, long seed) {
        SdVaeEncoder enc = new SdVaeEncoder(device, TINY).init(new Init(seed));
        Rand r = new Rand(seed + 1);
        for (Map.Entry<String, Tensor> e : enc.stateDict().entrySet()) {
            String n = e.getKey();
            if (n.contains("norm") && n.endsWith(".weight")) {
                e.getValue().copyFrom(r.uniform(e.getValue().numel(), 0.5, 1.5));
            } else if (n.contains("norm") && n.endsWith(".bias")) {
                e.getValue().copyFrom(r.uniform(e.getValue().numel(), -0.5, 0.5));
            }
        }
        return enc;
    }

    // ---------------------------------------------------------------- the float64 reference

    /** A [C, H, W] map in float64. */
    record Map3(double[] v, int c, int h, int w) {
        double at(int ch, int y, int x) {
            return v[(ch * h + y) * w + x];
        }
    }

    /** Reads weights by their diffusers names from a module's state dict. */
    record Ref(Map<String, Tensor> sd, int groups) {
        double[] w(String name) {
            Tensor t = sd.get(name);
            assertTrue(t != null, "no weight " + name);
            return Close.toDouble(t.toArray());
        }

        boolean has(String name) {
            return sd.containsKey(name);
        }

        /** Convolution with zero padding {@code top, left, bottom, right}. */
        Map3 conv(Map3 x, String name, int stride, int top, int left, int bottom, int right) {
            double[] wt = w(name + ".weight"), b = w(name + ".bias");
            int o = b.length, k = (int) Math.round(Math.sqrt(wt.length / (double) (o * x.c())));
            int oh = (x.h() + top + bottom - k) / stride + 1, ow = (x.w() + left + right - k) / stride + 1;
            double[] out = new double[o * oh * ow];
            for (int oc = 0; oc < o; oc++) {
                for (int y = 0; y < oh; y++) {
                    for (int xx = 0; xx < ow; xx++) {
                        double s = b[oc];
                        for (int ic = 0; ic < x.c(); ic++) {
                            for (int ky = 0; ky < k; ky++) {
                                int iy = y * stride + ky - top;
                                if (iy < 0 || iy >= x.h()) {
                                    continue;
                                }
                                for (int kx = 0; kx < k; kx++) {
                                    int ix = xx * stride + kx - left;
                                    if (ix >= 0 && ix < x.w()) {
                                        s += wt[((oc * x.c() + ic) * k + ky) * k + kx] * x.at(ic, iy, ix);
                                    }
                                }
                            }
                        }
                        out[(oc * oh + y) * ow + xx] = s;
                    }
                }
            }
            return new Map3(out, o, oh, ow);
        }

        Map3 groupNorm(Map3 x, String name) {
            double[] g = w(name + ".weight"), b = w(name + ".bias");
            int per = x.c() / groups, hw = x.h() * x.w();
            double[] out = new double[x.v().length];
            for (int gi = 0; gi < groups; gi++) {
                int from = gi * per * hw, to = (gi + 1) * per * hw;
                double mean = 0, var = 0;
                for (int i = from; i < to; i++) {
                    mean += x.v()[i];
                }
                mean /= to - from;
                for (int i = from; i < to; i++) {
                    var += (x.v()[i] - mean) * (x.v()[i] - mean);
                }
                var /= to - from;
                for (int i = from; i < to; i++) {
                    int ch = i / hw;
                    out[i] = (x.v()[i] - mean) / Math.sqrt(var + 1e-6) * g[ch] + b[ch];
                }
            }
            return new Map3(out, x.c(), x.h(), x.w());
        }

        static Map3 silu(Map3 x) {
            double[] out = new double[x.v().length];
            for (int i = 0; i < out.length; i++) {
                out[i] = x.v()[i] / (1 + Math.exp(-x.v()[i]));
            }
            return new Map3(out, x.c(), x.h(), x.w());
        }

        static Map3 add(Map3 a, Map3 b) {
            double[] out = new double[a.v().length];
            for (int i = 0; i < out.length; i++) {
                out[i] = a.v()[i] + b.v()[i];
            }
            return new Map3(out, a.c(), a.h(), a.w());
        }

        Map3 resnet(Map3 x, String p) {
            Map3 h = conv(silu(groupNorm(x, p + ".norm1")), p + ".conv1", 1, 1, 1, 1, 1);
            h = conv(silu(groupNorm(h, p + ".norm2")), p + ".conv2", 1, 1, 1, 1, 1);
            Map3 skip = has(p + ".conv_shortcut.weight") ? conv(x, p + ".conv_shortcut", 1, 0, 0, 0, 0) : x;
            return add(skip, h);
        }

        /** F.pad(x, (0, 1, 0, 1)) then conv3x3 stride 2 padding 0. */
        Map3 downsample(Map3 x, String p) {
            return conv(x, p + ".conv", 2, 0, 0, 1, 1);
        }

        /** y = W t + b for each of the L tokens t (rows of a [L, C] array). */
        double[][] linear(double[][] t, String name) {
            double[] wt = w(name + ".weight"), b = w(name + ".bias");
            int o = b.length, c = t[0].length;
            double[][] out = new double[t.length][o];
            for (int l = 0; l < t.length; l++) {
                for (int j = 0; j < o; j++) {
                    double s = b[j];
                    for (int i = 0; i < c; i++) {
                        s += wt[j * c + i] * t[l][i];
                    }
                    out[l][j] = s;
                }
            }
            return out;
        }

        Map3 attention(Map3 x, String p) {
            Map3 n = groupNorm(x, p + ".group_norm");
            int c = x.c(), len = x.h() * x.w();
            double[][] tokens = new double[len][c];
            for (int l = 0; l < len; l++) {
                for (int ch = 0; ch < c; ch++) {
                    tokens[l][ch] = n.v()[ch * len + l];
                }
            }
            double[][] q = linear(tokens, p + ".to_q"), k = linear(tokens, p + ".to_k");
            double[][] v = linear(tokens, p + ".to_v");
            double[][] o = new double[len][c];
            for (int i = 0; i < len; i++) {
                double[] s = new double[len];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < len; j++) {
                    for (int ch = 0; ch < c; ch++) {
                        s[j] += q[i][ch] * k[j][ch];
                    }
                    s[j] /= Math.sqrt(c);
                    max = Math.max(max, s[j]);
                }
                for (int j = 0; j < len; j++) {
                    s[j] = Math.exp(s[j] - max);
                    sum += s[j];
                }
                for (int j = 0; j < len; j++) {
                    for (int ch = 0; ch < c; ch++) {
                        o[i][ch] += s[j] / sum * v[j][ch];
                    }
                }
            }
            double[][] proj = linear(o, p + ".to_out.0");
            double[] out = x.v().clone();
            for (int l = 0; l < len; l++) {
                for (int ch = 0; ch < c; ch++) {
                    out[ch * len + l] += proj[l][ch];
                }
            }
            return new Map3(out, c, x.h(), x.w());
        }

        /** quant_conv(encoder(image)) of one image. */
        Map3 moments(Map3 image, SdVaeEncoder.Config cfg) {
            Map3 h = conv(image, "encoder.conv_in", 1, 1, 1, 1, 1);
            for (int i = 0; i < cfg.widths().length; i++) {
                for (int j = 0; j < cfg.layersPerBlock(); j++) {
                    h = resnet(h, "encoder.down_blocks." + i + ".resnets." + j);
                }
                if (i < cfg.widths().length - 1) {
                    h = downsample(h, "encoder.down_blocks." + i + ".downsamplers.0");
                }
            }
            h = resnet(h, "encoder.mid_block.resnets.0");
            h = attention(h, "encoder.mid_block.attentions.0");
            h = resnet(h, "encoder.mid_block.resnets.1");
            h = conv(silu(groupNorm(h, "encoder.conv_norm_out")), "encoder.conv_out", 1, 1, 1, 1, 1);
            return conv(h, "quant_conv", 1, 0, 0, 0, 0);
        }
    }

    /** Sample i of a [B, C, H, W] host array as a Map3. */
    static Map3 sample(float[] x, int[] shape, int i) {
        int n = shape[1] * shape[2] * shape[3];
        double[] v = new double[n];
        for (int k = 0; k < n; k++) {
            v[k] = x[i * n + k];
        }
        return new Map3(v, shape[1], shape[2], shape[3]);
    }

    /** Applies {@code f} to every sample of a [B, C, H, W] host array and concatenates the results. */
    static double[] perSample(float[] x, int[] shape, UnaryOperator<Map3> f) {
        List<double[]> parts = new ArrayList<>();
        int total = 0;
        for (int i = 0; i < shape[0]; i++) {
            double[] v = f.apply(sample(x, shape, i)).v();
            parts.add(v);
            total += v.length;
        }
        double[] out = new double[total];
        int at = 0;
        for (double[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    // ---------------------------------------------------------------- whole encoder

    @Test
    void tinyEncoderMatchesTheFloat64Reference() {
        int[] shape = {2, 1, 16, 20}; // 20 -> 10 -> 5 -> 2: the odd width exercises the asymmetric pad
        try (SdVaeEncoder enc = tiny(Device.CPU, 5); Scope scope = Scope.open()) {
            Ref ref = new Ref(enc.stateDict(), TINY.groups());
            float[] mask = new Rand(3).uniform(2 * 16 * 20, -1, 1);
            Tensor m = Tensor.of(Device.CPU, mask, shape);
            Tensor mean = enc.posteriorMean(m);
            assertArrayEquals(new int[] {2, 4, 2, 2}, mean.shape());
            double[] expected = perSample(mask, shape, x -> {
                double[] rgb = new double[3 * x.v().length];
                for (int c = 0; c < 3; c++) {
                    System.arraycopy(x.v(), 0, rgb, c * x.v().length, x.v().length);
                }
                Map3 mom = ref.moments(new Map3(rgb, 3, x.h(), x.w()), TINY);
                double[] mu = new double[4 * mom.h() * mom.w()];
                for (int i = 0; i < mu.length; i++) {
                    mu[i] = mom.v()[i] * 0.18215;
                }
                return new Map3(mu, 4, mom.h(), mom.w());
            });
            double err = Close.relError(mean.toArray(), expected);
            System.out.printf("SdVaeEncoder tiny posterior mean vs float64 reference: rel err %.3g%n", err);
            assertTrue(err <= TOL, "posterior mean: relative error " + err);

            // The full moments (mean | logvar) on a 3-channel image that is not a repeated mask.
            int[] ishape = {1, 3, 16, 16};
            float[] image = new Rand(4).uniform(3 * 256, -1, 1);
            Tensor moments = enc.moments(Tensor.of(Device.CPU, image, ishape));
            assertArrayEquals(new int[] {1, 8, 2, 2}, moments.shape());
            Close.assertClose("moments", moments.toArray(), perSample(image, ishape, x -> ref.moments(x, TINY)), TOL);
        }
    }

    @Test
    void resnetMatchesTheReferenceAndUsesEps1e6() {
        // Inputs of magnitude 1e-3 have a group variance near 1e-6, so GroupNorm's eps (1e-6, not PyTorch's 1e-5
        // default) changes the output by tens of percent: a wrong eps cannot pass.
        try (SdVaeEncoder.Resnet block = new SdVaeEncoder.Resnet(Device.CPU, 8, 16, 4)) {
            checkBlock("resnet 8->16", block, block::forward, (ref, m) -> ref.resnet(m, ""), 2, 8, 5, 6);
        }
    }

    @Test
    void attentionMatchesTheReference() {
        try (SpatialSelfAttention block = new SpatialSelfAttention(Device.CPU, 16, 1, 4, SdVaeEncoder.EPS)) {
            checkBlock("attention", block, block::forward, (ref, m) -> ref.attention(m, ""), 2, 16, 3, 5);
        }
    }

    /**
     * A stand-alone block with random weights (4 groups) against its reference, on inputs of magnitude 1 and 1e-3
     * (the latter makes the GroupNorm eps matter).
     */
    private static void checkBlock(String what, Module block, UnaryOperator<Tensor> forward,
            BiFunction<Ref, Map3, Map3> reference, int... shape) {
        randomize(block.stateDict(), 21);
        Ref ref = bare(block.stateDict(), 4);
        for (double magnitude : new double[] {1, 1e-3}) {
            try (Scope scope = Scope.open()) {
                float[] x = new Rand(22).uniform(shape[0] * shape[1] * shape[2] * shape[3], -magnitude, magnitude);
                double[] expected = perSample(x, shape, m -> reference.apply(ref, m));
                Tensor y;
                try (GradMode.Guard off = GradMode.disabled()) {
                    y = forward.apply(Tensor.of(Device.CPU, x, shape));
                }
                assertEquals(expected.length, y.numel(), what + " output size");
                assertEquals(shape[2], y.dim(2));
                assertEquals(shape[3], y.dim(3));
                Close.assertClose(what + " at magnitude " + magnitude, y.toArray(), expected, TOL);
            }
        }
    }

    /** A reference over a stand-alone block's weights: keys "norm1.weight" become ".norm1.weight", prefix "". */
    private static Ref bare(Map<String, Tensor> sd, int groups) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        sd.forEach((k, v) -> out.put("." + k, v));
        return new Ref(out, groups);
    }

    private static void randomize(Map<String, Tensor> sd, long seed) {
        Rand r = new Rand(seed);
        for (Map.Entry<String, Tensor> e : sd.entrySet()) {
            Tensor t = e.getValue();
            if (e.getKey().contains("norm") && e.getKey().endsWith("weight")) {
                t.copyFrom(r.uniform(t.numel(), 0.5, 1.5));
            } else {
                double bound = t.rank() > 1 ? 1 / Math.sqrt(t.numel() / (double) t.dim(0)) : 0.5;
                t.copyFrom(r.uniform(t.numel(), -bound, bound));
            }
        }
    }

    @Test
    void downsamplePadsOnlyTheRightAndBottom() {
        try (SdVaeEncoder.Downsample block = new SdVaeEncoder.Downsample(Device.CPU, 2); Scope scope = Scope.open()) {
            // Only the bottom-right tap of channel 0 -> 0 is 1: out[0](i, j) = padded[0](2i + 2, 2j + 2), which is
            // x(2i + 2, 2j + 2) inside and 0 on the padded row/column; out[1] = 0. A symmetric pad would read
            // x(2i + 1, 2j + 1) instead.
            float[] w = new float[2 * 2 * 9];
            w[8] = 1f;
            block.stateDict().get("conv.weight").copyFrom(w);
            block.stateDict().get("conv.bias").copyFrom(new float[2]);
            int h = 6, wd = 5;
            float[] x = new float[2 * h * wd];
            for (int i = 0; i < x.length; i++) {
                x[i] = i + 1;
            }
            Tensor y;
            try (GradMode.Guard off = GradMode.disabled()) {
                y = block.forward(Tensor.of(Device.CPU, x, 1, 2, h, wd));
            }
            assertArrayEquals(new int[] {1, 2, 3, 2}, y.shape()); // floor(6 / 2), floor(5 / 2)
            float[] out = y.toArray();
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 2; j++) {
                    int sy = 2 * i + 2, sx = 2 * j + 2;
                    float want = sy < h && sx < wd ? x[sy * wd + sx] : 0f;
                    assertEquals(want, out[i * 2 + j], "out(0, " + i + ", " + j + ")");
                    assertEquals(0f, out[6 + i * 2 + j], "channel 1 stays 0");
                }
            }

            // And with random weights against the reference, on even and odd sizes.
            randomize(block.stateDict(), 41);
            Ref ref = bare(block.stateDict(), 1);
            for (int[] shape : new int[][] {{2, 2, 8, 6}, {1, 2, 7, 9}}) {
                float[] in = new Rand(42).uniform(shape[0] * shape[1] * shape[2] * shape[3], -1, 1);
                Tensor out2;
                try (GradMode.Guard off = GradMode.disabled()) {
                    out2 = block.forward(Tensor.of(Device.CPU, in, shape));
                }
                assertArrayEquals(new int[] {shape[0], 2, shape[2] / 2, shape[3] / 2}, out2.shape());
                Close.assertClose("downsample " + Arrays.toString(shape), out2.toArray(),
                        perSample(in, shape, m -> ref.downsample(m, "")), TOL);
            }
        }
    }

    // ---------------------------------------------------------------- names, counts, frozen, errors

    @Test
    void weightNamesAreDiffusersAutoencoderKlNames() {
        try (SdVaeEncoder enc = new SdVaeEncoder(Device.CPU, TINY)) {
            List<String> expected = new ArrayList<>();
            expected.add("encoder.conv_in.weight");
            expected.add("encoder.conv_in.bias");
            int[] widths = {8, 8, 16, 16};
            int in = 8;
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 2; j++) {
                    String p = "encoder.down_blocks." + i + ".resnets." + j + ".";
                    for (String n : new String[] {"norm1", "conv1", "norm2", "conv2"}) {
                        expected.add(p + n + ".weight");
                        expected.add(p + n + ".bias");
                    }
                    if (j == 0 && in != widths[i]) {
                        expected.add(p + "conv_shortcut.weight");
                        expected.add(p + "conv_shortcut.bias");
                    }
                }
                in = widths[i];
                if (i < 3) {
                    expected.add("encoder.down_blocks." + i + ".downsamplers.0.conv.weight");
                    expected.add("encoder.down_blocks." + i + ".downsamplers.0.conv.bias");
                }
            }
            for (String n : new String[] {"group_norm", "to_q", "to_k", "to_v", "to_out.0"}) {
                expected.add("encoder.mid_block.attentions.0." + n + ".weight");
                expected.add("encoder.mid_block.attentions.0." + n + ".bias");
            }
            for (int j = 0; j < 2; j++) {
                for (String n : new String[] {"norm1", "conv1", "norm2", "conv2"}) {
                    expected.add("encoder.mid_block.resnets." + j + "." + n + ".weight");
                    expected.add("encoder.mid_block.resnets." + j + "." + n + ".bias");
                }
            }
            for (String n : new String[] {"encoder.conv_norm_out", "encoder.conv_out", "quant_conv"}) {
                expected.add(n + ".weight");
                expected.add(n + ".bias");
            }
            assertEquals(expected, List.copyOf(enc.stateDict().keySet()));
            assertTrue(enc.namedBuffers().isEmpty());
        }
    }

    /** Parameter count of the real config, from the layer formulas (independent of the module code). */
    static long expectedRealParameters() {
        int[] w = {128, 256, 512, 512};
        long n = conv(3, 128, 3);
        int in = 128;
        for (int i = 0; i < 4; i++) {
            n += resnet(in, w[i]) + resnet(w[i], w[i]);
            in = w[i];
            if (i < 3) {
                n += conv(w[i], w[i], 3);
            }
        }
        n += 2 * resnet(512, 512) + (2 * 512 + 4L * (512 * 512 + 512)) + 2 * 512 + conv(512, 8, 3);
        return n + conv(8, 8, 1); // quant_conv
    }

    private static long conv(int i, int o, int k) {
        return (long) o * i * k * k + o;
    }

    private static long resnet(int i, int o) {
        return 2L * i + conv(i, o, 3) + 2L * o + conv(o, o, 3) + (i != o ? conv(i, o, 1) : 0);
    }

    @Test
    void realConfigBuildsWithTheSdVaeFtMseShapesAndCount() {
        try (SdVaeEncoder enc = new SdVaeEncoder(Device.CPU)) {
            long count = enc.parameterCount();
            Map<String, Tensor> sd = enc.stateDict();
            long quant = sd.get("quant_conv.weight").numel() + sd.get("quant_conv.bias").numel();
            System.out.printf("SdVaeEncoder (sd-vae-ft-mse): %,d parameters = %,d encoder + %,d quant_conv;"
                    + " %d tensors%n",
                    count, count - quant, quant, enc.stateDict().size());
            assertEquals(34_163_664L, expectedRealParameters());
            assertEquals(expectedRealParameters(), count);
            assertEquals(72, quant);
            assertEquals(108, enc.stateDict().size());
            assertArrayEquals(new int[] {128, 3, 3, 3}, sd.get("encoder.conv_in.weight").shape());
            assertArrayEquals(new int[] {256, 128, 1, 1},
                    sd.get("encoder.down_blocks.1.resnets.0.conv_shortcut.weight").shape());
            assertArrayEquals(new int[] {512, 256, 1, 1},
                    sd.get("encoder.down_blocks.2.resnets.0.conv_shortcut.weight").shape());
            assertFalse(sd.containsKey("encoder.down_blocks.0.resnets.0.conv_shortcut.weight"));
            assertFalse(sd.containsKey("encoder.down_blocks.3.resnets.0.conv_shortcut.weight"));
            assertArrayEquals(new int[] {512, 512, 3, 3},
                    sd.get("encoder.down_blocks.2.downsamplers.0.conv.weight").shape());
            assertFalse(sd.containsKey("encoder.down_blocks.3.downsamplers.0.conv.weight"));
            assertArrayEquals(new int[] {512, 512}, sd.get("encoder.mid_block.attentions.0.to_out.0.weight").shape());
            assertArrayEquals(new int[] {8, 512, 3, 3}, sd.get("encoder.conv_out.weight").shape());
            assertArrayEquals(new int[] {8, 8, 1, 1}, sd.get("quant_conv.weight").shape());

            // One small forward through the real shape: 32 x 32 -> 4 x 4 latents, finite.
            enc.init(new Init(9));
            try (Scope scope = Scope.open()) {
                Tensor mean = enc.posteriorMean(new Rand(10).tensorIn(-1, 1, 1, 1, 32, 32));
                assertArrayEquals(new int[] {1, 4, 4, 4}, mean.shape());
                for (float v : mean.toArray()) {
                    assertTrue(Float.isFinite(v), "non-finite latent");
                }
            }
        }
    }

    @Test
    void frozenRecordsNothingAndLeavesOnlyItsResultInTheScope() {
        try (SdVaeEncoder enc = tiny(Device.CPU, 6); Scope scope = Scope.open()) {
            for (Tensor p : enc.namedParameters().values()) {
                assertFalse(p.requiresGrad(), "teacher parameters are frozen");
            }
            Tensor mask = new Rand(7).tensorIn(-1, 1, 2, 1, 16, 16).requiresGrad(true);
            int before = scope.size();
            int tape = Tape.size();
            Tensor mean = enc.posteriorMean(mask); // grad mode is on here: the encoder turns it off itself
            assertEquals(tape, Tape.size(), "nothing recorded on the tape");
            assertFalse(mean.requiresGrad());
            assertEquals(before + 1, scope.size(), "every intermediate freed; only the result is the caller's");
        }
    }

    @Test
    void rejectsWrongInputsClearly() {
        try (SdVaeEncoder enc = new SdVaeEncoder(Device.CPU, TINY); Scope scope = Scope.open()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> enc.posteriorMean(Tensor.zeros(Device.CPU, 1, 3, 16, 16)));
            assertTrue(e.getMessage().contains("[B, 1, H, W]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> enc.moments(Tensor.zeros(Device.CPU, 1, 1, 16, 16)));
            assertTrue(e.getMessage().contains("[B, 3, H, W]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> enc.posteriorMean(Tensor.zeros(Device.CPU, 1, 1, 4, 16)));
            assertTrue(e.getMessage().contains("smaller than 8 x 8"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> new SdVaeEncoder.Config(3, new int[] {8, 12}, 2, 8, 4));
            assertTrue(e.getMessage().contains("width 12"), e.getMessage());
        }
    }

    @CudaTest
    void cudaMatchesCpu() throws WeightFileException {
        try (SdVaeEncoder cpu = tiny(Device.CPU, 8); SdVaeEncoder gpu = new SdVaeEncoder(Device.CUDA, TINY);
                Scope scope = Scope.open()) {
            ModuleWeights.load(gpu, ModuleWeights.snapshot(cpu), Path.of("cpu-encoder"));
            float[] mask = new Rand(12).uniform(2 * 24 * 16, -1, 1);
            float[] onCpu = cpu.posteriorMean(Tensor.of(Device.CPU, mask, 2, 1, 24, 16)).toArray();
            Tensor.poisonAllocations(true);
            try {
                float[] onGpu = gpu.posteriorMean(Tensor.of(Device.CUDA, mask, 2, 1, 24, 16)).toArray();
                Close.assertClose("SdVaeEncoder CUDA vs CPU", onGpu, onCpu, TOL);
            } finally {
                Tensor.poisonAllocations(false);
            }
        }
    }
}
