package ai.diffiml.model.diffforensics;

import java.util.stream.IntStream;

/**
 * 3-D OpenSimplex noise (Kurt Spencer's 2014 original: a stretched cubic lattice, kernel (2 - d^2)^4 around every
 * lattice vertex, 24 gradients pointing to the vertices of a skewed rhombicuboctahedron, the sum divided by 103;
 * the seed shuffles a 256-entry permutation with a 64-bit LCG) and the octave sum AnoDDPM draws diffusion noise
 * from: {@code sum_o amp_o noise3(x / f_o, y / f_o, T / f_o)} with f halved and amp multiplied by the persistence
 * per octave, not renormalised.
 *
 * <p>The original code enumerates the contributing vertices with a case analysis of the cell's regions; here each
 * point tries a fixed list of candidate offsets (those within the kernel radius of some point of the cell, found
 * once below) and keeps the ones inside the kernel, which gives the same sum: the noise is continuous, so no vertex
 * with a positive kernel value can be left out. Plain Java on the data path (the issue allows it): the noise is
 * drawn on the host per step and uploaded with the batch.
 */
public final class SimplexNoise {
    private static final double STRETCH = -1.0 / 6, SQUISH = 1.0 / 3, NORM = 103;
    /** 24 gradients, x y z each. */
    private static final byte[] GRADIENTS = {
        -11, 4, 4, -4, 11, 4, -4, 4, 11, 11, 4, 4, 4, 11, 4, 4, 4, 11,
        -11, -4, 4, -4, -11, 4, -4, -4, 11, 11, -4, 4, 4, -11, 4, 4, -4, 11,
        -11, 4, -4, -4, 11, -4, -4, 4, -11, 11, 4, -4, 4, 11, -4, 4, 4, -11,
        -11, -4, -4, -4, -11, -4, -4, -4, -11, 11, -4, -4, 4, -11, -4, 4, -4, -11};
    /** Offsets (x, y, z triples) of the lattice vertices that can lie inside the kernel of a point of the cell. */
    private static final int[] CANDIDATES = candidates();

    private final short[] perm = new short[256];
    private final byte[] gradientIndex = new byte[256];

    /** The noise of one seed (the permutation the original derives from it). */
    public SimplexNoise(long seed) {
        short[] source = new short[256];
        for (short i = 0; i < 256; i++) {
            source[i] = i;
        }
        for (int i = 0; i < 3; i++) {
            seed = lcg(seed);
        }
        for (int i = 255; i >= 0; i--) {
            seed = lcg(seed);
            int r = (int) ((seed + 31) % (i + 1));
            if (r < 0) {
                r += i + 1;
            }
            perm[i] = source[r];
            gradientIndex[i] = (byte) (perm[i] % (GRADIENTS.length / 3) * 3);
            source[r] = source[i];
        }
    }

    private static long lcg(long s) {
        return s * 6364136223846793005L + 1442695040888963407L;
    }

