package ai.diffiml.eval;

import ai.diffiml.data.ImageFiles;
import ai.diffiml.data.Sample;
import ai.diffiml.data.Seeds;
import ai.diffiml.data.UnreadableImageException;
import ai.diffiml.eval.robustness.Attack;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Runs a {@link MapPredictor} over the samples of a dataset and scores every image: the image is read
 * ({@link ImageFiles#readImage}), distorted when an {@link Attack} is given (the mask is not), predicted, and its
 * prediction compared with the mask ({@link ImageFiles#readMask}, IMDL-BenCo's binarisation) on the grid of the
 * {@link ScoringMode} ({@link ScoringGrid}): pixel counts ({@link PixelF1}) and pixel AUC ({@link RocAuc}) for
 * tampered images, the image score for all. An image that cannot be read or predicted, or whose prediction is not a
 * probability map in [0, 1] with a score in [0, 1], is recorded as failed with the reason and skipped.
 */
public final class Evaluator {
    /** Told after every image. */
    @FunctionalInterface
    public interface Progress {
        void imageDone(int done, int total, ImageResult result);
    }

    private final MapPredictor predictor;
    private final ScoringMode mode;
    private final long seed;

    /**
     * @param seed seeds the random attacks (noise): the same seed distorts each image (by its id) the same way
     */
    public Evaluator(MapPredictor predictor, ScoringMode mode, long seed) {
        this.predictor = Objects.requireNonNull(predictor, "predictor");
        this.mode = Objects.requireNonNull(mode, "mode");
        this.seed = seed;
    }

    public ScoringMode mode() {
        return mode;
    }

    /**
     * Evaluates {@code samples} under {@code attack} (null: the images as they are).
     *
     * @param name the dataset's column name
     * @param gallery collects the best and worst images (null: none)
     * @param progress told after every image (null: nobody)
     */
    public DatasetResult evaluate(String name, List<Sample> samples, Attack attack, Gallery gallery,
            Progress progress) {
        List<ImageResult> results = new ArrayList<>(samples.size());
        for (int i = 0; i < samples.size(); i++) {
            ImageResult r = evaluate(i, samples.get(i), attack, gallery);
            results.add(r);
            if (progress != null) {
                progress.imageDone(i + 1, samples.size(), r);
            }
        }
        return new DatasetResult(name, attack, results);
    }

    private ImageResult evaluate(int index, Sample s, Attack attack, Gallery gallery) {
        Mat image = null, mask = null, input = null;
        try {
            try {
                image = ImageFiles.readImage(s.image());
                mask = s.tampered() ? ImageFiles.readMask(s.mask()) : null;
            } catch (UnreadableImageException e) {
                return ImageResult.failed(s.id(), s.image(), s.tampered(), e.getMessage());
            }
            // the noise depends on the image's id, not on its position or the dataset's column name
            input = attack == null ? image
                    : attack.apply(image, Seeds.mix(seed, s.id().hashCode(), attack.kind().ordinal(),
                            attack.strength()));
            long start = System.nanoTime();
            MapPredictor.Prediction p;
            try {
                p = predictor.predict(input);
            } catch (RuntimeException e) {
                return ImageResult.failed(s.id(), s.image(), s.tampered(), s.image() + ": prediction failed: "
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            String invalid = invalid(p);
            if (invalid != null) {
                return ImageResult.failed(s.id(), s.image(), s.tampered(), s.image() + ": " + invalid);
            }
            if (!s.tampered()) {
                return new ImageResult(s.id(), s.image(), false, null, null, Double.NaN, p.score(), image.cols(),
                        image.rows(), false, seconds);
            }
            ScoringGrid.Aligned a = ScoringGrid.align(mode, p, mask, predictor.resolution());
            PixelF1.Counts counts = PixelF1.count(a.probability(), a.truth());
            double auc = RocAuc.pixels(a.probability(), a.truth());
            boolean mismatch = mask.rows() != image.rows() || mask.cols() != image.cols();
            if (gallery != null) {
                Mat photo = image, truth = mask;
                gallery.offer(index, counts.f1(), () -> entry(index, s.id(), counts.f1(), p, photo, truth,
                        gallery.side()));
            }
            return new ImageResult(s.id(), s.image(), true, null, counts, auc, p.score(), image.cols(), image.rows(),
                    mismatch, seconds);
        } finally {
            if (input != null && input != image) {
                input.close();
            }
            if (image != null) {
                image.close();
            }
            if (mask != null) {
                mask.close();
            }
        }
    }

    /** Null when {@code p} is a usable prediction, else what is wrong with it. */
    private static String invalid(MapPredictor.Prediction p) {
        if (!p.probability().isProbability()
                || p.modelProbability() != null && !p.modelProbability().isProbability()) {
            return "the prediction has values outside [0, 1] (or NaN)";
        }
        if (!(p.score() >= 0 && p.score() <= 1)) {
            return "the image score " + p.score() + " is outside [0, 1]";
        }
        return null;
    }

    private static Gallery.Entry entry(int index, String id, double f1, MapPredictor.Prediction p, Mat photo,
            Mat truth, int side) {
        int[] wh = Thumbnails.size(photo.cols(), photo.rows(), side);
        int w = wh[0], h = wh[1];
        FloatMap u = p.uncertainty();
        float uMax = u == null ? 0 : Math.max(0, u.max());
        return new Gallery.Entry(index, id, f1, p.score(), Thumbnails.photo(photo, w, h), Thumbnails.mask(truth, w, h),
                Thumbnails.map(p.probability(), w, h, 1f), u == null ? null : Thumbnails.map(u, w, h, uMax), uMax);
    }
}
