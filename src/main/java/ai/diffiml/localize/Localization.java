package ai.diffiml.localize;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * What a {@link Localizer} found in one image, at the image's <b>original size</b> ({@link #width()} x
 * {@link #height()}, maps row-major): the tampering probability of every pixel, the binary mask at the threshold,
 * the uncertainty map, the image scores and the stage timings. Immutable; the array getters return copies.
 *
 * <p>The probability is the method's: the mask decoded once from the latent averaged over the ensemble (and, with
 * flip TTA, the per-pixel maximum of the direct and mirrored maps). In {@link InferenceMode#RESIZE} the map at the
 * model's resolution is kept too ({@link #modelProbability()}), for scoring at that resolution.
 */
public final class Localization {
    /** Grey level per unit of spread in {@link #uncertaintyImage()}: the spread of values in [0, 1] is at most 0.5. */
    public static final float UNCERTAINTY_SCALE = 2f;

    private final int width;
    private final int height;
    private final float[] probability;
    /** Null when not measured (all zeros, made on demand: a large image's zeros would cost 4 bytes a pixel). */
    private final float[] uncertainty;
    private final boolean uncertaintyMeasured;
    private final float[] modelProbability;
    private final int modelResolution;
    private final float threshold;
    private final StageTimings timings;
    private final double scoreMax;
    private final double scoreMean;
    private final double detectionScore;

    Localization(int width, int height, float[] probability, float[] uncertainty, boolean uncertaintyMeasured,
            float[] modelProbability, int modelResolution, float threshold, StageTimings timings,
            double detectionScore) {
        if ((long) width * height != probability.length
                || (uncertainty != null && uncertainty.length != probability.length)
                || (uncertainty == null && uncertaintyMeasured)) {
            throw new IllegalArgumentException("maps do not hold " + width + " x " + height + " pixels");
        }
        this.width = width;
        this.height = height;
        this.probability = probability;
        this.uncertainty = uncertainty;
        this.uncertaintyMeasured = uncertaintyMeasured;
        this.modelProbability = modelProbability;
        this.modelResolution = modelResolution;
        this.threshold = threshold;
        this.timings = timings;
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float p : probability) {
            max = Math.max(max, p);
            sum += p;
        }
        this.scoreMax = max;
        this.scoreMean = sum / probability.length;
        this.detectionScore = detectionScore;
    }

    /** The image's width in pixels (as decoded). */
    public int width() {
        return width;
    }

    /** The image's height in pixels (as decoded). */
    public int height() {
        return height;
    }

    /** Tampering probability in [0, 1] of every pixel, row-major, {@code width x height} values (a copy). */
    public float[] probability() {
        return probability.clone();
    }

    /** Tampering probability of pixel ({@code x}, {@code y}). */
    public float probability(int x, int y) {
        return probability[index(x, y)];
    }

    /** The threshold of {@link #mask()}. */
    public float threshold() {
        return threshold;
    }

    /** 1 where the probability is above {@link #threshold()} (strictly, as the evaluation protocol), else 0. */
    public byte[] mask() {
        byte[] mask = new byte[probability.length];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = (byte) (probability[i] > threshold ? 1 : 0);
        }
        return mask;
    }

    /** Whether pixel ({@code x}, {@code y}) is in the {@link #mask()}. */
    public boolean tampered(int x, int y) {
        return probability[index(x, y)] > threshold;
    }

    /**
     * Per-pixel spread of the ensemble: the standard deviation (over members, dividing by N) of the N members'
     * decoded probabilities, each member's own final latent decoded (with flip TTA, each member's direct and
     * mirrored maps fused by maximum first, as for the probability), resized like the probability. A copy.
     * <b>All zeros</b> when it was not measured: for an ensemble of one (a single map has no spread), for the
     * discriminative model (no ensemble), and when {@link LocalizerOptions#uncertainty()} is off; see
     * {@link #uncertaintyMeasured()}.
     */
    public float[] uncertainty() {
        return uncertainty == null ? new float[probability.length] : uncertainty.clone();
    }

    /** The {@link #uncertainty()} of pixel ({@code x}, {@code y}). */
    public float uncertainty(int x, int y) {
        int i = index(x, y);
        return uncertainty == null ? 0f : uncertainty[i];
    }

    /** Whether {@link #uncertainty()} was measured from two or more members (otherwise it is zeros). */
    public boolean uncertaintyMeasured() {
        return uncertaintyMeasured;
    }

    /** Image-level score: the largest pixel probability (the usual detection score). */
    public double scoreMax() {
        return scoreMax;
    }

    /** Image-level score: the mean pixel probability. */
    public double scoreMean() {
        return scoreMean;
    }

    /** Whether the model has a detection head, whose output is {@link #detectionScore()}. */
    public boolean hasDetectionScore() {
        return !Double.isNaN(detectionScore);
    }

    /**
     * The detection head's tampering probability of the image (DiffForensics; with tiles, their maximum), NaN
     * for models without one.
     */
    public double detectionScore() {
        return detectionScore;
    }

    /** The image-level score evaluation uses: the detection score where the model has one, else {@link #scoreMax()}. */
    public double imageScore() {
        return hasDetectionScore() ? detectionScore : scoreMax;
    }

    /** Where the time went. */
    public StageTimings timings() {
        return timings;
    }

    /** Whether the map at the model's resolution is available ({@link InferenceMode#RESIZE}; not when tiled). */
    public boolean hasModelProbability() {
        return modelProbability != null;
    }

    /** The model's square input side R. */
    public int modelResolution() {
        return modelResolution;
    }

    /**
     * The probability map as the model produced it for the image resized to R x R, before it was resized back
     * (R x R values, row-major; a copy): what IMDL-BenCo's "resize" scoring compares with the resized ground
     * truth.
     *
     * @throws IllegalStateException in {@link InferenceMode#TILED}, which has no such map
     */
    public float[] modelProbability() {
        if (modelProbability == null) {
            throw new IllegalStateException("no model-resolution map: the image was localized in tiles");
        }
        return modelProbability.clone();
    }

    /** The probability as an 8-bit grey image ({@code round(255 p)}). */
    public BufferedImage probabilityImage() {
        return MapImages.greyImage(MapImages.grey(probability, 1f), width, height);
    }

    /** The mask as a black (0) and white (255) image. */
    public BufferedImage maskImage() {
        return MapImages.greyImage(MapImages.maskGrey(mask()), width, height);
    }

    /** The uncertainty as an 8-bit grey image: {@code round(255 min(1, 2 spread))} (the spread is at most 0.5). */
    public BufferedImage uncertaintyImage() {
        return MapImages.greyImage(uncertaintyGrey(), width, height);
    }

    /** Writes {@link #probabilityImage()} as a grey 8-bit PNG, atomically. */
    public void writeProbabilityPng(Path file) throws IOException {
        MapImages.write(file, MapImages.greyPng(MapImages.grey(probability, 1f), width, height));
    }

    /** Writes {@link #maskImage()} as a grey 8-bit PNG (0 and 255), atomically. */
    public void writeMaskPng(Path file) throws IOException {
        MapImages.write(file, MapImages.greyPng(MapImages.maskGrey(mask()), width, height));
    }

    /** Writes {@link #uncertaintyImage()} as a grey 8-bit PNG, atomically. */
    public void writeUncertaintyPng(Path file) throws IOException {
        MapImages.write(file, MapImages.greyPng(uncertaintyGrey(), width, height));
    }

    /**
     * Writes the photo with the probability laid over it as a heatmap ({@link MapImages#overlayBgr}) as a PNG,
     * atomically. {@code photo} must be the localized image (same size).
     */
    public void writeOverlayPng(Path file, BufferedImage photo) throws IOException {
        if (photo.getWidth() != width || photo.getHeight() != height) {
            throw new IllegalArgumentException("overlay: the photo is " + photo.getWidth() + " x "
                    + photo.getHeight() + ", the map " + width + " x " + height);
        }
        byte[] bgr;
        try (org.bytedeco.opencv.opencv_core.Mat mat = ai.diffiml.data.ImageFiles.fromBufferedImage(photo)) {
            bgr = MapImages.bgrBytes(mat);
        }
        writeOverlayPng(file, bgr);
    }

    /**
     * {@link #writeOverlayPng(Path, BufferedImage)} for a photo given as an 8-bit BGR OpenCV image (as
     * {@link ai.diffiml.data.ImageFiles#readImage} returns; read, not changed or closed), blended in bands of rows
     * (no photo-sized copy on the Java heap).
     */
    public void writeOverlayPng(Path file, org.bytedeco.opencv.opencv_core.Mat photo) throws IOException {
        if (photo.cols() != width || photo.rows() != height) {
            throw new IllegalArgumentException("overlay: the photo is " + photo.cols() + " x " + photo.rows()
                    + ", the map " + width + " x " + height);
        }
        MapImages.write(file, MapImages.overlayPng(photo, probability));
    }

    /** {@link #writeOverlayPng(Path, BufferedImage)} for a photo given as 8-bit BGR bytes, row-major. */
    public void writeOverlayPng(Path file, byte[] photoBgr) throws IOException {
        MapImages.write(file, MapImages.bgrPng(MapImages.overlayBgr(photoBgr, probability, width, height), width,
                height));
    }

    private byte[] uncertaintyGrey() {
        return uncertainty == null ? new byte[probability.length] : MapImages.grey(uncertainty, UNCERTAINTY_SCALE);
    }

    private int index(int x, int y) {
        if (x < 0 || y < 0 || x >= width || y >= height) {
            throw new IndexOutOfBoundsException("pixel (" + x + ", " + y + ") outside " + width + " x " + height);
        }
        return y * width + x;
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "Localization[%dx%d, max %.4f, mean %.4f, %.0f ms]", width,
                height, scoreMax, scoreMean, timings.totalMs());
    }
}
