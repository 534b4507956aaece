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

    private final List<DatasetResult> results;

    public ResultTable(List<DatasetResult> results) {
        this.results = List.copyOf(results);
    }

    /** The table in Markdown, columns padded so that it reads as plain text too. */
    public String markdown() {
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
        int[] width = new int[header.size()];
        for (List<String> row : rows) {
            for (int c = 0; c < row.size(); c++) {
                width[c] = Math.max(width[c], escape(row.get(c)).length());
            }
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < rows.size(); i++) {
            line(b, rows.get(i), width, false);
            if (i == 0) {
                line(b, null, width, true);
            }
        }
        return b.toString();
    }

    private static void line(StringBuilder b, List<String> row, int[] width, boolean rule) {
        b.append('|');
        for (int c = 0; c < width.length; c++) {
            if (rule) {
                String dashes = "-".repeat(width[c] + 1); // label column left-aligned, numbers right-aligned
                b.append(c == 0 ? ":" + dashes : dashes + ":");
            } else {
                String cell = escape(row.get(c));
                String pad = " ".repeat(width[c] - cell.length());
                b.append(' ').append(c == 0 ? cell + pad : pad + cell).append(' ');
            }
            b.append('|');
        }
        b.append('\n');
    }

    /** A cell's text with Markdown table syntax neutralised. */
    private static String escape(String s) {
        return s.replace("|", "\\|").replace('\n', ' ');
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
