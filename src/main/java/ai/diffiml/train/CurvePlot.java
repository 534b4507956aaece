package ai.diffiml.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The PNG of a run's curves from its {@link MetricsLog}, one panel each: the training losses (every {@code loss*}
 * value of the step records, smoothed by an exponential moving average with factor {@value #SMOOTHING}), the
 * validation scores (every {@code *f1} and {@code *auc} value of the validation records), the objective per timestep
 * of the validation diagnostics ({@code loss_t*}, when present) and the learning rate, all against the step.
 * Rendered headless with XChart; written atomically.
 */
public final class CurvePlot {
    /** Weight of the previous average in the loss smoothing. */
    public static final double SMOOTHING = 0.9;
    private static final int WIDTH = 900, HEIGHT = 320;

    private CurvePlot() {}

    /** Draws the curves of {@code metrics} into {@code png}; does nothing when the log has no step records. */
    public static boolean write(Path metrics, Path png, String title) throws IOException {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        List<JsonNode> records = MetricsLog.read(metrics);
        Map<String, Series> losses = new LinkedHashMap<>(), scores = new LinkedHashMap<>(), lr = new LinkedHashMap<>(),
                byTimestep = new LinkedHashMap<>();
        for (JsonNode r : records) {
            String kind = r.path("kind").asText();
            double step = r.path("step").asDouble();
            boolean training = !kind.equals("val");
            for (Iterator<Map.Entry<String, JsonNode>> it = r.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> f = it.next();
                if (!f.getValue().isNumber()) {
                    continue;
                }
                String key = f.getKey();
                double v = f.getValue().asDouble();
                if (training && key.startsWith("loss")) {
                    losses.computeIfAbsent(key, k -> new Series()).addSmoothed(step, v);
                } else if (!training && (key.endsWith("f1") || key.endsWith("auc")
                        || key.equals("val_f1_oracle_threshold"))) {
                    scores.computeIfAbsent(key, k -> new Series()).add(step, v);
                } else if (!training && key.startsWith("loss_t")) {
                    byTimestep.computeIfAbsent(key, k -> new Series()).add(step, v);
                } else if (training && key.equals("lr")) {
                    lr.computeIfAbsent(key, k -> new Series()).add(step, v);
                }
            }
        }
        if (losses.isEmpty()) {
            return false;
        }
        double first = Double.MAX_VALUE, last = -Double.MAX_VALUE;
        for (Series series : losses.values()) {
            first = Math.min(first, series.x.get(0));
            last = Math.max(last, series.x.get(series.x.size() - 1));
        }
        List<XYChart> charts = new ArrayList<>();
        charts.add(chart(title + ": training loss (moving average " + SMOOTHING + ")", "loss", losses, false));
        if (!scores.isEmpty()) {
            XYChart f1 = chart("validation: pixel F1 @0.5, pixel AUC (and F1 at the oracle threshold: not the"
                    + " protocol's)", "score", scores, true);
            f1.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
            charts.add(f1);
        }
        if (!byTimestep.isEmpty()) {
            charts.add(chart("validation batch: mask-latent loss at t (shuffled: conditions of other images)",
                    "loss", byTimestep, true));
        }
        if (!lr.isEmpty()) {
            // in units of the peak's power of ten: XChart's ticks for values like 3e-4 are crowded long decimals
            Series rates = lr.values().iterator().next();
            double peak = rates.y.stream().mapToDouble(Math::abs).max().orElse(0);
            int exponent = peak > 0 ? (int) Math.floor(Math.log10(peak)) : 0;
            Series scaled = new Series();
            for (int i = 0; i < rates.x.size(); i++) {
                scaled.x.add(rates.x.get(i));
                scaled.y.add(rates.y.get(i) / Math.pow(10, exponent));
            }
            charts.add(chart("learning rate", exponent == 0 ? "lr" : "lr (x 1e" + exponent + ")",
                    Map.of("lr", scaled), false));
        }
        for (XYChart c : charts) { // one step axis for all panels
            c.getStyler().setXAxisMin(first).setXAxisMax(Math.max(last, first + 1));
        }
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            BitmapEncoder.saveBitmap(charts, charts.size(), 1, out, BitmapEncoder.BitmapFormat.PNG);
        }
        Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return true;
    }

    private static XYChart chart(String title, String yTitle, Map<String, Series> series, boolean markers) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("step")
                .yAxisTitle(yTitle).build();
        c.getStyler().setLegendVisible(series.size() > 1);
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        series.forEach((name, s) -> c.addSeries(name, s.x, s.y)
                .setMarker(markers || s.x.size() == 1 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE));
        return c;
    }

    private static final class Series {
        final List<Double> x = new ArrayList<>(), y = new ArrayList<>();

        void add(double step, double v) {
            // Every other point 1/1000 step later: for equally spaced x values (within 1e-4) XChart 3.8 labels every
            // k-th data point (odd, overlapping numbers) instead of drawing its regular 1-2-5 ticks.
            x.add(x.size() % 2 == 1 ? step + 1e-3 : step);
            y.add(v);
        }

        void addSmoothed(double step, double v) {
            add(step, y.isEmpty() ? v : SMOOTHING * y.get(y.size() - 1) + (1 - SMOOTHING) * v);
        }
    }
}
