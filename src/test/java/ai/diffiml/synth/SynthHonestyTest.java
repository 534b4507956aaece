package ai.diffiml.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.data.OpenCv;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Statistical honesty of the generator over many samples: a detector must not be able to tell tampered from
 * authentic, or the tampered region from the rest, by a cue real manipulations lack. Tampered images' masks are
 * also laid over authentic images (pairing them in order) to give each statistic its null distribution: the
 * variation of an untouched host under the same mask. Limits: |t| < 3.5 for means, two-sample Kolmogorov-Smirnov
 * at the 0.001 level for distributions. Deterministic (fixed seed): these are checks of the design, not of luck.
 */
class SynthHonestyTest {
    private static final int COUNT = 400, SIZE = 96;
    private static final double T_LIMIT = 3.5;
    private static List<Raster> tpImages, tpMasks, auImages;
    private static List<SynthSample> tp, au;

    @BeforeAll
    static void generate() {
        OpenCv.load();
        SynthGenerator g = new SynthGenerator(SynthOptions.defaults().withCount(COUNT).withSeed(2024).withSize(SIZE)
                .withAuthenticFraction(0.5));
        tp = new ArrayList<>();
        au = new ArrayList<>();
        tpImages = new ArrayList<>();
        tpMasks = new ArrayList<>();
        auImages = new ArrayList<>();
        List<SynthSample> all = java.util.stream.IntStream.range(0, COUNT).parallel().mapToObj(g::sample).toList();
        for (SynthSample s : all) {
            Raster image = SynthFiles.decodeUnchanged(s.image(), "image " + s.index());
            if (s.tampered()) {
                tp.add(s);
                tpImages.add(image);
                tpMasks.add(SynthFiles.mask01(SynthFiles.decodeUnchanged(s.mask(), "mask " + s.index())));
            } else {
                au.add(s);
                auImages.add(image);
            }
        }
        assertEquals(COUNT / 2, tp.size());
    }

    /** Per-channel mean (B, G, R), luminance and saturation inside the mask minus outside it. */
    @Test
    void colourAndBrightnessInsideTheMaskMatchTheHost() {
        String[] names = {"blue", "green", "red", "luminance", "saturation"};
        for (int f = 0; f < names.length; f++) {
            int feature = f;
            double[] tampered = perImage(tpImages, (img, mask) -> insideMinusOutside(img, mask, feature));
            double[] untouched = perImage(auImages, (img, mask) -> insideMinusOutside(img, mask, feature));
            assertUnbiased(names[f] + " inside - outside", tampered, untouched);
        }
    }

    /** No outline: the boundary band is neither brighter nor darker than the bands 3..5 pixels to either side. */
    @Test
    void regionBoundariesCarryNoOutline() {
        double[] tampered = perImage(tpImages, SynthHonestyTest::boundaryContrast);
        double[] untouched = perImage(auImages, SynthHonestyTest::boundaryContrast);
        assertUnbiased("boundary band - neighbouring bands", tampered, untouched);
    }

    /** Authentic and tampered files share the final format and JPEG quality distribution. */
    @Test
    void authenticAndTamperedShareTheJpegDistribution() {
        double[] qTp = tables(tp), qAu = tables(au);
        int jpgTp = qTp.length, jpgAu = qAu.length;
        double p = (jpgTp + jpgAu) / (double) (tp.size() + au.size());
        double z = (jpgTp / (double) tp.size() - jpgAu / (double) au.size())
                / Math.sqrt(p * (1 - p) * (1.0 / tp.size() + 1.0 / au.size()));
        assertTrue(Math.abs(z) < T_LIMIT, "share of JPEG files: tampered " + jpgTp + "/" + tp.size()
                + ", authentic " + jpgAu + "/" + au.size());
        assertTrue(jpgTp > 0.6 * tp.size() && jpgTp < tp.size(), "most files JPEG, some PNG: " + jpgTp);
        assertKsSame("JPEG luminance quantisation table sums", qTp, qAu);
        assertTrue(max(qTp) - min(qTp) > 500, "qualities vary: " + min(qTp) + ".." + max(qTp));
    }

    /** Noise and grain away from the region: the same distribution in tampered and authentic images. */
    @Test
    void noiseOutsideTheRegionMatchesAuthenticImages() {
        double[] tampered = perImage(tpImages, SynthHonestyTest::noiseOutside);
        double[] untouched = perImage(auImages, SynthHonestyTest::noiseOutside);
        assertKsSame("noise level outside the region", tampered, untouched);
    }