    /**
     * The candidate list: offsets o in {-1..2}^3 for which the convex quadratic |u|^2 + (sum u)^2, u = p - o (the
     * squared distance in real space, p the point's position in the stretched cell [0, 1]^3), dips below the
     * kernel radius 2 somewhere in the cell; its minimum over the cell found by projected gradient descent.
     */
    private static int[] candidates() {
        int[] out = new int[64 * 3];
        int n = 0;
        for (int ox = -1; ox <= 2; ox++) {
            for (int oy = -1; oy <= 2; oy++) {
                for (int oz = -1; oz <= 2; oz++) {
                    double[] p = {0.5, 0.5, 0.5};
                    int[] o = {ox, oy, oz};
                    for (int it = 0; it < 2000; it++) {
                        double s = p[0] - ox + p[1] - oy + p[2] - oz;
                        for (int k = 0; k < 3; k++) {
                            double grad = 2 * (p[k] - o[k]) + 2 * s;
                            p[k] = Math.min(1, Math.max(0, p[k] - grad / 8)); // Hessian eigenvalues 2 and 8
                        }
                    }
                    double ux = p[0] - ox, uy = p[1] - oy, uz = p[2] - oz, s = ux + uy + uz;
                    if (ux * ux + uy * uy + uz * uz + s * s < 2 + 1e-6) {
                        out[n++] = ox;
                        out[n++] = oy;
                        out[n++] = oz;
                    }
                }
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** The noise at (x, y, z), roughly in [-1, 1]. */
    public double noise3(double x, double y, double z) {
        double stretch = (x + y + z) * STRETCH;
        double xs = x + stretch, ys = y + stretch, zs = z + stretch;
        int xsb = (int) Math.floor(xs), ysb = (int) Math.floor(ys), zsb = (int) Math.floor(zs);
        double xi = xs - xsb, yi = ys - ysb, zi = zs - zsb;
        double value = 0;
        for (int c = 0; c < CANDIDATES.length; c += 3) {
            int ox = CANDIDATES[c], oy = CANDIDATES[c + 1], oz = CANDIDATES[c + 2];
            double ux = xi - ox, uy = yi - oy, uz = zi - oz, s = ux + uy + uz;
            double attn = 2 - (ux * ux + uy * uy + uz * uz + s * s);
            if (attn > 0) {
                // displacement from the vertex in real space: u plus its squish
                double dx = ux + s * SQUISH, dy = uy + s * SQUISH, dz = uz + s * SQUISH;
                int g = gradientIndex[(perm[(perm[(xsb + ox) & 0xFF] + ysb + oy) & 0xFF] + zsb + oz) & 0xFF];
                attn *= attn;
                value += attn * attn * (GRADIENTS[g] * dx + GRADIENTS[g + 1] * dy + GRADIENTS[g + 2] * dz);
            }
        }
        return value / NORM;
    }

    /**
     * How the octave sum is drawn.
     *
     * @param octaves number of octaves (AnoDDPM: 6)
     * @param persistence amplitude factor per octave (0.8)
     * @param startPeriod f of the first octave in pixels (64, i.e. frequency 2^-6); halved per octave
     */
    public record Octaves(int octaves, double persistence, double startPeriod) {
        /** The DiffForensics / AnoDDPM setting: 6 octaves, persistence 0.8, starting at 64 px. */
        public static final Octaves PAPER = new Octaves(6, 0.8, 64);

        public Octaves {
            if (octaves < 1 || !(persistence > 0) || !(startPeriod > 0)) {
                throw new IllegalArgumentException("simplex octaves: need octaves >= 1, persistence > 0 and a"
                        + " positive start period, got " + octaves + ", " + persistence + ", " + startPeriod);
            }
        }
    }

    /** The octave sum over an h x w grid (row-major, value[y w + x]) at the third coordinate {@code t}. */
    public float[] octaves(int h, int w, double t, Octaves o) {
        float[] out = new float[h * w];
        double f = o.startPeriod(), amp = 1;
        for (int k = 0; k < o.octaves(); k++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    out[y * w + x] += (float) (amp * noise3(x / f, y / f, t / f));
                }
            }
            f /= 2;
            amp *= o.persistence();
        }
        return out;
    }

    /**
     * Noise [batch, channels, h, w] (flattened) for a diffusion step: every (image, channel) plane its own octave
     * sum with its own seed (AnoDDPM draws a new seed per channel), derived from {@code seed}; image b's third
     * coordinate is its timestep {@code t[b]}. Planes are drawn in parallel; the result depends only on the
     * arguments.
     */
    public static float[] batch(long seed, int channels, int h, int w, int[] t, Octaves o) {
        int planes = t.length * channels, size = h * w;
        float[] out = new float[planes * size];
        IntStream.range(0, planes).parallel().forEach(p -> {
            float[] plane = new SimplexNoise(planeSeed(seed, p)).octaves(h, w, t[p / channels], o);
            System.arraycopy(plane, 0, out, p * size, size);
        });
        return out;
    }

    /** The seed of plane {@code p} (SplitMix64 of seed and index: planes and steps do not share permutations). */
    static long planeSeed(long seed, int p) {
        long z = seed + 0x9E3779B97F4A7C15L * (p + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
