package ai.diffiml.eval;

import ai.diffiml.data.Preprocess;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Brings a prediction and its ground truth onto the one grid a {@link ScoringMode} scores on: {@code RESIZE} on the
 * model's {@code resolution x resolution} grid (ground truth by nearest neighbour; the model-resolution map used as
 * it is, or, without one, the image-size map resampled), {@code ORIGINAL} on the ground truth's own grid (the
 * image-size map resampled to it when the sizes differ). A mask
 * whose size differs from its image's (a known dataset erratum) is scored on its own grid all the same, and the
 * mismatch is reported.
 */
public final class ScoringGrid {
    private ScoringGrid() {}

    /** Prediction and truth on the scoring grid ({@code truth} values 0 or 1). */
    public record Aligned(int width, int height, float[] probability, float[] truth) {}

    /**
     * @param prediction the prediction
     * @param truth the ground-truth mask, 8-bit single channel {0, 1} at its file's size (not modified)
     * @param resolution the model's square input size
     */
    public static Aligned align(ScoringMode mode, MapPredictor.Prediction prediction, Mat truth, int resolution) {
        int w = mode == ScoringMode.RESIZE ? resolution : truth.cols();
        int h = mode == ScoringMode.RESIZE ? resolution : truth.rows();
        float[] t = new float[w * h];
        try (Mat onGrid = Preprocess.resizeNearest(truth, h, w)) {
            Preprocess.maskToFloats(onGrid, t, 0);
        }
        FloatMap model = prediction.modelProbability();
        FloatMap source = mode == ScoringMode.RESIZE && model != null ? model : prediction.probability();
        return new Aligned(w, h, source.resized(w, h).values(), t);
    }
}
