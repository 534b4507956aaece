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
    private final int batch;

    /**
     * @param seed seeds the random attacks (noise): the same seed distorts each image (by its id) the same way
     * @param batch images handed to {@link MapPredictor#predictAll} at once
     */
    public Evaluator(MapPredictor predictor, ScoringMode mode, long seed, int batch) {
        this.predictor = Objects.requireNonNull(predictor, "predictor");
        this.mode = Objects.requireNonNull(mode, "mode");
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        }
        this.seed = seed;
        this.batch = batch;
    }

    /** One image at a time. */
    public Evaluator(MapPredictor predictor, ScoringMode mode, long seed) {
        this(predictor, mode, seed, 1);
    }

    public ScoringMode mode() {
        return mode;
    }

    /**
     * Evaluates {@code samples} under {@code attack} (null: the images as they are), {@code batch} images per
     * prediction call.
     *
     * @param name the dataset's column name
     * @param gallery collects the best and worst images (null: none)
     * @param progress told after every image (null: nobody)
     */
    public DatasetResult evaluate(String name, List<Sample> samples, Attack attack, Gallery gallery,
            Progress progress) {
        List<ImageResult> results = new ArrayList<>(samples.size());
        for (int from = 0; from < samples.size(); from += batch) {
            int to = Math.min(samples.size(), from + batch);
            List<Decoded> decoded = new ArrayList<>(to - from);
            try {
                for (int i = from; i < to; i++) {
                    decoded.add(decode(i, samples.get(i), attack));
                }
                predict(decoded);
                for (Decoded d : decoded) {
                    ImageResult r = score(d, gallery);
                    results.add(r);
                    if (progress != null) {
                        progress.imageDone(results.size(), samples.size(), r);
                    }
                }
            } finally {
                decoded.forEach(Decoded::close);
            }
        }
        return new DatasetResult(name, attack, results);
    }

    /** One image on its way through: what was read, the model's input, and its prediction or failure. */
    private static final class Decoded implements AutoCloseable {
        final int index;
        final Sample sample;
        Mat image, mask, input;
        MapPredictor.Prediction prediction;
        double seconds;
        String error;

        Decoded(int index, Sample sample) {
            this.index = index;
            this.sample = sample;
        }

        @Override
        public void close() {
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

    private Decoded decode(int index, Sample s, Attack attack) {
        Decoded d = new Decoded(index, s);
        try {
            d.image = ImageFiles.readImage(s.image());
            d.mask = s.tampered() ? ImageFiles.readMask(s.mask()) : null;
        } catch (UnreadableImageException e) {
            d.error = e.getMessage();
            return d;
        }
        // the noise depends on the image's id, not on its position or the dataset's column name
        d.input = attack == null ? d.image
                : attack.apply(d.image, Seeds.mix(seed, s.id().hashCode(), attack.kind().ordinal(),
                        attack.strength()));
        return d;
    }

    /**
     * Predicts the readable images of a batch in one call; when that call fails, one by one, so that only the
     * image that cannot be predicted fails.
     */
    private void predict(List<Decoded> batch) {
        List<Decoded> ready = batch.stream().filter(d -> d.error == null).toList();
        if (ready.isEmpty()) {
            return;
        }
        if (ready.size() > 1) {
            long start = System.nanoTime();
            try {
                List<MapPredictor.Prediction> out = predictor.predictAll(ready.stream().map(d -> d.input).toList());
                double each = (System.nanoTime() - start) / 1e9 / ready.size();
                for (int i = 0; i < ready.size(); i++) {
                    ready.get(i).prediction = out.get(i);
                    ready.get(i).seconds = each;
                }
                return;
            } catch (RuntimeException e) {
                // fall through: find the image that fails
            }
        }
        for (Decoded d : ready) {
            long start = System.nanoTime();
            try {
                d.prediction = predictor.predict(d.input);
                d.seconds = (System.nanoTime() - start) / 1e9;
            } catch (RuntimeException e) {
                d.error = d.sample.image() + ": prediction failed: "
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            }
        }
    }

    private ImageResult score(Decoded d, Gallery gallery) {
        Sample s = d.sample;
        String invalid = d.error != null ? d.error
                : invalid(d.prediction) == null ? null : s.image() + ": " + invalid(d.prediction);
        if (invalid != null) {
            return ImageResult.failed(s.id(), s.image(), s.tampered(), invalid);
        }
        MapPredictor.Prediction p = d.prediction;
        Mat image = d.image, mask = d.mask;
        if (!s.tampered()) {
            return new ImageResult(s.id(), s.image(), false, null, null, Double.NaN, p.score(), image.cols(),
                    image.rows(), false, d.seconds);
        }
        ScoringGrid.Aligned a = ScoringGrid.align(mode, p, mask, predictor.resolution());
        PixelF1.Counts counts = PixelF1.count(a.probability(), a.truth());
        double auc = RocAuc.pixels(a.probability(), a.truth());
        boolean mismatch = mask.rows() != image.rows() || mask.cols() != image.cols();
        if (gallery != null) {
            gallery.offer(d.index, counts.f1(), () -> entry(d.index, s.id(), counts.f1(), p, image, mask,
                    gallery.side()));
        }
        return new ImageResult(s.id(), s.image(), true, null, counts, auc, p.score(), image.cols(), image.rows(),
                mismatch, d.seconds);
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
