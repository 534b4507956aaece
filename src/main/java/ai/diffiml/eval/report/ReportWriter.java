package ai.diffiml.eval.report;

import ai.diffiml.eval.EvalReport;
import ai.diffiml.eval.EvalSettings;
import ai.diffiml.eval.robustness.AttackKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Writes a report's files into one folder, atomically: everything goes into a hidden sibling folder first, which is
 * renamed to the target only when complete, so a failed or interrupted write leaves no half-written report. The
 * target must not exist or be an empty folder.
 * <ul>
 *   <li>{@value #TABLE_MD} — the scoring mode and the results table in Markdown ({@link ResultTable});</li>
 *   <li>{@value #TABLE_CSV} — the same table as CSV;</li>
 *   <li>{@value #RESULTS_JSON} — everything, settings included ({@link ReportJson});</li>
 *   <li>{@value #IMAGES_CSV} — one row per image and condition ({@link ImageCsv});</li>
 *   <li>{@value #ROBUSTNESS_CSV} and {@code robustness-<attack>.png} — with a robustness sweep only
 *       ({@link RobustnessCsv}, {@link RobustnessPlot});</li>
 *   <li>{@value #REPORT_HTML} — the self-contained HTML report ({@link HtmlReport}).</li>
 * </ul>
 */
public final class ReportWriter {
    public static final String TABLE_MD = "table.md";
    public static final String TABLE_CSV = "table.csv";
    public static final String RESULTS_JSON = "results.json";
    public static final String IMAGES_CSV = "images.csv";
    public static final String ROBUSTNESS_CSV = "robustness.csv";
    public static final String REPORT_HTML = "report.html";

    private ReportWriter() {}

    /** The file name of the robustness plot of {@code kind}. */
    public static String plotName(AttackKind kind) {
        return "robustness-" + kind.label() + ".png";
    }

    /**
     * The Markdown of {@value #TABLE_MD}: a line on the scoring mode and the checkpoint, a warning for each dataset
     * without tampered images ({@link EvalReport#warnings()}), the results table, and with
     * a robustness sweep the pixel F1 under every attack ({@link RobustnessTable}).
     */
    public static String markdown(EvalReport report) {
        EvalSettings s = report.settings();
        StringBuilder warnings = new StringBuilder();
        for (String w : report.warnings()) {
            warnings.append("**Warning:** ").append(w).append(".\n\n");
        }
        return "Scoring: " + s.scoring().describe(s.resolution()) + ". Checkpoint: " + s.checkpoint() + ".\n\n"
                + warnings + new ResultTable(report.clean()).markdown() + "\n" + ResultTable.AVERAGE_NOTE + "\n"
                + RobustnessTable.markdown(report);
    }

    /** Refuses {@code dir} when it exists and is not an empty folder. */
    public static void checkTarget(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            try (Stream<Path> entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    throw new IOException(dir + ": already exists and is not empty (choose another --out)");
                }
            }
        } else if (Files.exists(dir)) {
            throw new IOException(dir + ": exists and is not a folder");
        }
    }

    /** Writes every file of {@code report} into {@code dir} (see the class comment). */
    public static void write(EvalReport report, Path dir) throws IOException {
        checkTarget(dir);
        Path abs = dir.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + abs.getFileName() + ".partial-");
        try {
            text(tmp.resolve(TABLE_MD), markdown(report));
            text(tmp.resolve(TABLE_CSV), new ResultTable(report.clean()).csv());
            text(tmp.resolve(RESULTS_JSON), ReportJson.of(report));
            text(tmp.resolve(IMAGES_CSV), ImageCsv.of(report));
            if (!report.attacked().isEmpty()) {
                text(tmp.resolve(ROBUSTNESS_CSV), RobustnessCsv.of(report));
                for (AttackKind kind : report.attackKinds()) {
                    Files.write(tmp.resolve(plotName(kind)), RobustnessPlot.png(report, kind));
                }
            }
            text(tmp.resolve(REPORT_HTML), HtmlReport.of(report));
            if (Files.isDirectory(abs)) {
                Files.delete(abs); // empty (checked above)
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
    }

    private static void text(Path file, String content) throws IOException {
        Files.writeString(file, content, StandardCharsets.UTF_8);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: the hidden partial folder is all that can remain
        }
    }
}
