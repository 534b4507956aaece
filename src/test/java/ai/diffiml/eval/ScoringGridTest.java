package ai.diffiml.eval;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.diffiml.data.OpenCv;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

/** The two scoring grids, by hand. */
class ScoringGridTest {
    private static Mat mask(int rows, int cols, byte... v) {
        OpenCv.load();
        Mat m = new Mat(rows, cols, CV_8UC1);
        m.data().put(v);
        return m;
    }

    @Test
    void resizeScoresOnTheModelGridWithTheTruthResizedNearest() {
        // 4x2 truth (left half tampered) onto a 2x2 grid: nearest keeps columns 0 and 2 -> [1, 0; 1, 0]
        try (Mat truth = mask(2, 4, (byte) 1, (byte) 1, (byte) 0, (byte) 0, (byte) 1, (byte) 1, (byte) 0, (byte) 0)) {
            FloatMap model = new FloatMap(2, 2, new float[] {0.9f, 0.1f, 0.8f, 0.6f});
            FloatMap image = new FloatMap(4, 2, new float[8]); // not used when the model-resolution map is given
            ScoringGrid.Aligned a = ScoringGrid.align(ScoringMode.RESIZE, prediction(image, model), truth, 2);
            assertEquals(2, a.width());
            assertEquals(2, a.height());
            assertSame(model.values(), a.probability()); // already on the grid: used as it is
            assertArrayEquals(new float[] {1, 0, 1, 0}, a.truth());
            assertEquals(new PixelF1.Counts(2, 1, 0, 1), PixelF1.count(a.probability(), a.truth()));
        }
    }

    @Test
    void originalScoresOnTheTruthGridWithThePredictionResizedBilinearly() {
        try (Mat truth = mask(1, 4, (byte) 1, (byte) 1, (byte) 0, (byte) 0)) {
            FloatMap small = new FloatMap(2, 1, new float[] {1f, 0f});
            ScoringGrid.Aligned a = ScoringGrid.align(ScoringMode.ORIGINAL, prediction(small, null), truth, 2);
            assertEquals(4, a.width());
            // half-pixel centres: x' = (x + 0.5) / 2 - 0.5 -> -0.25, 0.25, 0.75, 1.25 -> 1, 0.75, 0.25, 0 (clamped)
            assertArrayEquals(new float[] {1f, 0.75f, 0.25f, 0f}, a.probability(), 1e-6f);
            assertArrayEquals(new float[] {1, 1, 0, 0}, a.truth());
        }
    }

    @Test
    void resizeWithoutAModelMapResamplesTheImageMap() {
        try (Mat truth = mask(2, 4, (byte) 1, (byte) 1, (byte) 0, (byte) 0, (byte) 1, (byte) 1, (byte) 0, (byte) 0)) {
            FloatMap image = new FloatMap(4, 2, new float[] {1, 0.6f, 0.2f, 0, 1, 0.8f, 0, 0.2f});
            ScoringGrid.Aligned a = ScoringGrid.align(ScoringMode.RESIZE, prediction(image, null), truth, 2);
            // area shrink 4x2 -> 2x2: means of 2x1 blocks
            assertArrayEquals(new float[] {0.8f, 0.1f, 0.9f, 0.1f}, a.probability(), 1e-6f);
            ScoringGrid.Aligned o = ScoringGrid.align(ScoringMode.ORIGINAL, prediction(image, null), truth, 2);
            assertSame(image.values(), o.probability(), "already the truth's size: used as it is");
        }
    }

    private static MapPredictor.Prediction prediction(FloatMap image, FloatMap model) {
        return new MapPredictor.Prediction(image, model, null, image.max());
    }

    @Test
    void floatMapChecksItsSizeAndResizesByAreaWhenShrinking() {
        assertThrows(IllegalArgumentException.class, () -> new FloatMap(2, 2, new float[3]));
        assertThrows(IllegalArgumentException.class, () -> new FloatMap(0, 2, new float[0]));
        FloatMap m = new FloatMap(4, 2, new float[] {1, 0, 0.5f, 0.5f, 1, 0, 0.25f, 0.75f});
        assertArrayEquals(new float[] {0.5f, 0.5f}, m.resized(2, 1).values(), 1e-6f);
        assertEquals(1f, m.max());
        assertEquals(true, m.isProbability());
        assertEquals(false, new FloatMap(1, 1, new float[] {Float.NaN}).isProbability());
        assertEquals("resize", ScoringMode.RESIZE.label());
        assertSame(ScoringMode.ORIGINAL, ScoringMode.parse("Original"));
        assertThrows(IllegalArgumentException.class, () -> ScoringMode.parse("native"));
    }
}
