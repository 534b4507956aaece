package ai.diffiml.spark;

import ai.diffiml.localize.InferenceMode;
import ai.diffiml.localize.LocalizerOptions;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What every executor needs to score its images: the model (a run or checkpoint folder every executor can read,
 * e.g. on a shared file system or shipped with spark-submit's archives option), the localizer's settings and where
 * the probability PNGs go (null: nowhere). Serialisable: it travels with the tasks.
 *
 * @param model            a training run folder or a checkpoint folder, as {@code predict --run / --checkpoint}
 * @param device           auto, cpu or cuda
 * @param steps            DDIM steps
 * @param ensemble         chains averaged
 * @param flipTta          flip test-time augmentation
 * @param seed             noise seed (the same seed gives the same maps)
 * @param threshold        the mask's threshold
 * @param tiled            tiles at native resolution instead of resizing (predict's --tile)
 * @param tileOverlap      the tiles' least overlap
 * @param probabilityDir   folder (any Hadoop file system: file:, hdfs:, s3a:) for {@code <name>_<hash>_prob.png},
 *                         or null
 */
public record ScoringSettings(String model, String device, int steps, int ensemble, boolean flipTta, long seed,
        float threshold, boolean tiled, double tileOverlap, String probabilityDir) implements Serializable {

    public ScoringSettings {
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("no model: give --run or --checkpoint");
        }
        options(device, steps, ensemble, flipTta, seed, threshold, tiled, tileOverlap); // checks the values
    }

    /** predict's defaults: auto device, 8 steps, 5 chains, no TTA, seed 0, threshold 0.5, resize. */
    public static ScoringSettings defaults(String model) {
        return new ScoringSettings(model, "auto", 8, 5, false, 0, 0.5f, false, 0.25, null);
    }

    /**
     * The localizer's options. No uncertainty map: the table has no use for it, and it would cost one decode per
     * chain.
     */
    public LocalizerOptions options() {
        return options(device, steps, ensemble, flipTta, seed, threshold, tiled, tileOverlap);
    }

    private static LocalizerOptions options(String device, int steps, int ensemble, boolean flipTta, long seed,
            float threshold, boolean tiled, double tileOverlap) {
        return LocalizerOptions.builder().device(device).steps(steps).ensemble(ensemble).flipTta(flipTta).seed(seed)
                .threshold(threshold).mode(tiled ? InferenceMode.TILED : InferenceMode.RESIZE).tileOverlap(tileOverlap)
                .uncertainty(false).build();
    }

    /** The settings column of the table: the sampling settings, in order. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("steps", steps);
        m.put("ensemble", ensemble);
        m.put("tta", flipTta);
        m.put("seed", seed);
        m.put("threshold", threshold);
        m.put("mode", tiled ? "tiled" : "resize");
        if (tiled) {
            m.put("tile_overlap", tileOverlap);
        }
        m.put("device", device.toLowerCase(Locale.ROOT));
        return m;
    }
}
