package ai.diffiml.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Pixel F1 against counts worked out by hand. */
class PixelF1Test {
    private static final double TOL = 1e-12;

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
}
