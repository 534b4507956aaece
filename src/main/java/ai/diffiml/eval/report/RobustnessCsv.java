package ai.diffiml.eval.report;

import ai.diffiml.eval.DatasetResult;
import ai.diffiml.eval.EvalReport;
import ai.diffiml.eval.robustness.AttackKind;
import java.util.ArrayList;
import java.util.List;

/**
 * The robustness numbers as CSV ({@code robustness.csv}): one row per condition and dataset, the clean images first
 * (attack {@code none}), then every attack at every strength, each followed by an {@code Average} row over the
 * datasets; columns are the score {@link Metric}s and the failed-image count.
 */
public final class RobustnessCsv {
    private RobustnessCsv() {}

    public static String of(EvalReport report) {
        Csv csv = new Csv();
        List<Object> header = new ArrayList<>(List.of("attack", "strength_name", "strength", "dataset"));
        for (Metric m : metrics()) {
            header.add(m.key());
        }
        csv.row(header);
        rows(csv, "none", "", null, report.clean());
        for (AttackKind kind : report.attackKinds()) {
            report.attacked(kind).forEach((attack, results) -> rows(csv, kind.label(), kind.strengthName(),
                    attack.strength(), results));
        }
        return csv.toString();
    }

    private static void rows(Csv csv, String attack, String strengthName, Integer strength,
            List<DatasetResult> results) {
        for (DatasetResult r : results) {
            List<Object> row = new ArrayList<>(List.of(attack, strengthName, strength == null ? "" : strength,
                    r.name()));
            for (Metric m : metrics()) {
                row.add(ResultTable.value(m, m.of(r)));
            }
            csv.row(row);
        }
        List<Object> avg = new ArrayList<>(List.of(attack, strengthName, strength == null ? "" : strength,
                ResultTable.AVERAGE));
        for (Metric m : metrics()) {
            avg.add(ResultTable.value(m, m.average(results)));
        }
        csv.row(avg);
    }

    private static List<Metric> metrics() {
        List<Metric> out = new ArrayList<>();
        for (Metric m : Metric.values()) {
            if (!m.isCount() || m == Metric.FAILED) {
                out.add(m);
            }
        }
        return out;
    }
}
