package ai.diffiml.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.data.ImageFiles;
import ai.diffiml.data.Preprocess;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.Rand;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pixel F1 against counts worked out by hand. */
class PixelF1Test {
    private static final double TOL = 1e-12;

    @TempDir
    Path dir;

    @Test
    void allCorrectScoresOne() {
        PixelF1.Counts c = PixelF1.count(new float[] {0.9f, 1f, 0f, 0.2f}, new float[] {1, 1, 0, 0});
        assertEquals(new PixelF1.Counts(2, 0, 0, 2), c);
        assertEquals(1, c.f1(), TOL);
        assertEquals(1, c.precision(), TOL);
        assertEquals(1, c.recall(), TOL);
        assertEquals(1, c.iou(), TOL);
    }

    @Test
    void emptyPredictionOnATamperedImageScoresZero() {
        PixelF1.Counts c = PixelF1.count(new float[] {0.1f, 0.4f, 0f, 0.3f}, new float[] {1, 1, 0, 0});
        assertEquals(new PixelF1.Counts(0, 0, 2, 2), c);
        assertEquals(0, c.precision(), TOL); // 0 / 0 counts as 0, as BenCo's 1e-8 makes it
        assertEquals(0, c.recall(), TOL);
        assertEquals(0, c.f1(), TOL);
        assertEquals(0, c.iou(), TOL);
    }

    @Test
    void thresholdIsStrict() {
        // 0.5 is not tampered: TP 1 (0.9), FN 1 (0.5 on a tampered pixel), FP 0 (0.5 on an authentic pixel).
        PixelF1.Counts c = PixelF1.count(new float[] {0.5f, 0.9f, 0.5f, 0.1f}, new float[] {1, 1, 0, 0});
        assertEquals(new PixelF1.Counts(1, 0, 1, 2), c);
        assertEquals(1, c.precision(), TOL);
        assertEquals(0.5, c.recall(), TOL);
        assertEquals(2.0 / 3, c.f1(), TOL);
        assertEquals(0.5, c.iou(), TOL);
        PixelF1.Counts above = PixelF1.count(new float[] {Math.nextUp(0.5f)}, new float[] {1});
        assertEquals(1, above.tp());
    }

    @Test
    void mixedCountsByHand() {
        // truth: 4 tampered of 8; prediction: 3 TP, 2 FP, 1 FN, 2 TN. P = 3/5, R = 3/4, F1 = 2/3, IoU = 3/6.
        float[] truth = {1, 1, 1, 1, 0, 0, 0, 0};
        float[] prob = {0.7f, 0.8f, 0.6f, 0.2f, 0.9f, 0.51f, 0.0f, 0.49f};
        PixelF1.Counts c = PixelF1.count(prob, truth);
        assertEquals(new PixelF1.Counts(3, 2, 1, 2), c);
        assertEquals(0.6, c.precision(), TOL);
        assertEquals(0.75, c.recall(), TOL);
        assertEquals(2.0 / 3, c.f1(), TOL);
        assertEquals(0.5, c.iou(), TOL);
    }

    @Test
    void datasetMeanIsOverTamperedImagesOnly() {
        // Batch of three 2x2 images: tampered (F1 1), authentic with false positives (not scored), tampered (2/3).
        float[] prob = {1, 1, 0, 0, /**/ 0.9f, 0.9f, 0.9f, 0.9f, /**/ 0.5f, 0.9f, 0.5f, 0.1f};
        float[] truth = {1, 1, 0, 0, /**/ 0, 0, 0, 0, /**/ 1, 1, 0, 0};
        PixelF1.Summary s;
        try (Tensor p = Tensor.of(Device.CPU, prob, 3, 1, 2, 2); Tensor t = Tensor.of(Device.CPU, truth, 3, 1, 2, 2)) {
            s = new PixelF1.Accumulator().add(p, t, new boolean[] {true, false, true}).summary();
        }
        assertEquals(2, s.tamperedImages());
        assertEquals(1, s.authenticImages());
        assertEquals((1 + 2.0 / 3) / 2, s.f1(), TOL);
        assertEquals(1, s.precision(), TOL);
        assertEquals(0.75, s.recall(), TOL);
        assertEquals(0.75, s.iou(), TOL);
        assertTrue(s.toString().contains("pixel F1 0.8333"), s::toString);
    }

