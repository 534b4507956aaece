package ai.diffiml.eval.report;

import ai.diffiml.eval.DatasetResult;
import ai.diffiml.eval.EvalReport;
import ai.diffiml.eval.robustness.Attack;
import ai.diffiml.eval.robustness.AttackKind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * One PNG per attack kind: pixel F1 @0.5 against the attack's strength, one line per dataset (and the average over
 * datasets when there are several), the clean score of each in its legend entry; a dataset without a scored
 * tampered image has no line. Rendered headless with XChart.
 */
public final class RobustnessPlot {
    private static final int WIDTH = 640, HEIGHT = 400;

    private RobustnessPlot() {}

    /** The PNG bytes of the plot of {@code kind}'s sweep in {@code report}. */
    public static byte[] png(EvalReport report, AttackKind kind) throws IOException {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        Map<Attack, List<DatasetResult>> levels = report.attacked(kind);
        if (levels.isEmpty()) {
            throw new IllegalArgumentException("no " + kind.label() + " results in the report");
        }
        Map<String, List<Double>> ys = new LinkedHashMap<>();
        List<Double> xs = new ArrayList<>();
        for (Map.Entry<Attack, List<DatasetResult>> e : levels.entrySet()) {
            xs.add((double) e.getKey().strength());
            for (DatasetResult r : e.getValue()) {
                ys.computeIfAbsent(r.name(), n -> new ArrayList<>()).add(Metric.PIXEL_F1.of(r));
            }
            if (report.clean().size() > 1) {
                ys.computeIfAbsent(ResultTable.AVERAGE, n -> new ArrayList<>())
                        .add(Metric.PIXEL_F1.average(e.getValue()));
            }
        }
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Pixel F1 @0.5 under " + kind.label() + " (" + report.settings().scoring().label()
                        + " scoring)")
                .xAxisTitle(kind.label() + " " + kind.strengthName()).yAxisTitle("pixel F1 @0.5").build();
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(1.0).setLegendPosition(Styler.LegendPosition.OutsideS)
                .setLegendLayout(Styler.LegendLayout.Horizontal);
        for (Map.Entry<String, List<Double>> s : ys.entrySet()) {
            double clean = s.getKey().equals(ResultTable.AVERAGE) ? Metric.PIXEL_F1.average(report.clean())
                    : report.clean().stream().filter(r -> r.name().equals(s.getKey())).findFirst()
                            .map(Metric.PIXEL_F1::of).orElse(Double.NaN);
            String label = s.getKey() + String.format(Locale.ROOT, " (clean %.3f)", clean);
            if (s.getValue().stream().anyMatch(v -> Double.isNaN(v))) {
                continue; // no tampered image was scored: there is no pixel F1 to draw
            }
            chart.addSeries(label, xs, s.getValue()).setMarker(SeriesMarkers.CIRCLE);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        return out.toByteArray();
    }
}
