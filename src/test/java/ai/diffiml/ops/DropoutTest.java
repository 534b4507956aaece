package ai.diffiml.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.DeviceParity;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;

class DropoutTest {
    static final float P = 0.3f;

    @Test
    void keptFractionAndPairIndependenceAreWithinFiveSigmaForPThreeTenths() {
        int n = 1_000_003;
        try (Scope s = Scope.open()) {
            float[] y = Dropout.dropout(Tensor.full(Device.CPU, 1f, n), P, true, 42).toArray();
            long kept = 0, bothKept = 0;
            for (int i = 0; i < n; i++) {
                if (y[i] != 0) {
                    kept++;
                    if (i + 1 < n && y[i + 1] != 0) {
                        bothKept++;
                    }
                }
            }
            double q = 1 - P;
            assertWithinSigmas("kept elements", kept, n, q);
            // Neighbours are independent: both kept with probability q^2.
            assertWithinSigmas("kept neighbour pairs", bothKept, n - 1, q * q);
        }
    }

    @Test
    void survivorsAreScaledExactlyAndTheRestAreZero() {
        try (Scope s = Scope.open()) {
            Tensor x = new Rand(1).tensor(7, 11, 13);
            float[] xv = x.toArray(), yv = Dropout.dropout(x, P, true, 5).toArray();
            float scale = 1f / (1f - P);
            int zeros = 0;
            for (int i = 0; i < xv.length; i++) {
                if (yv[i] == 0f) {
                    zeros++;
                } else {
                    assertEquals(xv[i] * scale, yv[i], 0f, "survivor " + i);
                }
            }
            assertTrue(zeros > 0 && zeros < xv.length, "some but not all dropped: " + zeros);
        }
    }

    @Test
    void maskIsTheDocumentedCounterHashOfSeedAndIndex() {
        try (Scope s = Scope.open()) {
            int n = 4099;
            long seed = 0x1234_5678_9ABCL;
            float[] y = Dropout.dropout(Tensor.full(Device.CPU, 1f, n), P, true, seed).toArray();
            for (int i = 0; i < n; i++) {
                assertEquals(keep(seed, i, P), y[i] != 0, "element " + i);
            }
        }
    }

    @Test
    void sameSeedGivesSameMaskAndAnotherSeedAnother() {
        int n = 200_003;
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.full(Device.CPU, 1f, n);
            float[] a = Dropout.dropout(x, P, true, 7).toArray();
            float[] b = Dropout.dropout(x, P, true, 7).toArray();
            float[] c = Dropout.dropout(x, P, true, 8).toArray();
            assertArrayEquals(a, b, "same seed");
            long differ = 0;
            for (int i = 0; i < n; i++) {
                if ((a[i] != 0) != (c[i] != 0)) {
                    differ++;
                }
            }
            // Independent masks differ where exactly one keeps: probability 2 p (1 - p).
            assertWithinSigmas("elements differing between seeds 7 and 8", differ, n, 2 * P * (1 - P));
        }
    }

    @Test
    void evalModeAndZeroProbabilityReturnTheInput() {
        try (Scope s = Scope.open()) {
            Tensor x = new Rand(2).param(4, 5);
            assertSame(x, Dropout.dropout(x, P, false, 1));
            assertSame(x, Dropout.dropout(x, 0f, true, 1));
            assertSame(x, Dropout.dropPath(x, P, false, 1));
            assertSame(x, Dropout.dropPath(x, 0f, true, 1));
            assertEquals(0, Tape.size(), "identity records nothing");
        }
    }

    @Test
    void probabilityOneDropsEverythingAndOutOfRangeIsRejected() {
        try (Scope s = Scope.open()) {
            Tensor x = new Rand(3).tensor(5, 7);
            for (float v : Dropout.dropout(x, 1f, true, 3).toArray()) {
                assertEquals(0f, v);
            }
            assertThrows(IllegalArgumentException.class, () -> Dropout.dropout(x, 1.5f, true, 1));
            assertThrows(IllegalArgumentException.class, () -> Dropout.dropPath(x, -0.1f, false, 1));
        }
    }

    @Test
    void dropPathKeepsOrDropsWholeSamples() {
        int samples = 20_001, per = 3 * 5;
        try (Scope s = Scope.open()) {
            Tensor x = new Rand(4).tensorIn(0.5, 1.5, samples, 3, 5);
            float[] xv = x.toArray(), yv = Dropout.dropPath(x, P, true, 99).toArray();
            float scale = 1f / (1f - P);
            long kept = 0;
            for (int n = 0; n < samples; n++) {
                boolean keep = yv[n * per] != 0;
                kept += keep ? 1 : 0;
                for (int j = 0; j < per; j++) {
                    int i = n * per + j;
                    assertEquals(keep ? xv[i] * scale : 0f, yv[i], 0f, "sample " + n + " element " + j);
                }
            }
            assertWithinSigmas("kept samples", kept, samples, 1 - P);
        }
    }

    @Test
    void backwardAppliesTheForwardMask() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(5);
            Tensor x = r.param(6, 9, 5);
            for (boolean path : new boolean[] {false, true}) {
                if (x.grad() != null) {
                    x.grad().close();
                    x.setGrad(null);
                }
                Tensor y = path ? Dropout.dropPath(x, P, true, 11) : Dropout.dropout(x, P, true, 11);
                float[] g = r.uniform(y.numel(), -1, 1), yv = y.toArray();
                Tape.backward(y, Tensor.of(Device.CPU, g, y.shape()));
                float[] dx = x.grad().toArray();
                float scale = 1f / (1f - P);
                for (int i = 0; i < g.length; i++) {
                    assertEquals(yv[i] != 0 ? g[i] * scale : 0f, dx[i], 0f, (path ? "dropPath" : "dropout") + " " + i);
                }
            }
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        try (Scope s = Scope.open()) {
            Tensor x = new Rand(6).param(8, 3, 5);
            GradCheck gc = new GradCheck();
            gc.check("dropout", in -> Dropout.dropout(in[0], P, true, 21), x);
            gc.check("dropPath", in -> Dropout.dropPath(in[0], P, true, 21), x);
        }
    }

    @CudaTest
    void cudaDropsExactlyTheSameElementsAsCpu() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(7);
            Tensor x = r.param(3, 17, 31, 5);
            // Tolerance 0: same mask and the same float multiply on both devices.
            DeviceParity.check("dropout", 0, in -> Dropout.dropout(in[0], P, true, 123), x);
            DeviceParity.check("dropPath", 0, in -> Dropout.dropPath(in[0], P, true, 123), x);
            DeviceParity.check("dropout p=0.9", 0, in -> Dropout.dropout(in[0], 0.9f, true, -5), x);
        }
    }

    private static void assertWithinSigmas(String what, long count, long trials, double prob) {
        double mean = trials * prob, sd = Math.sqrt(trials * prob * (1 - prob));
        double z = (count - mean) / sd;
        assertTrue(Math.abs(z) < 5, () -> what + ": " + count + " of " + trials + ", expected " + mean + " +- " + sd
                + " (z = " + z + ")");
    }

    /** The mask formula of shape.h, written out independently: splitmix64 of (seed, index). */
    static boolean keep(long seed, long index, float p) {
        long h = mix64(mix64(seed) + (index + 1) * 0x9E3779B97F4A7C15L);
        float u = (float) (h >>> 40) * (1f / 16777216f);
        return u >= p;
    }

    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
