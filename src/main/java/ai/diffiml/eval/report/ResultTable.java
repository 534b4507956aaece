package ai.diffiml.eval.report;

import ai.diffiml.eval.DatasetResult;
import java.util.ArrayList;
import java.util.List;

/**
 * The paper-style results table: one column per dataset and an average column, one row per {@link Metric}; as
 * Markdown (printed and written to {@code table.md}) and CSV ({@code table.csv}).
 */
public final class ResultTable {
    /** Header of the average column. */
    public static final String AVERAGE = "Average";
    /** What the average column holds, printed under the table. */
    public static final String AVERAGE_NOTE = "Average: the mean over datasets of each score (a dataset where a"
            + " score is undefined is left out of its mean); counts are totals.";

    private final List<DatasetResult> results;

    public ResultTable(List<DatasetResult> results) {
        this.results = List.copyOf(results);
    }

    /** The table in Markdown, columns padded so that it reads as plain text too. */
    public String markdown() {
        return MarkdownTable.render(rows());
    }

    /** The header row and one row per metric, as formatted cells. */
    List<List<String>> rows() {
        List<List<String>> rows = new ArrayList<>();
        List<String> header = new ArrayList<>();
        header.add("metric");
        results.forEach(r -> header.add(r.name()));
        header.add(AVERAGE);
        rows.add(header);
        for (Metric m : Metric.values()) {
            List<String> row = new ArrayList<>();
            row.add(m.label());
            results.forEach(r -> row.add(m.format(m.of(r))));
            row.add(m.format(m.average(results)));
            rows.add(row);
        }
        return rows;
    }

    /** The table as CSV: a header {@code metric,<datasets...>,average} and one row per metric (by its key). */
    public String csv() {
        Csv csv = new Csv();
        List<Object> header = new ArrayList<>();
        header.add("metric");
        results.forEach(r -> header.add(r.name()));
        header.add("average");
        csv.row(header);
        for (Metric m : Metric.values()) {
            List<Object> row = new ArrayList<>();
            row.add(m.key());
            results.forEach(r -> row.add(value(m, m.of(r))));
            row.add(value(m, m.average(results)));
            csv.row(row);
        }
        return csv.toString();
    }

    static Object value(Metric m, double v) {
        return m.isCount() ? (Object) Math.round(v) : (Object) v;
    }
}
