package ai.diffiml.eval.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.data.Sample;
import ai.diffiml.eval.EvalFixtures;
import ai.diffiml.eval.EvalReport;
import ai.diffiml.eval.EvalRun;
import ai.diffiml.eval.EvalSettings;
import ai.diffiml.eval.ScoringMode;
import ai.diffiml.eval.robustness.RobustnessSpec;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A whole evaluation with a robustness sweep written to disk: every file is there, parses and agrees. */
class ReportWriterTest {
    @TempDir
    static Path dir;

    private static EvalReport report;
    private static Path out;

    @BeforeAll
    static void evaluate() throws Exception {
        Path data = EvalFixtures.writeDataset(dir.resolve("tiny"));
        List<Sample> all = ai.diffiml.data.DatasetReaders.open(data).samples();
        EvalSettings settings = new EvalSettings("runs/x/best", "fake brightness model", 8, 1, false, 3, "cpu",
                ScoringMode.RESIZE, 32, "2025-01-01T00:00:00Z", 3, null,
                RobustnessSpec.parse("jpeg:50..90/20,noise:400"));
        List<EvalRun.Input> inputs = List.of(new EvalRun.Input("tiny", all),
                new EvalRun.Input("half, \"quoted\"", all.subList(0, 3)));
        List<String> events = new ArrayList<>();
        report = new EvalRun(new EvalFixtures.BrightnessPredictor(32, true), settings, 2, 48).run(inputs,
                new EvalRun.Listener() {
                    @Override
                    public void started(String condition, String dataset, int images) {
                        events.add(condition + " " + dataset + " " + images);
                    }

                    @Override
                    public void imageDone(int done, int total, ai.diffiml.eval.ImageResult result) {}

                    @Override
                    public void finished(ai.diffiml.eval.DatasetResult result) {}
                });
        assertEquals(List.of("clean tiny 8", "clean half, \"quoted\" 3", "jpeg:50 tiny 8", "jpeg:50 half, \"quoted\" 3",
                "jpeg:70 tiny 8", "jpeg:70 half, \"quoted\" 3", "jpeg:90 tiny 8", "jpeg:90 half, \"quoted\" 3",
                "noise:400 tiny 8", "noise:400 half, \"quoted\" 3"), events);
        out = dir.resolve("runs/x/eval-1");
        ReportWriter.write(report, out);
    }

