package ai.diffiml.eval.robustness;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.data.OpenCv;
import java.util.SplittableRandom;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

/** The attacks change the image as their strength says, deterministically, and leave the input alone. */
class AttackTest {
    private static Mat image(int rows, int cols, byte[] data) {
        OpenCv.load();
        Mat m = new Mat(rows, cols, CV_8UC3);
        m.data().put(data);
        return m;
    }

    private static byte[] bytes(Mat m) {
        byte[] b = new byte[m.rows() * m.cols() * m.channels()];
        m.data().get(b);
        return b;
    }

    private static byte[] texture(int n, long seed) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    @Test
    void noiseHasTheRequestedVarianceAndDependsOnTheSeedOnly() {
        byte[] grey = new byte[64 * 64 * 3];
        java.util.Arrays.fill(grey, (byte) 128);
        Attack noise = new Attack(AttackKind.NOISE, 23);
        try (Mat in = image(64, 64, grey); Mat a = noise.apply(in, 7); Mat b = noise.apply(in, 7);
                Mat c = noise.apply(in, 8)) {
            assertArrayEquals(grey, bytes(in), "the input is not modified");
            assertArrayEquals(bytes(a), bytes(b), "same seed, same noise");
            assertFalse(java.util.Arrays.equals(bytes(a), bytes(c)), "another seed, other noise");
            double sum = 0, sq = 0;
            byte[] v = bytes(a);
            for (byte x : v) {
                double d = (x & 0xFF) - 128;
                sum += d;
                sq += d * d;
            }
            double mean = sum / v.length, variance = sq / v.length - mean * mean;
            // variance 23 plus the rounding's 1/12; 12288 samples: standard error of the variance about 0.3
            assertEquals(23 + 1.0 / 12, variance, 1.5);
            assertEquals(0, mean, 0.2);
        }
    }

    @Test
    void noiseIsClippedToEightBits() {
        byte[] extremes = new byte[32 * 32 * 3];
        for (int i = 0; i < extremes.length; i++) {
            extremes[i] = (byte) (i % 2 == 0 ? 0 : 255);
        }
        try (Mat in = image(32, 32, extremes); Mat out = new Attack(AttackKind.NOISE, 10000).apply(in, 1)) {
            byte[] v = bytes(out);
            int changed = 0;
            for (int i = 0; i < v.length; i++) {
                int x = v[i] & 0xFF;
                changed += x != (extremes[i] & 0xFF) ? 1 : 0;
            }
            assertTrue(changed > v.length / 3, "sigma 100 moves most pixels inward: " + changed);
        }
    }

    @Test
    void blurSmoothsButKeepsAConstantImage() {
        byte[] flat = new byte[40 * 30 * 3];
        java.util.Arrays.fill(flat, (byte) 77);
        byte[] tex = texture(40 * 30 * 3, 3);
        try (Mat f = image(30, 40, flat); Mat fb = new Attack(AttackKind.BLUR, 23).apply(f, 0);
                Mat t = image(30, 40, tex); Mat t3 = new Attack(AttackKind.BLUR, 3).apply(t, 0);
                Mat t23 = new Attack(AttackKind.BLUR, 23).apply(t, 0)) {
            assertArrayEquals(flat, bytes(fb));
            double in = spread(tex), small = spread(bytes(t3)), large = spread(bytes(t23));
            assertTrue(small < in * 0.6 && large < small * 0.5, in + " > " + small + " > " + large);
        }
    }

    @Test
    void jpegLosesMoreAtLowerQuality() {
        byte[] tex = new byte[48 * 48 * 3]; // smooth waves with fine detail: what JPEG quantises away
        for (int y = 0, i = 0; y < 48; y++) {
            for (int x = 0; x < 48; x++) {
                for (int c = 0; c < 3; c++, i++) {
                    tex[i] = (byte) (128 + 60 * Math.sin(x / 3.0 + c) * Math.cos(y / 4.0) + 20 * Math.sin(x * y));
                }
            }
        }
        try (Mat t = image(48, 48, tex); Mat q95 = new Attack(AttackKind.JPEG, 95).apply(t, 0);
                Mat q50 = new Attack(AttackKind.JPEG, 50).apply(t, 0)) {
            assertEquals(48, q50.rows());
            assertEquals(CV_8UC3, q50.type());
            double e95 = error(tex, bytes(q95)), e50 = error(tex, bytes(q50));
            assertTrue(e95 > 0 && e50 > e95 * 2, e95 + " vs " + e50);
        }
    }

    @Test
    void attacksNeedColourImagesAndValidStrengths() {
        assertThrows(IllegalArgumentException.class, () -> new Attack(AttackKind.BLUR, 2));
        assertThrows(IllegalArgumentException.class, () -> new Attack(AttackKind.JPEG, 101));
        OpenCv.load();
        try (Mat grey = new Mat(4, 4, org.bytedeco.opencv.global.opencv_core.CV_8UC1)) {
            assertThrows(IllegalArgumentException.class, () -> new Attack(AttackKind.JPEG, 50).apply(grey, 0));
        }
    }

    private static double spread(byte[] v) {
        double sum = 0, sq = 0;
        for (byte x : v) {
            sum += x & 0xFF;
            sq += (x & 0xFF) * (x & 0xFF);
        }
        double m = sum / v.length;
        return sq / v.length - m * m;
    }

    private static double error(byte[] a, byte[] b) {
        double e = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (a[i] & 0xFF) - (b[i] & 0xFF);
            e += d * d;
        }
        return e / a.length;
    }
}
