package ai.diffiml.eval;

import ai.diffiml.localize.Localization;
import ai.diffiml.localize.Localizer;
import ai.diffiml.localize.LocalizerInput;
import ai.diffiml.localize.LocalizerOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * The evaluation's view of a {@link Localizer}: each image is localized as it is ({@link LocalizerInput#ofBgr}), the
 * map at the image's size and the model's own R x R map (for "resize" scoring) come back with the ensemble spread
 * as uncertainty (when measured) and {@link Localization#imageScore()} as the image score (the detection head's
 * where the model has one, else the maximum probability).
 */
public final class LocalizerPredictor implements LoadedPredictor {
    private final Localizer localizer;

    /** Wraps {@code localizer}, which {@link #close()} closes. */
    public LocalizerPredictor(Localizer localizer) {
        this.localizer = Objects.requireNonNull(localizer, "localizer");
    }

    /** Loads the model of a run folder or checkpoint folder ({@link Localizer#load}). */
    public static LocalizerPredictor open(Path runOrCheckpoint, LocalizerOptions options) throws IOException {
        return new LocalizerPredictor(Localizer.load(runOrCheckpoint, options));
    }

    @Override
    public int resolution() {
        return localizer.resolution();
    }

    @Override
    public Prediction predict(Mat bgr) {
        return predictAll(List.of(bgr)).get(0);
    }

    /** The images in one {@link Localizer#localizeAll} call, {@link LocalizerOptions#batch()} per model call. */
    @Override
    public List<Prediction> predictAll(List<Mat> images) {
        List<Localization> all;
        try {
            all = localizer.localizeAll(images.stream().map(LocalizerInput::ofBgr).toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
        return all.stream().map(LocalizerPredictor::prediction).toList();
    }

    private static Prediction prediction(Localization l) {
        FloatMap probability = new FloatMap(l.width(), l.height(), l.probability());
        FloatMap model = l.hasModelProbability()
                ? new FloatMap(l.modelResolution(), l.modelResolution(), l.modelProbability()) : null;
        FloatMap uncertainty = l.uncertaintyMeasured() ? new FloatMap(l.width(), l.height(), l.uncertainty()) : null;
        return new Prediction(probability, model, uncertainty, l.imageScore());
    }

    @Override
    public String description() {
        return localizer.description();
    }

    /** The checkpoint folder ({@link Localizer#source()}; for a run folder its best/ or last/). */
    @Override
    public Path checkpoint() {
        return localizer.source();
    }

    @Override
    public String device() {
        return localizer.device().toString().toLowerCase(Locale.ROOT);
    }

    @Override
    public boolean samples() {
        return localizer.isDiffusionModel();
    }

    @Override
    public String imageScoreSource() {
        return localizer.hasDetectionHead() ? "detection head" : "map maximum";
    }

    @Override
    public void close() {
        localizer.close();
    }
}