    /** JPEG blocking away from the region (an extra save of tampered images alone would show here). */
    @Test
    void blockingOutsideTheRegionMatchesAuthenticImages() {
        double[] tampered = perImage(tpImages, SynthHonestyTest::blockingOutside);
        double[] untouched = perImage(auImages, SynthHonestyTest::blockingOutside);
        assertKsSame("8x8 blocking outside the region", tampered, untouched);
    }

    // ---- statistics ------------------------------------------------------------------------------------------

    /** The statistic of each image under mask i (tampered masks in order; authentic images reuse them). */
    private static double[] perImage(List<Raster> images, BiFunction<Raster, Raster, Double> statistic) {
        double[] out = new double[images.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = statistic.apply(images.get(i), tpMasks.get(i % tpMasks.size()));
        }
        return out;
    }

    /**
     * The tampered statistic's mean is within |t| < 3.5 of the untouched hosts' under the same masks (Welch). The
     * hosts' mean need not be 0: scenes are not stationary (sky above, ground below), and masks are where they are.
     */
    private static void assertUnbiased(String what, double[] tampered, double[] untouched) {
        double t = (mean(tampered) - mean(untouched))
                / Math.sqrt(var(tampered) / tampered.length + var(untouched) / untouched.length);
        String detail = String.format("%s: tampered mean %.2f (sd %.2f), untouched hosts %.2f (sd %.2f); t %.2f",
                what, mean(tampered), Math.sqrt(var(tampered)), mean(untouched), Math.sqrt(var(untouched)), t);
        assertTrue(Math.abs(t) < T_LIMIT, detail);
    }

    private static void assertKsSame(String what, double[] a, double[] b) {
        double d = ks(a, b), critical = 1.95 * Math.sqrt((a.length + b.length) / (double) (a.length * b.length));
        assertTrue(d < critical, String.format("%s: KS distance %.3f >= %.3f (means %.2f vs %.2f)", what, d, critical,
                mean(a), mean(b)));
    }

    static double ks(double[] a, double[] b) {
        double[] x = a.clone(), y = b.clone();
        Arrays.sort(x);
        Arrays.sort(y);
        int i = 0, j = 0;
        double d = 0;
        while (i < x.length && j < y.length) {
            double v = Math.min(x[i], y[j]);
            while (i < x.length && x[i] <= v) {
                i++;
            }
            while (j < y.length && y[j] <= v) {
                j++;
            }
            d = Math.max(d, Math.abs(i / (double) x.length - j / (double) y.length));
        }
        return d;
    }

    private static double mean(double[] a) {
        return Arrays.stream(a).average().orElse(Double.NaN);
    }

    private static double var(double[] a) {
        double m = mean(a);
        return Arrays.stream(a).map(v -> (v - m) * (v - m)).sum() / (a.length - 1);
    }

    private static double min(double[] a) {
        return Arrays.stream(a).min().orElse(Double.NaN);
    }

    private static double max(double[] a) {
        return Arrays.stream(a).max().orElse(Double.NaN);
    }

    // ---- image features --------------------------------------------------------------------------------------

    /** Feature 0..2: channel B, G, R; 3: luminance; 4: saturation (max - min channel). */
    private static double feature(Raster img, int pixel, int f) {
        float b = img.data[3 * pixel], g = img.data[3 * pixel + 1], r = img.data[3 * pixel + 2];
        return switch (f) {
            case 0 -> b;
            case 1 -> g;
            case 2 -> r;
            case 3 -> 0.114 * b + 0.587 * g + 0.299 * r;
            default -> Math.max(b, Math.max(g, r)) - Math.min(b, Math.min(g, r));
        };
    }

    private static double insideMinusOutside(Raster img, Raster mask, int f) {
        double in = 0, out = 0;
        int nIn = 0, nOut = 0;
        for (int i = 0; i < mask.data.length; i++) {
            if (mask.data[i] > 0.5f) {
                in += feature(img, i, f);
                nIn++;
            } else {
                out += feature(img, i, f);
                nOut++;
            }
        }
        return in / nIn - out / nOut;
    }

