package ai.diffiml.eval.report;

import ai.diffiml.eval.DatasetResult;
import java.util.function.ToDoubleFunction;

/**
 * The rows of the results table and the fields of the JSON and CSV files: one value of a {@link DatasetResult}
 * each. Scores average over datasets in the "Average" column (datasets where a score is undefined are left out of
 * its average); counts add up.
 */
public enum Metric {
    PIXEL_F1("pixel F1 @0.5", "pixel_f1", r -> r.pixel().f1()),
    PIXEL_PRECISION("pixel precision @0.5", "pixel_precision", r -> r.pixel().precision()),
    PIXEL_RECALL("pixel recall @0.5", "pixel_recall", r -> r.pixel().recall()),
    PIXEL_IOU("pixel IoU @0.5", "pixel_iou", r -> r.pixel().iou()),
    PIXEL_AUC("pixel AUC", "pixel_auc", DatasetResult::pixelAuc),
    IMAGE_AUC("image AUC", "image_auc", r -> r.detection().auc()),
    IMAGE_ACCURACY("image accuracy @0.5", "image_accuracy", r -> r.detection().accuracy()),
    IMAGE_F1("image F1 @0.5", "image_f1", r -> r.detection().f1()),
    IMAGE_SENSITIVITY("image sensitivity @0.5", "image_sensitivity", r -> r.detection().sensitivity()),
    IMAGE_SPECIFICITY("image specificity @0.5", "image_specificity", r -> r.detection().specificity()),
    MVSS_IMAGE_F1("MVSS-Net image F1 (Se-Sp harmonic mean)", "mvss_image_f1", r -> r.detection().mvssImageF1()),
    TAMPERED("tampered images scored", "tampered_images", r -> r.pixel().tamperedImages()),
    AUTHENTIC("authentic images scored", "authentic_images", r -> r.pixel().authenticImages()),
    FAILED("images failed (skipped)", "failed_images", r -> r.failures().size()),
    MISMATCHED("mask/image size mismatches", "mask_size_mismatches", DatasetResult::maskSizeMismatches);

    private final String label;
    private final String key;
    private final ToDoubleFunction<DatasetResult> value;

    Metric(String label, String key, ToDoubleFunction<DatasetResult> value) {
        this.label = label;
        this.key = key;
        this.value = value;
    }

    /** Row label in the Markdown and HTML tables. */
    public String label() {
        return label;
    }

    /** Field name in the CSV and JSON files. */
    public String key() {
        return key;
    }

    /** Whether this is a count (summed in averages) rather than a score. */
    public boolean isCount() {
        return ordinal() >= TAMPERED.ordinal();
    }

    /** The value for one dataset (NaN where undefined). */
    public double of(DatasetResult r) {
        return value.applyAsDouble(r);
    }

    /** Mean over {@code results} of the defined values (NaN when none is), or the sum of a count. */
    public double average(Iterable<DatasetResult> results) {
        double sum = 0;
        int n = 0;
        for (DatasetResult r : results) {
            double v = of(r);
            if (!Double.isNaN(v)) {
                sum += v;
                n++;
            }
        }
        return isCount() ? sum : n == 0 ? Double.NaN : sum / n;
    }

    /** {@code v} for a table: a count as an integer, a score with 4 decimals, NaN as "n/a". */
    public String format(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        return isCount() ? Long.toString(Math.round(v)) : String.format(java.util.Locale.ROOT, "%.4f", v);
    }
}
