package ai.diffiml.eval.report;

import ai.diffiml.eval.DatasetResult;
import ai.diffiml.eval.EvalReport;
import ai.diffiml.eval.robustness.Attack;
import ai.diffiml.eval.robustness.AttackKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Pixel F1 @0.5 under each attack as Markdown, one table per attack kind: a row for the clean images and one per
 * strength, a column per dataset and the average.
 */
public final class RobustnessTable {
    private RobustnessTable() {}

    /** The tables of every attack kind in {@code report}, each under a heading; empty without a sweep. */
    public static String markdown(EvalReport report) {
        StringBuilder b = new StringBuilder();
        for (AttackKind kind : report.attackKinds()) {
            b.append("\n### Pixel F1 @0.5 under ").append(kind.label()).append(" (").append(kind.strengthName())
                    .append(")\n\n").append(MarkdownTable.render(rows(report, kind)));
        }
        return b.toString();
    }

    /** The header row, the clean row and one row per strength of {@code kind}, as formatted cells. */
    static List<List<String>> rows(EvalReport report, AttackKind kind) {
        List<List<String>> rows = new ArrayList<>();
        List<String> header = new ArrayList<>();
        header.add(kind.strengthName());
        header.addAll(report.datasetNames());
        header.add(ResultTable.AVERAGE);
        rows.add(header);
        rows.add(row("clean", report.clean()));
        for (Map.Entry<Attack, List<DatasetResult>> e : report.attacked(kind).entrySet()) {
            rows.add(row(Integer.toString(e.getKey().strength()), e.getValue()));
        }
        return rows;
    }

    private static List<String> row(String label, List<DatasetResult> results) {
        List<String> row = new ArrayList<>();
        row.add(label);
        results.forEach(r -> row.add(Metric.PIXEL_F1.format(Metric.PIXEL_F1.of(r))));
        row.add(Metric.PIXEL_F1.format(Metric.PIXEL_F1.average(results)));
        return row;
    }
}