    @Test
    void everyFileIsWrittenAndNothingElse() throws IOException {
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of("images.csv", "report.html", "results.json", "robustness-jpeg.png",
                    "robustness-noise.png", "robustness.csv", "table.csv", "table.md"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        try (Stream<Path> siblings = Files.list(out.getParent())) {
            assertEquals(List.of("eval-1"), siblings.map(p -> p.getFileName().toString()).toList(),
                    "no partial folder left");
        }
        var png = ImageIO.read(out.resolve("robustness-jpeg.png").toFile());
        assertEquals(640, png.getWidth());
        IOException e = assertThrows(IOException.class, () -> ReportWriter.write(report, out));
        assertTrue(e.getMessage().contains("already exists and is not empty"), e.getMessage());
    }

    @Test
    void tablesAgreeWithTheResults() throws IOException {
        String md = Files.readString(out.resolve("table.md"));
        assertTrue(md.startsWith("Scoring: resize: prediction and ground truth at 32x32"), md);
        String expectedF1 = String.format(java.util.Locale.ROOT, "%.4f", report.clean().get(0).pixel().f1());
        Matcher row = Pattern.compile("\\| pixel F1 @0\\.5 +\\| +(\\S+) \\| +(\\S+) \\| +(\\S+) \\|").matcher(md);
        assertTrue(row.find(), md);
        assertEquals(expectedF1, row.group(1));
        double half = report.clean().get(1).pixel().f1();
        assertEquals(String.format(java.util.Locale.ROOT, "%.4f", (report.clean().get(0).pixel().f1() + half) / 2),
                row.group(3));
        assertTrue(md.contains("half, \"quoted\""), md);
        assertTrue(md.contains("| images failed (skipped)"), md);
        List<String> csv = Files.readAllLines(out.resolve("table.csv"));
        assertEquals("metric,tiny,\"half, \"\"quoted\"\"\",average", csv.get(0));
        assertEquals(1 + Metric.values().length, csv.size());
        assertTrue(csv.contains("failed_images,1,0,1"), csv::toString);
        assertTrue(csv.contains("image_specificity,0.500000,,0.500000"), "undefined is empty: " + csv);
        List<String> images = Files.readAllLines(out.resolve("images.csv"));
        assertEquals(1 + (8 + 3) * 5, images.size(), "one row per image and condition");
        assertEquals(String.join(",", ImageCsv.HEADER), images.get(0));
        assertTrue(images.get(1).startsWith("clean,tiny,Tp/t0.png,"), images.get(1));
        assertTrue(images.stream().anyMatch(l -> l.contains(",failed,") && l.contains("t5.png")));
        List<String> robust = Files.readAllLines(out.resolve("robustness.csv"));
        assertEquals(1 + 3 * 5, robust.size(), "datasets + average per condition");
        assertTrue(robust.get(1).startsWith("none,,,tiny,"), robust.get(1));
        assertTrue(robust.get(4).startsWith("jpeg,quality,50,tiny,"), robust.get(4));
    }

    @Test
    void jsonHoldsTheSettingsTheTableAndTheSweep() throws IOException {
        JsonNode root = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        JsonNode s = root.get("settings");
        assertEquals("resize", s.get("scoring").asText());
        assertEquals(32, s.get("resolution").asInt());
        assertEquals("runs/x/best", s.get("checkpoint").asText());
        assertEquals(8, s.get("steps").asInt());
        assertEquals("cpu", s.get("device").asText());
        assertEquals("jpeg:50..90/20,noise:400", s.get("robustness").asText());
        assertTrue(s.get("limit").isNull());
        assertEquals(3, s.get("batch").asInt());
        JsonNode tiny = root.get("datasets").get(0);
        assertEquals(report.clean().get(0).pixel().f1(), tiny.get("pixel_f1").asDouble(), 1e-12);
        assertEquals(1, tiny.get("failed_images").asInt());
        assertTrue(tiny.get("failures").get(0).get("error").asText().contains("t5.png"));
        assertEquals(1, root.get("average").get("failed_images").asInt());
        assertTrue(root.get("datasets").get(1).get("image_auc").isNull(), "no authentic image: undefined");
        JsonNode jpeg = root.get("robustness").get(0);
        assertEquals("jpeg", jpeg.get("attack").asText());
        assertEquals(List.of(50, 70, 90), jpeg.get("levels").findValues("strength").stream()
                .map(JsonNode::asInt).toList());
        assertEquals(report.attacked().get(0).pixel().f1(),
                jpeg.get("levels").get(0).get("datasets").get(0).get("pixel_f1").asDouble(), 1e-12);
        assertTrue(root.get("robustness").get(1).get("levels").get(0).get("average").has("pixel_f1"));
    }

    @Test
    void htmlIsSelfContained() throws IOException {
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertFalse(html.toLowerCase(java.util.Locale.ROOT).contains("http"), "no links out");
        assertFalse(html.contains("<link") || html.contains("<script") || html.contains("url("), "no assets");
        Matcher src = Pattern.compile("(src|href)=\"([^\"]*)\"").matcher(html);
        int images = 0;
        while (src.find()) {
            assertEquals("src", src.group(1), "no links");
            assertTrue(src.group(2).startsWith("data:image/png;base64,") || src.group(2)
                    .startsWith("data:image/jpeg;base64,"), src.group(2).substring(0, 30));
            images++;
        }
        // 2 plots; 4 thumbnails per gallery image: tiny 2 best + 2 worst, half (3 tampered) 2 best + 1 worst
        assertEquals(2 + 4 * (4 + 3), images, "plots and gallery thumbnails");
        assertTrue(html.contains("MVSS-Net image F1"));
        assertTrue(html.contains("resize: prediction and ground truth at 32x32"));
        assertTrue(html.contains("half, &quot;quoted&quot;"), "names are escaped");
        assertTrue(html.contains("Failed images") && html.contains("t5.png"));
        assertTrue(Files.size(out.resolve("report.html")) < 200_000, "thumbnails keep it small: "
                + Files.size(out.resolve("report.html")));
    }
}
