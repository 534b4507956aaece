package ai.diffiml.eval.report;

import ai.diffiml.eval.DatasetResult;
import ai.diffiml.eval.EvalReport;
import ai.diffiml.eval.EvalSettings;
import ai.diffiml.eval.Gallery;
import ai.diffiml.eval.ImageResult;
import ai.diffiml.eval.robustness.AttackKind;
import java.io.IOException;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report as one self-contained HTML file ({@code report.html}): every picture is a {@code data:} URI and the
 * style is inline, so the file can be mailed or archived alone. Sections: the settings, the results table, the
 * robustness plots with their numbers, the gallery of each dataset's best and worst images (photo, ground truth,
 * prediction, uncertainty, as small thumbnails) and the images that failed.
 */
public final class HtmlReport {
    /** Failed images listed per dataset at most (all are in images.csv). */
    static final int MAX_FAILURES_LISTED = 50;
    private static final String STYLE = """
            body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
            table{border-collapse:collapse;margin:.5em 0 1.5em}
            th,td{border:1px solid #ccc;padding:.25em .6em}td.n{text-align:right;font-variant-numeric:tabular-nums}
            th{background:#f3f3f3;text-align:left}
            .gallery{display:flex;flex-wrap:wrap;gap:1em}
            figure{margin:0;padding:.4em;border:1px solid #ddd;border-radius:4px}
            figure img{display:inline-block;margin-right:2px;image-rendering:auto}
            figcaption{font-size:.85em;margin-top:.25em}
            .muted{color:#777}
            """;

    private HtmlReport() {}

    public static String of(EvalReport report) throws IOException {
        EvalSettings s = report.settings();
        StringBuilder b = new StringBuilder(1 << 16);
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>DiffIML evaluation: ")
                .append(esc(s.checkpoint())).append("</title><style>").append(STYLE).append("</style></head><body>\n");
        b.append("<h1>DiffIML evaluation</h1>\n");
        settings(b, report);
        b.append("<h2>Results</h2>\n");
        for (String w : report.warnings()) {
            b.append("<p><strong>Warning:</strong> ").append(esc(w)).append(".</p>\n");
        }
        b.append("<p>Pixel scores: prediction &gt; 0.5 (strict), mean over tampered images only. Image scores: the"
                + " image score (maximum probability) &gt; 0.5. MVSS-Net's image F1 is the harmonic mean of"
                + " sensitivity and specificity, not the F1 of the row above it.</p>\n");
        table(b, new ResultTable(report.clean()).rows());
        b.append("<p class=\"muted\">").append(esc(ResultTable.AVERAGE_NOTE)).append("</p>\n");
        if (!report.attacked().isEmpty()) {
            robustness(b, report);
        }
        gallery(b, report);
        failures(b, report);
        b.append("</body></html>\n");
        return b.toString();
    }

    private static void settings(StringBuilder b, EvalReport report) {
        EvalSettings s = report.settings();
        b.append("<h2>Settings</h2>\n<table>\n");
        row(b, "checkpoint", s.checkpoint());
        row(b, "model", s.model());
        row(b, "sampling steps", s.steps() == null ? "none (one forward)" : s.steps().toString());
        row(b, "ensemble", s.ensemble() == null ? "none (one forward)" : s.ensemble().toString());
        row(b, "test-time augmentation", s.tta() ? "horizontal flip" : "off");
        row(b, "seed", Long.toString(s.seed()));
        row(b, "device", s.device());
        row(b, "scoring mode", s.scoring().describe(s.resolution()));
        row(b, "date", s.date());
        row(b, "images per model call", Integer.toString(s.batch()));
        row(b, "images per dataset", s.limit() == null ? "all" : "first " + s.limit());
        row(b, "robustness", s.robustness() == null ? "none" : s.robustness().toString());
        row(b, "wall time", String.format(Locale.ROOT, "%.1f s", report.seconds()));
        b.append("</table>\n");
    }

    private static void row(StringBuilder b, String key, String value) {
        b.append("<tr><th>").append(esc(key)).append("</th><td>").append(esc(value)).append("</td></tr>\n");
    }

    /** An HTML table of formatted cells: the first row is the header, the first column row labels. */
    private static void table(StringBuilder b, List<List<String>> rows) {
        b.append("<table>\n");
        for (int i = 0; i < rows.size(); i++) {
            b.append("<tr>");
            List<String> row = rows.get(i);
            for (int c = 0; c < row.size(); c++) {
                boolean head = i == 0 || c == 0;
                b.append(head ? "<th>" : "<td class=\"n\">").append(esc(row.get(c))).append(head ? "</th>" : "</td>");
            }
            b.append("</tr>\n");
        }
        b.append("</table>\n");
    }