    /** Luminance on the boundary (within 1 px) minus the mean of the bands 3..5 px inside and outside. */
    private static double boundaryContrast(Raster img, Raster mask) {
        Raster d1 = Cv.dilate(mask, 1), d5 = Cv.dilate(mask, 5), d2 = Cv.dilate(mask, 2);
        Raster inv = new Raster(mask.width, mask.height, 1);
        for (int i = 0; i < inv.data.length; i++) {
            inv.data[i] = 1 - mask.data[i];
        }
        Raster e1 = Cv.dilate(inv, 1), e2 = Cv.dilate(inv, 2), e5 = Cv.dilate(inv, 5);
        double edge = 0, inner = 0, outer = 0;
        int nEdge = 0, nInner = 0, nOuter = 0;
        for (int i = 0; i < mask.data.length; i++) {
            double y = feature(img, i, 3);
            boolean in = mask.data[i] > 0.5f;
            if ((in && e1.data[i] > 0.5f) || (!in && d1.data[i] > 0.5f)) {
                edge += y;
                nEdge++;
            } else if (in && e5.data[i] > 0.5f && e2.data[i] < 0.5f) {
                inner += y;
                nInner++;
            } else if (!in && d5.data[i] > 0.5f && d2.data[i] < 0.5f) {
                outer += y;
                nOuter++;
            }
        }
        if (nEdge == 0 || nInner == 0 || nOuter == 0) {
            return 0;
        }
        return edge / nEdge - (inner / nInner + outer / nOuter) / 2;
    }

    /** Mean |luminance - its 3x3 box mean| over pixels at least 4 px outside the region. */
    private static double noiseOutside(Raster img, Raster mask) {
        Raster near = Cv.dilate(mask, 4);
        int w = img.width;
        double sum = 0;
        int n = 0;
        for (int y = 1; y < img.height - 1; y++) {
            for (int x = 1; x < w - 1; x++) {
                if (near.data[y * w + x] > 0.5f) {
                    continue;
                }
                double box = 0;
                for (int dy = -1; dy <= 1; dy++) {
                    for (int dx = -1; dx <= 1; dx++) {
                        box += feature(img, (y + dy) * w + x + dx, 3);
                    }
                }
                sum += Math.abs(feature(img, y * w + x, 3) - box / 9);
                n++;
            }
        }
        return sum / n;
    }

    /**
     * Blocking: the mean |luminance step| across the 8x8 grid lines (columns 8k-1 | 8k, rows likewise) divided by
     * the mean step elsewhere, over pixel pairs at least 4 px outside the region.
     */
    private static double blockingOutside(Raster img, Raster mask) {
        Raster near = Cv.dilate(mask, 4);
        int w = img.width, h = img.height;
        double grid = 0, other = 0;
        int nGrid = 0, nOther = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                if (near.data[i] > 0.5f) {
                    continue;
                }
                for (int dir = 0; dir < 2; dir++) {
                    int x2 = dir == 0 ? x + 1 : x, y2 = dir == 0 ? y : y + 1;
                    if (x2 >= w || y2 >= h || near.data[y2 * w + x2] > 0.5f) {
                        continue;
                    }
                    double step = Math.abs(feature(img, i, 3) - feature(img, y2 * w + x2, 3));
                    boolean onGrid = dir == 0 ? (x2 & 7) == 0 : (y2 & 7) == 0;
                    if (onGrid) {
                        grid += step;
                        nGrid++;
                    } else {
                        other += step;
                        nOther++;
                    }
                }
            }
        }
        return (grid / Math.max(nGrid, 1)) / Math.max(other / Math.max(nOther, 1), 1e-6);
    }

    /** Sums of the JPEG luminance quantisation tables of the JPEG files among {@code samples}. */
    private static double[] tables(List<SynthSample> samples) {
        return samples.stream().filter(s -> s.extension().equals("jpg")).mapToDouble(s -> lumaTableSum(s.image()))
                .toArray();
    }

    /** The sum of the 64 entries of quantisation table 0 (DQT marker), which falls as quality rises. */
    static int lumaTableSum(byte[] jpeg) {
        assertTrue((jpeg[0] & 0xff) == 0xff && (jpeg[1] & 0xff) == 0xd8, "a JPEG file");
        int at = 2;
        while (at + 4 <= jpeg.length) {
            int marker = jpeg[at + 1] & 0xff, length = ((jpeg[at + 2] & 0xff) << 8) | (jpeg[at + 3] & 0xff);
            if (marker == 0xdb) {
                int p = at + 4, end = at + 2 + length;
                while (p < end) {
                    int precision = (jpeg[p] & 0xff) >> 4, table = jpeg[p] & 0x0f, sum = 0;
                    for (int k = 0; k < 64; k++) {
                        sum += precision == 0 ? jpeg[p + 1 + k] & 0xff
                                : ((jpeg[p + 1 + 2 * k] & 0xff) << 8) | (jpeg[p + 2 + 2 * k] & 0xff);
                    }
                    if (table == 0) {
                        return sum;
                    }
                    p += 1 + 64 * (precision == 0 ? 1 : 2);
                }
            }
            at += 2 + length;
        }
        throw new AssertionError("no luminance quantisation table");
    }
}
