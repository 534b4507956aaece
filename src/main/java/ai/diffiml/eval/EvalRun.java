package ai.diffiml.eval;

import ai.diffiml.data.Sample;
import ai.diffiml.eval.robustness.Attack;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One whole evaluation: every dataset on its clean images (collecting each dataset's gallery), then, when the
 * settings name a robustness sweep, every dataset again under each attack.
 */
public final class EvalRun {
    /** A dataset to evaluate under its column name. */
    public record Input(String name, List<Sample> samples) {
        public Input {
            Objects.requireNonNull(name, "name");
            samples = List.copyOf(samples);
        }
    }

    /** Told when a (condition, dataset) pass starts, after every image, and when it ends. */
    public interface Listener {
        void started(String condition, String dataset, int images);

        void imageDone(int done, int total, ImageResult result);

        void finished(DatasetResult result);
    }

    private final MapPredictor predictor;
    private final EvalSettings settings;
    private final int galleryPerEnd;
    private final int thumbnailSide;

    /**
     * @param galleryPerEnd best and worst images kept per dataset for the report
     * @param thumbnailSide longest side of the gallery thumbnails in pixels
     */
    public EvalRun(MapPredictor predictor, EvalSettings settings, int galleryPerEnd, int thumbnailSide) {
        this.predictor = Objects.requireNonNull(predictor, "predictor");
        this.settings = Objects.requireNonNull(settings, "settings");
        if (predictor.resolution() != settings.resolution()) {
            throw new IllegalArgumentException("settings say resolution " + settings.resolution()
                    + " but the predictor works at " + predictor.resolution());
        }
        this.galleryPerEnd = galleryPerEnd;
        this.thumbnailSide = thumbnailSide;
    }

    /** Evaluates {@code inputs} (distinct names); {@code listener} may be null. */
    public EvalReport run(List<Input> inputs, Listener listener) {
        if (inputs.stream().map(Input::name).distinct().count() != inputs.size()) {
            throw new IllegalArgumentException("dataset names must be distinct, got " + inputs.stream()
                    .map(Input::name).toList());
        }
        long start = System.nanoTime();
        Evaluator evaluator = new Evaluator(predictor, settings.scoring(), settings.seed(), settings.batch());
        List<DatasetResult> clean = new ArrayList<>();
        Map<String, Gallery> galleries = new LinkedHashMap<>();
        for (Input in : inputs) {
            Gallery g = new Gallery(galleryPerEnd, thumbnailSide);
            clean.add(pass(evaluator, in, null, g, listener));
            galleries.put(in.name(), g);
        }
        List<DatasetResult> attacked = new ArrayList<>();
        if (settings.robustness() != null) {
            for (Attack attack : settings.robustness().attacks()) {
                for (Input in : inputs) {
                    attacked.add(pass(evaluator, in, attack, null, listener));
                }
            }
        }
        return new EvalReport(settings, clean, attacked, galleries, (System.nanoTime() - start) / 1e9);
    }

    private static DatasetResult pass(Evaluator evaluator, Input in, Attack attack, Gallery gallery,
            Listener listener) {
        if (listener != null) {
            listener.started(attack == null ? "clean" : attack.label(), in.name(), in.samples().size());
        }
        DatasetResult r = evaluator.evaluate(in.name(), in.samples(), attack, gallery,
                listener == null ? null : listener::imageDone);
        if (listener != null) {
            listener.finished(r);
        }
        return r;
    }
}
