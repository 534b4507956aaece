package ai.diffiml.eval;

import org.bytedeco.opencv.opencv_core.Mat;

/**
 * What the evaluation needs from a model: one image in, its tampering probability map (and, where the model has
 * one, an uncertainty map) and an image-level score out. Implementations may be called from one thread at a time.
 */
public interface MapPredictor {
    /**
     * Side of the square input the model works at: "resize" scoring ({@link ScoringMode#RESIZE}) happens on this
     * grid (512 for the paper's model).
     */
    int resolution();

    /**
     * Predicts one image: an 8-bit, 3-channel BGR OpenCV image as {@link ai.diffiml.data.ImageFiles#readImage}
     * returns it, which stays the caller's (not changed, not closed).
     *
     * @throws RuntimeException when the image cannot be predicted; the evaluation reports it and goes on
     */
    Prediction predict(Mat bgr);

    /**
     * Predicts several images, in order (the same images as {@link #predict}). This default predicts them one by
     * one; a predictor that batches them may fail the whole call because of one image, and the evaluation then
     * predicts them one by one.
     */
    default java.util.List<Prediction> predictAll(java.util.List<Mat> images) {
        return images.stream().map(this::predict).toList();
    }

    /**
     * One image's prediction.
     *
     * @param probability per-pixel tampering probability in [0, 1] at the image's size (a map of another size is
     *     resampled to whatever grid it is scored on)
     * @param modelProbability the same at the model's resolution, {@link #resolution()} square, before it was
     *     resized to the image: what "resize" scoring uses as it is (IMDL-BenCo compares the model's own output);
     *     null when the model gives none, and "resize" scoring then resamples {@code probability}
     * @param uncertainty per-pixel spread of the prediction (e.g. over ensemble members), any size; null when the
     *     model has none
     * @param score image-level score in [0, 1], e.g. the maximum probability
     */
    record Prediction(FloatMap probability, FloatMap modelProbability, FloatMap uncertainty, double score) {
        public Prediction {
            java.util.Objects.requireNonNull(probability, "probability");
        }
    }
}
