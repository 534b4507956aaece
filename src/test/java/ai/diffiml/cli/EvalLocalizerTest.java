package ai.diffiml.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.cli.CliExpectations.Run;
import ai.diffiml.data.ImageFiles;
import ai.diffiml.eval.EvalFixtures;
import ai.diffiml.eval.LocalizerPredictor;
import ai.diffiml.eval.MapPredictor;
import ai.diffiml.eval.report.ReportWriter;
import ai.diffiml.localize.LocalizeFixtures;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** eval end to end through the real Localizer on tiny checkpoints (DiffIML and SegFormer) and a tiny dataset. */
class EvalLocalizerTest {
    @TempDir
    static Path dir;

    private static Path data;
    private static Path run;

    @BeforeAll
    static void fixtures() throws Exception {
        data = EvalFixtures.writeDataset(dir.resolve("tiny"));
        run = dir.resolve("runs/r");
        LocalizeFixtures.diffImlCheckpoint(run.resolve("best"), 5);
    }

    private static Run eval(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int exit = Main.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static JsonNode results(Path out) throws Exception {
        return new ObjectMapper().readTree(out.resolve(ReportWriter.RESULTS_JSON).toFile());
    }

    @Test
    void evaluatesATinyDiffImlRunAndTheSameSeedGivesTheSameReport() throws Exception {
        String[] args = {"eval", "--run", run.toString(), "--data", data.toString(), "--steps", "2", "--ensemble", "2",
            "--seed", "3", "--device", "cpu", "--robustness", "jpeg:50", "--gallery", "1", "--limit", "3"};
        Path a = dir.resolve("out-a"), b = dir.resolve("out-b");
        Run first = eval(concat(args, "--out", a.toString()));
        assertEquals(0, first.exit(), first::toString);
        assertTrue(first.out().contains("model      DiffIML MiT-b0, 64 px, 2 steps x 2 members on cpu ("), first::toString);
        assertTrue(first.out().contains("| pixel F1 @0.5 "), first::toString);
        JsonNode ra = results(a);
        JsonNode s = ra.get("settings");
        assertEquals(2, s.get("steps").asInt());
        assertEquals(2, s.get("ensemble").asInt());
        assertEquals(64, s.get("resolution").asInt());
        assertEquals("resize", s.get("scoring").asText());
        assertEquals("cpu", s.get("device").asText());
        assertEquals(run.resolve("best").toString(), s.get("checkpoint").asText());
        JsonNode tiny = ra.get("datasets").get(0);
        assertEquals(3, tiny.get("tampered_images").asInt());
        double f1 = tiny.get("pixel_f1").asDouble();
        assertTrue(f1 >= 0 && f1 <= 1, "pixel F1 " + f1);
        String html = Files.readString(a.resolve(ReportWriter.REPORT_HTML));
        assertTrue(html.contains("alt=\"uncertainty\""), "two members: the uncertainty is measured and shown");
        Run second = eval(concat(args, "--out", b.toString()));
        assertEquals(0, second.exit(), second::toString);
        assertEquals(ra.get("datasets"), results(b).get("datasets"), "same seed, same scores");
        assertEquals(ra.get("robustness"), results(b).get("robustness"));
    }

    @Test
    void segFormerCheckpointsEvaluateWithoutSamplingSettings() throws Exception {
        Path ckpt = LocalizeFixtures.segFormerCheckpoint(dir.resolve("seg/best"), 2);
        Path out = dir.resolve("out-seg");
        Run r = eval("eval", "--checkpoint", ckpt.toString(), "--data", data.toString(), "--scoring", "original",
                "--device", "cpu", "--out", out.toString(), "--limit", "2");
        assertEquals(0, r.exit(), r::toString);
        JsonNode s = results(out).get("settings");
        assertTrue(s.get("steps").isNull() && s.get("ensemble").isNull(), s::toString);
        assertEquals("original", s.get("scoring").asText());
        assertEquals(2, results(out).get("datasets").get(0).get("tampered_images").asInt());
    }

    @Test
    void comparesDiffImlSegFormerAndDiffForensicsSideBySide() throws Exception {
        Path seg = LocalizeFixtures.segFormerCheckpoint(dir.resolve("cmp/seg"), 2);
        Path df = LocalizeFixtures.diffForensicsCheckpoint(dir.resolve("cmp/df"), 3);
        Path out = dir.resolve("out-cmp");
        Run r = eval("eval", "--run", run.toString(), "--compare", seg.toString(), "--compare", df.toString(), "--data",
                data.toString(), "--steps", "2", "--ensemble", "1", "--device", "cpu", "--out", out.toString(),
                "--limit", "3", "--gallery", "0");
        assertEquals(0, r.exit(), r::toString);
        String table = Files.readString(out.resolve(EvalCommand.COMPARISON_FILE));
        assertTrue(r.out().contains(table), r::toString);
        java.util.List<String> lines = table.lines().toList();
        String header = lines.stream().filter(l -> l.startsWith("| metric")).findFirst().orElseThrow();
        assertTrue(header.contains("1-best") && header.contains("2-seg") && header.contains("3-df"), header);
        for (String metric : new String[] {"pixel F1 @0.5", "pixel AUC", "image AUC", "image accuracy @0.5",
            "image F1 @0.5"}) {
            String row = lines.stream().filter(l -> l.startsWith("| " + metric + " ")).findFirst().orElseThrow();
            assertEquals(5, row.split("\\|").length, row); // label + three models
        }
        String score = lines.stream().filter(l -> l.startsWith("| image score")).findFirst().orElseThrow();
        assertTrue(score.matches(".*map maximum.*map maximum.*detection head.*"), score);
        for (String name : new String[] {"1-best", "2-seg", "3-df"}) {
            assertTrue(Files.isRegularFile(out.resolve(name).resolve(ReportWriter.RESULTS_JSON)), name);
        }
        // the DiffForensics column's image scores are its detection head's, one per image
        JsonNode images = results(out.resolve("3-df")).get("datasets").get(0);
        assertEquals(3, images.get("tampered_images").asInt() + images.get("authentic_images").asInt(),
                images::toString);
    }

    @Test
    void aFolderWithoutACheckpointIsAOneLineError() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("runs/empty"));
        CliExpectations.assertOneLineError(eval("eval", "--run", empty.toString(), "--data", data.toString(),
                "--device", "cpu"), "neither a checkpoint folder");
        CliExpectations.assertOneLineError(eval("eval", "--run", run.toString(), "--data", data.toString(),
                "--device", "cpu", "--steps", "5000"), "steps");
    }

    @Test
    void thePredictorGivesTheModelMapAndTheImageSizeMap() throws Exception {
        try (LocalizerPredictor p = LocalizerPredictor.open(run, LocalizeFixtures.fast().build());
                Mat image = ImageFiles.readImage(data.resolve("Au/a0.png"))) {
            assertEquals(64, p.resolution());
            assertTrue(p.samples());
            MapPredictor.Prediction pr = p.predict(image);
            assertEquals(48, pr.probability().width());
            assertEquals(64, pr.probability().height());
            assertNotNull(pr.modelProbability());
            assertEquals(64, pr.modelProbability().width());
            assertNotNull(pr.uncertainty());
            assertEquals(pr.probability().max(), pr.score(), 1e-6);
        }
        try (LocalizerPredictor p = LocalizerPredictor.open(run, LocalizeFixtures.fast().batch(2).build());
                Mat a = ImageFiles.readImage(data.resolve("Au/a0.png"));
                Mat t = ImageFiles.readImage(data.resolve("Tp/t1.png"))) {
            List<MapPredictor.Prediction> both = p.predictAll(List.of(a, t));
            assertEquals(2, both.size());
            MapPredictor.Prediction alone = p.predict(t);
            assertArrayEquals(alone.probability().values(), both.get(1).probability().values(), 1e-5f,
                    "a batch of two predicts each image as alone");
            assertEquals(48, both.get(0).probability().width());
        }
        try (LocalizerPredictor p = LocalizerPredictor.open(run, LocalizeFixtures.fast().ensemble(1).build());
                Mat image = ImageFiles.readImage(data.resolve("Au/a0.png"))) {
            assertNull(p.predict(image).uncertainty(), "one member: no spread to show");
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