    private static void robustness(StringBuilder b, EvalReport report) throws IOException {
        b.append("<h2>Robustness</h2>\n<p>Each attack distorts the input image only; the ground truth is unchanged."
                + " Noise strength is the variance of the Gaussian noise in 8-bit units, blur strength the kernel"
                + " size, JPEG strength the quality.</p>\n");
        for (AttackKind kind : report.attackKinds()) {
            b.append("<h3>").append(kind.label()).append(" (").append(kind.strengthName()).append(")</h3>\n");
            b.append("<img alt=\"pixel F1 under ").append(kind.label()).append("\" src=\"")
                    .append(dataUri("image/png", RobustnessPlot.png(report, kind))).append("\">\n");
            table(b, RobustnessTable.rows(report, kind));
        }
    }

    private static void gallery(StringBuilder b, EvalReport report) {
        b.append("<h2>Gallery</h2>\n<p>Per image: photo, ground truth, prediction (probability, black 0 to yellow 1),"
                + " uncertainty (black 0 to yellow at the image's largest value, given in the caption).</p>\n");
        for (Map.Entry<String, Gallery> e : report.galleries().entrySet()) {
            Gallery g = e.getValue();
            b.append("<h3>").append(esc(e.getKey())).append("</h3>\n");
            if (g.best().isEmpty()) {
                b.append("<p class=\"muted\">No tampered image was scored.</p>\n");
                continue;
            }
            entries(b, "Best by pixel F1", g.best());
            if (!g.worst().isEmpty()) {
                entries(b, "Worst by pixel F1", g.worst());
            }
        }
    }

    private static void entries(StringBuilder b, String title, List<Gallery.Entry> entries) {
        b.append("<h4>").append(title).append("</h4>\n<div class=\"gallery\">\n");
        for (Gallery.Entry e : entries) {
            b.append("<figure>");
            img(b, "photo", "image/jpeg", e.photoJpeg());
            img(b, "ground truth", "image/png", e.truthPng());
            img(b, "prediction", "image/jpeg", e.predictionJpeg());
            if (e.uncertaintyJpeg() != null) {
                img(b, "uncertainty", "image/jpeg", e.uncertaintyJpeg());
            }
            b.append("<figcaption>").append(esc(e.id())).append(String.format(Locale.ROOT,
                    "<br>F1 %.4f, score %.4f", e.f1(), e.score()));
            b.append(e.uncertaintyJpeg() == null ? ", no uncertainty map"
                    : String.format(Locale.ROOT, ", uncertainty max %.4f", e.uncertaintyMax()));
            b.append("</figcaption></figure>\n");
        }
        b.append("</div>\n");
    }

    private static void img(StringBuilder b, String alt, String type, byte[] data) {
        b.append("<img alt=\"").append(alt).append("\" title=\"").append(alt).append("\" src=\"")
                .append(dataUri(type, data)).append("\">");
    }

    private static void failures(StringBuilder b, EvalReport report) {
        if (report.failedImages() == 0) {
            return;
        }
        b.append("<h2>Failed images</h2>\n<p>Reported and skipped; they count in no score.</p>\n");
        for (DatasetResult r : report.clean()) {
            List<ImageResult> failed = r.failures();
            if (failed.isEmpty()) {
                continue;
            }
            b.append("<h3>").append(esc(r.name())).append(" (").append(failed.size()).append(")</h3>\n<ul>\n");
            failed.stream().limit(MAX_FAILURES_LISTED).forEach(f -> b.append("<li>").append(esc(f.error()))
                    .append("</li>\n"));
            if (failed.size() > MAX_FAILURES_LISTED) {
                b.append("<li>... ").append(failed.size() - MAX_FAILURES_LISTED).append(" more in images.csv</li>\n");
            }
            b.append("</ul>\n");
        }
    }

    static String dataUri(String type, byte[] data) {
        return "data:" + type + ";base64," + Base64.getEncoder().encodeToString(data);
    }

    static String esc(String s) {
        StringBuilder o = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> o.append("&lt;");
                case '>' -> o.append("&gt;");
                case '&' -> o.append("&amp;");
                case '"' -> o.append("&quot;");
                case '\'' -> o.append("&#39;");
                default -> o.append(c);
            }
        }
        return o.toString();
    }
}
