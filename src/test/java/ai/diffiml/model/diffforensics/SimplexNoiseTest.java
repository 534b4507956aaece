package ai.diffiml.model.diffforensics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link SimplexNoise} against a reference written here from the definition of 3-D OpenSimplex noise: the value
 * at p is (1 / 103) sum over every lattice vertex v of the stretched cubic lattice of max(0, 2 - |p - P(v)|^2)^4
 * (g_v . (p - P(v))), where P(v) = v + (v_x + v_y + v_z) / 3 places the vertex in space and g_v is the gradient
 * the seeded permutation assigns to it. The reference visits every vertex of a 6 x 6 x 6 block around the point
 * (far more than can reach it) in real space, with its own permutation code; the product enumerates candidates in
 * the stretched cell.
 */
class SimplexNoiseTest {
    private static final double TOLERANCE = 1e-12;

    /** The gradient table of OpenSimplex 3-D (the vertices of a skewed rhombicuboctahedron). */
    private static final int[][] GRADIENTS = {
        {-11, 4, 4}, {-4, 11, 4}, {-4, 4, 11}, {11, 4, 4}, {4, 11, 4}, {4, 4, 11},
        {-11, -4, 4}, {-4, -11, 4}, {-4, -4, 11}, {11, -4, 4}, {4, -11, 4}, {4, -4, 11},
        {-11, 4, -4}, {-4, 11, -4}, {-4, 4, -11}, {11, 4, -4}, {4, 11, -4}, {4, 4, -11},
        {-11, -4, -4}, {-4, -11, -4}, {-4, -4, -11}, {11, -4, -4}, {4, -11, -4}, {4, -4, -11}};

    /** OpenSimplex's seeded permutation: a Fisher-Yates shuffle driven by Knuth's 64-bit LCG. */
    private static int[] permutation(long seed) {
        java.math.BigInteger mul = java.math.BigInteger.valueOf(6364136223846793005L);
        java.math.BigInteger inc = java.math.BigInteger.valueOf(1442695040888963407L);
        java.math.BigInteger mod = java.math.BigInteger.ONE.shiftLeft(64);
        java.math.BigInteger s = java.math.BigInteger.valueOf(seed);
        int[] source = new int[256], perm = new int[256];
        for (int i = 0; i < 256; i++) {
            source[i] = i;
        }
        for (int i = 0; i < 3; i++) {
            s = s.multiply(mul).add(inc).mod(mod);
        }
        for (int i = 255; i >= 0; i--) {
            s = s.multiply(mul).add(inc).mod(mod);
            long signed = s.longValue(); // the state as a signed 64-bit number
            int r = (int) Math.floorMod(signed + 31, (long) (i + 1));
            perm[i] = source[r];
            source[r] = source[i];
        }
        return perm;
    }

    private static double reference(int[] perm, double x, double y, double z) {
        // stretched coordinates of the point; the block of vertices around it
        double stretch = -(x + y + z) / 6;
        int bx = (int) Math.floor(x + stretch), by = (int) Math.floor(y + stretch), bz = (int) Math.floor(z + stretch);
        double value = 0;
        for (int vx = bx - 2; vx <= bx + 3; vx++) {
            for (int vy = by - 2; vy <= by + 3; vy++) {
                for (int vz = bz - 2; vz <= bz + 3; vz++) {
                    double squish = (vx + vy + vz) / 3.0;
                    double dx = x - (vx + squish), dy = y - (vy + squish), dz = z - (vz + squish);
                    double attn = 2 - dx * dx - dy * dy - dz * dz;
                    if (attn <= 0) {
                        continue;
                    }
                    int hash = perm[(perm[(perm[vx & 255] + vy) & 255] + vz) & 255];
                    int[] g = GRADIENTS[hash % 24];
                    value += Math.pow(attn, 4) * (g[0] * dx + g[1] * dy + g[2] * dz);
                }
            }
        }
        return value / 103;
    }

    @Test
    void valuesMatchTheReferenceDefinition() {
        SplittableRandom r = new SplittableRandom(7);
        for (long seed : new long[] {0, 3, -12345, 987654321987L}) {
            SimplexNoise noise = new SimplexNoise(seed);
            int[] perm = permutation(seed);
            double maxAbs = 0;
            for (int i = 0; i < 3000; i++) {
                double x = r.nextDouble(-40, 40), y = r.nextDouble(-40, 40), z = r.nextDouble(-40, 40);
                if (i < 30) { // lattice points and cell boundaries, where region choices flip
                    x = Math.floor(x);
                    y = Math.floor(y) + (i % 3) / 3.0;
                }
                double want = reference(perm, x, y, z), got = noise.noise3(x, y, z);
                assertEquals(want, got, TOLERANCE * Math.max(1, Math.abs(want)), "seed " + seed + " at (" + x + ", "
                        + y + ", " + z + ")");
                maxAbs = Math.max(maxAbs, Math.abs(got));
            }
            assertTrue(maxAbs > 0.3 && maxAbs <= 1.0, "the noise spans roughly [-1, 1]: max |n| = " + maxAbs);
        }
    }

    @Test
    void octaveSumMatchesTheReferenceSumOfScaledOctaves() {
        int h = 9, w = 13;
        double t = 417;
        SimplexNoise.Octaves o = SimplexNoise.Octaves.PAPER;
        float[] got = new SimplexNoise(11).octaves(h, w, t, o);
        int[] perm = permutation(11);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double want = 0, f = 64, amp = 1;
                for (int k = 0; k < 6; k++) {
                    want += amp * reference(perm, x / f, y / f, t / f);
                    f /= 2;
                    amp *= 0.8;
                }
                assertEquals(want, got[y * w + x], 1e-5, "(" + x + ", " + y + ")");
            }
        }
        // not renormalised: the sum of six octaves spreads wider than one octave
        float[] one = new SimplexNoise(11).octaves(h, w, t, new SimplexNoise.Octaves(1, 0.8, 64));
        assertTrue(std(got) > std(one), "octave sum std " + std(got) + " vs one octave " + std(one));
    }

    @Test
    void batchIsDeterministicPerSeedWithFreshNoisePerPlaneAndTimestep() {
        int[] t = {1, 500, 500};
        SimplexNoise.Octaves o = SimplexNoise.Octaves.PAPER;
        float[] a = SimplexNoise.batch(99, 3, 16, 16, t, o), b = SimplexNoise.batch(99, 3, 16, 16, t, o);
        assertArrayEquals(a, b, "same seed, same noise");
        assertFalse(Arrays.equals(a, SimplexNoise.batch(100, 3, 16, 16, t, o)), "another seed, other noise");
        int plane = 16 * 16;
        for (int p = 0; p < 9; p++) {
            float[] expected = new SimplexNoise(SimplexNoise.planeSeed(99, p)).octaves(16, 16, t[p / 3], o);
            assertArrayEquals(expected, Arrays.copyOfRange(a, p * plane, (p + 1) * plane), "plane " + p);
            for (int q = 0; q < p; q++) {
                assertFalse(Arrays.equals(Arrays.copyOfRange(a, q * plane, (q + 1) * plane),
                        Arrays.copyOfRange(a, p * plane, (p + 1) * plane)), "planes " + q + " and " + p);
            }
        }
    }

    private static double std(float[] v) {
        double m = 0, s = 0;
        for (float x : v) {
            m += x;
        }
        m /= v.length;
        for (float x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / v.length);
    }
}
