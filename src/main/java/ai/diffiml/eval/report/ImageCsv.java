package ai.diffiml.eval.report;

import ai.diffiml.eval.DatasetResult;
import ai.diffiml.eval.EvalReport;
import ai.diffiml.eval.ImageResult;
import ai.diffiml.eval.PixelF1;
import java.util.ArrayList;
import java.util.List;

/**
 * The per-image CSV ({@code images.csv}): one row per image and condition (clean first, then each attack), with the
 * pixel scores and confusion counts on the scoring grid (empty for authentic and failed images), the image score, and
 * for a failed image the reason.
 */
public final class ImageCsv {
    /** The header row. */
    public static final List<String> HEADER = List.of("condition", "dataset", "id", "path", "tampered", "status",
            "error", "width", "height", "mask_size_mismatch", "pixel_f1", "pixel_precision", "pixel_recall",
            "pixel_iou", "pixel_auc", "tp", "fp", "fn", "tn", "score", "seconds");

    private ImageCsv() {}

    public static String of(EvalReport report) {
        Csv csv = new Csv().row(HEADER);
        List<DatasetResult> all = new ArrayList<>(report.clean());
        all.addAll(report.attacked());
        for (DatasetResult d : all) {
            for (ImageResult r : d.images()) {
                PixelF1.Counts c = r.counts();
                csv.row(d.condition(), d.name(), r.id(), r.image(), r.tampered() ? 1 : 0, r.ok() ? "ok" : "failed",
                        r.error(), r.ok() ? r.width() : null, r.ok() ? r.height() : null,
                        r.ok() && r.tampered() ? (r.maskSizeMismatch() ? 1 : 0) : null,
                        c == null ? null : c.f1(), c == null ? null : c.precision(),
                        c == null ? null : c.recall(), c == null ? null : c.iou(), r.pixelAuc(),
                        c == null ? null : c.tp(), c == null ? null : c.fp(), c == null ? null : c.fn(),
                        c == null ? null : c.tn(), r.score(), r.ok() ? r.seconds() : null);
            }
        }
        return csv.toString();
    }
}
