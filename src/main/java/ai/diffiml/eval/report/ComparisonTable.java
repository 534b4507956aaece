package ai.diffiml.eval.report;

import ai.diffiml.eval.DatasetResult;
import ai.diffiml.eval.EvalReport;
import java.util.ArrayList;
import java.util.List;

/**
 * Several models' evaluations on the same datasets side by side ({@code eval --compare}): one column per model, one
 * row per headline metric and dataset (and their average over datasets when there are several), plus what each
 * model's image score is (a detection head or the map's maximum) and its model line.
 */
public final class ComparisonTable {
    /** The metrics compared. */
    static final List<Metric> METRICS = List.of(Metric.PIXEL_F1, Metric.PIXEL_AUC, Metric.IMAGE_AUC,
            Metric.IMAGE_ACCURACY, Metric.IMAGE_F1);

    /** One compared model: its column name, its report and what its image score is. */
    public record Entry(String name, EvalReport report, String imageScore) {}

    private final List<Entry> entries;

    public ComparisonTable(List<Entry> entries) {
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("comparison: no model");
        }
        List<String> datasets = entries.get(0).report().datasetNames();
        for (Entry e : entries) {
            if (!e.report().datasetNames().equals(datasets)) {
                throw new IllegalArgumentException("comparison: " + e.name() + " was scored on "
                        + e.report().datasetNames() + ", not on " + datasets);
            }
        }
        this.entries = List.copyOf(entries);
    }

    /** The table in Markdown (padded to read as plain text). */
    public String markdown() {
        List<List<String>> rows = new ArrayList<>();
        List<String> header = new ArrayList<>(List.of("metric"));
        entries.forEach(e -> header.add(e.name()));
        rows.add(header);
        List<String> datasets = entries.get(0).report().datasetNames();
        for (Metric m : METRICS) {
            for (int d = 0; d < datasets.size(); d++) {
                List<String> row = new ArrayList<>(List.of(m.label() + (datasets.size() > 1 ? ", " + datasets.get(d)
                        : "")));
                for (Entry e : entries) {
                    row.add(m.format(m.of(e.report().clean().get(d))));
                }
                rows.add(row);
            }
            if (datasets.size() > 1) {
                List<String> row = new ArrayList<>(List.of(m.label() + ", " + ResultTable.AVERAGE));
                for (Entry e : entries) {
                    List<DatasetResult> clean = e.report().clean();
                    row.add(m.format(m.average(clean)));
                }
                rows.add(row);
            }
        }
        List<String> score = new ArrayList<>(List.of("image score"));
        entries.forEach(e -> score.add(e.imageScore()));
        rows.add(score);
        StringBuilder models = new StringBuilder();
        for (Entry e : entries) {
            models.append("- ").append(e.name()).append(": ").append(e.report().settings().model()).append(" (")
                    .append(e.report().settings().checkpoint()).append(")\n");
        }
        String datasetsLine = "Datasets: " + String.join(", ", datasets) + ". Scoring: " + entries.get(0).report()
                .settings().scoring().describe(entries.get(0).report().settings().resolution()) + ".\n\n";
        return datasetsLine + MarkdownTable.render(rows) + "\n" + models;
    }
}