    @Test
    void noTamperedImageGivesNaNAndShapesAreChecked() {
        PixelF1.Summary s = new PixelF1.Accumulator().add(null, false).summary();
        assertTrue(Double.isNaN(s.f1()));
        assertEquals(1, s.authenticImages());
        try (Tensor p = Tensor.zeros(Device.CPU, 2, 1, 2, 2); Tensor t = Tensor.zeros(Device.CPU, 2, 1, 2, 3)) {
            assertThrows(IllegalArgumentException.class,
                    () -> new PixelF1.Accumulator().add(p, t, new boolean[] {true, true}));
        }
        assertThrows(IllegalArgumentException.class, () -> PixelF1.count(new float[2], new float[3]));
    }

    @Test
    void agreesWithBencosFormulaOnRandomMaps() {
        Rand rand = new Rand(17);
        for (int image = 0; image < 40; image++) {
            int n = 64 * 64;
            float[] p = rand.uniform(n, 0, 1);
            float[] coin = rand.uniform(n, 0, 1);
            float tamperedShare = image % 10 == 0 ? 0.002f : 0.05f + 0.02f * image; // some masks nearly empty
            float[] t = new float[n];
            for (int i = 0; i < n; i++) {
                t[i] = coin[i] < tamperedShare ? 1 : 0;
                if (image % 7 == 0) {
                    p[i] *= 0.5f; // some predictions empty: nothing > 0.5
                } else if (image % 3 == 0) {
                    p[i] = t[i] > 0 ? 0.5f + 0.5f * p[i] : p[i]; // some predictions fairly good
                }
            }
            assertEquals(bencoPixelF1(p, t), PixelF1.count(p, t).f1(), 1e-6, "image " + image);
        }
    }

    /**
     * A plain re-statement of IMDL-BenCo's per-image pixel F1: prediction binarised by {@code > 0.5}, TP, FP, FN as
     * sums of products, P = TP / (TP + FP + 1e-8), R = TP / (TP + FN + 1e-8), F1 = 2PR / (P + R + 1e-8).
     */
    private static double bencoPixelF1(float[] p, float[] t) {
        double tp = 0, fp = 0, fn = 0;
        for (int i = 0; i < p.length; i++) {
            double pred = p[i] > 0.5 ? 1 : 0;
            tp += pred * t[i];
            fp += pred * (1 - t[i]);
            fn += (1 - pred) * t[i];
        }
        double precision = tp / (tp + fp + 1e-8), recall = tp / (tp + fn + 1e-8);
        return 2 * precision * recall / (precision + recall + 1e-8);
    }

    @Test
    void threeChannelAndRgbaMasksAreBinarisedByTheirColourMean() throws Exception {
        // Four pixels: white (mean 255), (128, 128, 127) mean 127.67 > 127.5, (127, 128, 127) mean 127.33,
        // pure red mean 85. Truth: 1, 1, 0, 0.
        int[] rgb = {0xFFFFFF, 0x80807F, 0x7F807F, 0xFF0000};
        BufferedImage three = new BufferedImage(4, 1, BufferedImage.TYPE_3BYTE_BGR);
        BufferedImage rgba = new BufferedImage(4, 1, BufferedImage.TYPE_INT_ARGB);
        for (int x = 0; x < 4; x++) {
            three.setRGB(x, 0, rgb[x]);
            // alpha is ignored: transparent white still counts, opaque red still does not
            rgba.setRGB(x, 0, (x == 0 ? 0x00 : 0xFF) << 24 | rgb[x]);
        }
        float[] prediction = {0.9f, 0.2f, 0.7f, 0.1f}; // TP, FN, FP, TN
        for (BufferedImage mask : new BufferedImage[] {three, rgba}) {
            Path file = dir.resolve("mask-" + mask.getType() + ".png");
            ImageIO.write(mask, "png", file.toFile());
            float[] truth = new float[4];
            try (Mat m = ImageFiles.readMask(file)) {
                Preprocess.maskToFloats(m, truth, 0);
            }
            assertArrayEquals(new float[] {1, 1, 0, 0}, truth, "mask type " + mask.getType());
            PixelF1.Counts c = PixelF1.count(prediction, truth);
            assertEquals(new PixelF1.Counts(1, 1, 1, 1), c);
            assertEquals(0.5, c.f1(), TOL);
            assertEquals(1.0 / 3, c.iou(), TOL);
        }
    }
}
