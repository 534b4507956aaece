package ai.diffiml.ops;

import static ai.diffiml.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Backends;
import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.DeviceParity;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import java.util.Arrays;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class AttentionTest {
    /** Explicit per-sample, per-head, per-query loops in double. q [B, Lq, C], k and v [B, Lk, C]. */
    static double[] reference(float[] q, float[] k, float[] v, int b, int lq, int lk, int c, int heads) {
        int d = c / heads;
        double scale = 1 / Math.sqrt(d);
        double[] out = new double[b * lq * c];
        for (int n = 0; n < b; n++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < lq; i++) {
                    double[] p = new double[lk];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < lk; j++) {
                        for (int t = 0; t < d; t++) {
                            p[j] += (double) q[(n * lq + i) * c + h * d + t] * k[(n * lk + j) * c + h * d + t];
                        }
                        p[j] *= scale;
                        max = Math.max(max, p[j]);
                    }
                    for (int j = 0; j < lk; j++) {
                        p[j] = Math.exp(p[j] - max);
                        sum += p[j];
                    }
                    for (int t = 0; t < d; t++) {
                        double acc = 0;
                        for (int j = 0; j < lk; j++) {
                            acc += p[j] / sum * v[(n * lk + j) * c + h * d + t];
                        }
                        out[(n * lq + i) * c + h * d + t] = acc;
                    }
                }
            }
        }
        return out;
    }

    // {B, Lq, Lk, C, heads}
    private static final int[][] CASES = {{2, 7, 13, 20, 4}, {2, 13, 7, 20, 5}, {1, 9, 9, 12, 1}, {3, 5, 1, 6, 3}};

    @Test
    void forwardMatchesPerHeadDoubleReference() {
        Rand r = new Rand(1);
        for (int[] cs : CASES) {
            int b = cs[0], lq = cs[1], lk = cs[2], c = cs[3], heads = cs[4];
            try (Scope s = Scope.open()) {
                Tensor q = r.tensorIn(-2, 2, b, lq, c), k = r.tensorIn(-2, 2, b, lk, c), v = r.tensor(b, lk, c);
                double[] expected = reference(q.toArray(), k.toArray(), v.toArray(), b, lq, lk, c, heads);
                assertClose("multiHead " + Arrays.toString(cs), Attention.multiHead(q, k, v, heads).toArray(),
                        expected, 1e-5);
            }
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        Rand r = new Rand(2);
        for (int[] cs : new int[][] {CASES[0], CASES[1]}) {
            int b = cs[0], lq = cs[1], lk = cs[2], c = cs[3], heads = cs[4];
            try (Scope s = Scope.open()) {
                Tensor q = r.param(b, lq, c), k = r.param(b, lk, c), v = r.param(b, lk, c);
                new GradCheck().check("multiHead " + Arrays.toString(cs),
                        in -> Attention.multiHead(in[0], in[1], in[2], heads), q, k, v);
            }
        }
    }

    @Test
    void selfAttentionAndPartialGradientsMatchFiniteDifferences() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(3);
            // One tensor as q, k and v: the three gradients must add up.
            Tensor x = r.param(2, 5, 8);
            new GradCheck().check("multiHead(x, x, x)", in -> Attention.multiHead(in[0], in[0], in[0], 2), x);
            // Only v needs a gradient: no score gradient is formed.
            Tensor q = r.tensor(2, 6, 10), k = r.tensor(2, 3, 10), v = r.param(2, 3, 10);
            new GradCheck().check("multiHead dv only", in -> Attention.multiHead(in[0], in[1], in[2], 5), q, k, v);
            // Only k needs a gradient.
            Tensor k2 = r.param(2, 3, 10), v2 = r.tensor(2, 3, 10);
            new GradCheck().check("multiHead dk only", in -> Attention.multiHead(in[0], in[1], in[2], 5), q, k2, v2);
        }
    }

    @Test
    void rejectsIndivisibleHeadsAndMismatchedShapes() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(4);
            Tensor q = r.tensor(2, 7, 20), k = r.tensor(2, 13, 20), v = r.tensor(2, 13, 20);
            assertThrows(IllegalArgumentException.class, () -> Attention.multiHead(q, k, v, 3));
            assertThrows(IllegalArgumentException.class, () -> Attention.multiHead(q, k, r.tensor(2, 12, 20), 4));
            assertThrows(IllegalArgumentException.class, () -> Attention.multiHead(q, r.tensor(2, 13, 16), v, 4));
            assertThrows(IllegalArgumentException.class, () -> Attention.multiHead(q, k, r.tensor(1, 13, 20), 4));
        }
    }

    @CudaTest
    void cudaMatchesCpuOnOddShapes() {
        int[][] cases = {{2, 37, 13, 20, 5}, {3, 13, 300, 64, 2}, {1, 16, 16, 8, 8}};
        Rand r = new Rand(5);
        for (int[] cs : cases) {
            int b = cs[0], lq = cs[1], lk = cs[2], c = cs[3], heads = cs[4];
            try (Scope s = Scope.open()) {
                Tensor q = r.param(b, lq, c), k = r.param(b, lk, c), v = r.param(b, lk, c);
                DeviceParity.check("multiHead " + Arrays.toString(cs),
                        in -> Attention.multiHead(in[0], in[1], in[2], heads), q, k, v);
            }
        }
    }

    // {B, Lq, Lk, heads, head dim}: odd lengths around the CUDA tiles (128 queries, 32 and 16 rows, 64 keys).
    private static final int[][] FUSED_CASES = {{2, 37, 13, 3, 8}, {1, 129, 65, 2, 64}, {3, 5, 1, 1, 8},
        {1, 17, 33, 5, 16}, {2, 31, 129, 2, 32}};

    /** Output and the gradients of q, k and v from dOut, computed by {@code f}, with every allocation NaN-poisoned. */
    private static float[][] forwardBackward(Function<Tensor[], Tensor> f, Tensor[] in,
            float[] dOut) {
        for (Tensor t : in) {
            if (t.grad() != null) {
                t.grad().close();
                t.setGrad(null);
            }
        }
        Tensor.poisonAllocations(true);
        try (Scope s = Scope.open()) {
            Tensor y = f.apply(in);
            Tape.backward(y, Tensor.of(y.device(), dOut, y.shape()));
            return new float[][] {y.toArray(), in[0].grad().toArray(), in[1].grad().toArray(), in[2].grad().toArray()};
        } finally {
            Tensor.poisonAllocations(false);
        }
    }

    @Test
    void fusedCpuTwinMatchesGemmPathForwardAndBackward() {
        Rand r = new Rand(6);
        for (int[] cs : FUSED_CASES) {
            int b = cs[0], lq = cs[1], lk = cs[2], heads = cs[3], c = heads * cs[4];
            try (Scope s = Scope.open()) {
                Tensor[] in = {r.param(b, lq, c), r.param(b, lk, c), r.param(b, lk, c)};
                float[] dOut = r.uniform(b * lq * c, -1, 1);
                float[][] fused = forwardBackward(t -> Attention.fused(t[0], t[1], t[2], heads), in, dOut);
                float[][] gemm = onGemmPath(() -> forwardBackward(t -> Attention.multiHead(t[0], t[1], t[2], heads),
                        in, dOut));
                String[] what = {"output", "dq", "dk", "dv"};
                for (int i = 0; i < 4; i++) {
                    assertClose("fused CPU vs GEMM " + what[i] + " " + Arrays.toString(cs), fused[i], gemm[i], 1e-5);
                }
            }
        }
    }

    @Test
    void fusedGradientMatchesFiniteDifferences() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(7);
            Tensor q = r.param(2, 5, 16), k = r.param(2, 7, 16), v = r.param(2, 7, 16);
            new GradCheck().check("fused attention", in -> Attention.fused(in[0], in[1], in[2], 2), q, k, v);
            Tensor x = r.param(1, 6, 8);
            new GradCheck().check("fused attention (x, x, x)", in -> Attention.fused(in[0], in[0], in[0], 1), x);
        }
    }

    @Test
    void cudaFusedKernelCoversTheModelsHeadDims() {
        // Without CUDA loaded the device reports no fused kernel, so multiHead stays on the GEMM path everywhere.
        for (int d : new int[] {8, 64}) {
            if (Backends.cudaAvailable()) {
                assertTrue(Attention.usesFused(Device.CUDA, d), "head dim " + d);
            } else {
                assertFalse(Attention.usesFused(Device.CUDA, d), "head dim " + d);
            }
            assertFalse(Attention.usesFused(Device.CPU, d), "CPU head dim " + d);
        }
    }

    @CudaTest
    void cudaFusedKernelMatchesCpuGemmPathOnOddShapes() {
        Rand r = new Rand(8);
        for (int[] cs : FUSED_CASES) {
            int b = cs[0], lq = cs[1], lk = cs[2], heads = cs[3], c = heads * cs[4];
            try (Scope s = Scope.open()) {
                Tensor q = r.param(b, lq, c), k = r.param(b, lk, c), v = r.param(b, lk, c);
                // multiHead takes the fused kernel on CUDA (these head dims have one) and the GEMM path on the CPU.
                onGemmPath(() -> {
                    DeviceParity.check("fused attention " + Arrays.toString(cs), in -> {
                        if (in[0].device() == Device.CUDA && !Attention.usesFused(Device.CUDA, cs[4])) {
                            throw new AssertionError("CUDA has no fused kernel for head dim " + cs[4]);
                        }
                        return Attention.multiHead(in[0], in[1], in[2], heads);
                    }, q, k, v);
                    return null;
                });
            }
        }
    }

    /** {@code f} with the CPU's multiHead on its GEMM path (the reference), the previous path restored after. */
    private static <T> T onGemmPath(java.util.function.Supplier<T> f) {
        Attention.CpuPath before = Attention.cpuPath();
        Attention.cpuPath(Attention.CpuPath.GEMM);
        try {
            return f.get();
        } finally {
            Attention.cpuPath(before);
        }
    }

    // {B, Lq, Lk, heads, head dim}: odd lengths around the CPU kernel's blocks (4 rows, 64 keys, chunks of 128) and
    // the models' real shapes: the UNet's mid attention at 128 px (256 tokens, 16 heads of 8), the Mix Transformer's
    // first stage at 128 px (1024 queries against 16 reduced keys, one head of 32) and its last (2 heads of 64).
    private static final int[][] VECTOR_CASES = {{2, 37, 13, 3, 8}, {1, 129, 65, 2, 64}, {3, 5, 1, 1, 8},
        {1, 17, 33, 5, 16}, {2, 31, 129, 2, 32}, {1, 131, 200, 1, 8}, {2, 256, 256, 16, 8}, {2, 1024, 16, 1, 32},
        {1, 16, 16, 5, 64}};

    @Test
    void vectorisedCpuKernelMatchesGemmPathAndTwin() {
        Rand r = new Rand(9);
        int tested = 0;
        for (int[] cs : VECTOR_CASES) {
            int b = cs[0], lq = cs[1], lk = cs[2], heads = cs[3], d = cs[4], c = heads * d;
            if (!Attention.cpuVectorSupported(d)) {
                continue;
            }
            tested++;
            try (Scope s = Scope.open()) {
                Tensor[] in = {r.param(b, lq, c), r.param(b, lk, c), r.param(b, lk, c)};
                float[] dOut = r.uniform(b * lq * c, -1, 1);
                float[][] vector = forwardBackward(t -> Attention.cpuVectorised(t[0], t[1], t[2], heads), in, dOut);
                float[][] gemm = onGemmPath(() -> forwardBackward(t -> Attention.multiHead(t[0], t[1], t[2], heads),
                        in, dOut));
                float[][] twin = forwardBackward(t -> Attention.fused(t[0], t[1], t[2], heads), in, dOut);
                String[] what = {"output", "dq", "dk", "dv"};
                for (int i = 0; i < 4; i++) {
                    assertClose("vectorised CPU vs GEMM " + what[i] + " " + Arrays.toString(cs), vector[i], gemm[i],
                            1e-5);
                    assertClose("vectorised CPU vs twin " + what[i] + " " + Arrays.toString(cs), vector[i], twin[i],
                            1e-5);
                }
            }
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(tested > 0, "this CPU has no AVX-512F: the vectorised kernel"
                + " is not built to run here");
    }

    @Test
    void vectorisedCpuKernelGradientsMatchFiniteDifferences() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Attention.cpuVectorSupported(8), "no AVX-512F on this CPU");
        try (Scope s = Scope.open()) {
            Rand r = new Rand(10);
            Tensor q = r.param(2, 5, 16), k = r.param(2, 70, 16), v = r.param(2, 70, 16);
            new GradCheck().check("vectorised attention", in -> Attention.cpuVectorised(in[0], in[1], in[2], 2), q, k,
                    v);
            Tensor x = r.param(1, 6, 8);
            new GradCheck().check("vectorised attention (x, x, x)", in -> Attention.cpuVectorised(in[0], in[0], in[0],
                    1), x);
            // Only v, then only k, needs a gradient: the kernel skips the others.
            Tensor q2 = r.tensor(2, 6, 16), k2 = r.tensor(2, 3, 16), v2 = r.param(2, 3, 16);
            new GradCheck().check("vectorised attention dv only", in -> Attention.cpuVectorised(in[0], in[1], in[2],
                    1), q2, k2, v2);
            Tensor k3 = r.param(2, 3, 16), v3 = r.tensor(2, 3, 16);
            new GradCheck().check("vectorised attention dk only", in -> Attention.cpuVectorised(in[0], in[1], in[2],
                    1), q2, k3, v3);
        }
    }

    @Test
    void multiHeadTakesTheVectorisedKernelWhereItExists() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Attention.cpuVectorSupported(8), "no AVX-512F on this CPU");
        Attention.CpuPath before = Attention.cpuPath();
        try (Scope s = Scope.open()) {
            Rand r = new Rand(11);
            Tensor q = r.tensor(1, 256, 128), k = r.tensor(1, 256, 128), v = r.tensor(1, 256, 128);
            Attention.cpuPath(Attention.CpuPath.AUTO);
            float[] auto = Attention.multiHead(q, k, v, 16).toArray();
            float[] vector = Attention.cpuVectorised(q, k, v, 16).toArray();
            Attention.cpuPath(Attention.CpuPath.GEMM);
            float[] gemm = Attention.multiHead(q, k, v, 16).toArray();
            // the UNet's shape (256 keys, 8-dim heads) is one where the fused kernel wins: bit for bit its output,
            // not the GEMMs' (which differ in rounding)
            assertTrue(Attention.cpuFusedWins(256, 8, true));
            org.junit.jupiter.api.Assertions.assertArrayEquals(vector, auto);
            assertFalse(Arrays.equals(gemm, auto), "AUTO took the GEMM path");
            // MiT-b0's 16 reduced keys at 128 px are not: AUTO keeps the GEMMs there
            assertFalse(Attention.cpuFusedWins(16, 32, false));
            Tensor q32 = r.tensor(1, 64, 32), k32 = r.tensor(1, 16, 32);
            Attention.cpuPath(Attention.CpuPath.AUTO);
            float[] auto32 = Attention.multiHead(q32, k32, k32, 1).toArray();
            Attention.cpuPath(Attention.CpuPath.GEMM);
            org.junit.jupiter.api.Assertions.assertArrayEquals(Attention.multiHead(q32, k32, k32, 1).toArray(),
                    auto32);
            Attention.cpuPath(Attention.CpuPath.FUSED);
            org.junit.jupiter.api.Assertions.assertArrayEquals(vector, Attention.multiHead(q, k, v, 16).toArray());
            // head dims without a vectorised kernel stay on the GEMM path
            Tensor q5 = r.tensor(1, 9, 10);
            Attention.cpuPath(Attention.CpuPath.FUSED);
            float[] fused5 = Attention.multiHead(q5, q5, q5, 2).toArray();
            Attention.cpuPath(Attention.CpuPath.GEMM);
            org.junit.jupiter.api.Assertions.assertArrayEquals(Attention.multiHead(q5, q5, q5, 2).toArray(), fused5);
        } finally {
            Attention.cpuPath(before);
        }
        assertThrows(IllegalArgumentException.class, () -> {
            try (Scope s = Scope.open()) {
                Tensor q = new Rand(12).tensor(1, 4, 10);
                Attention.cpuVectorised(q, q, q, 2);
            }
        });
    }
}
