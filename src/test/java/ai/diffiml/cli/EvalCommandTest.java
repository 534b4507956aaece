package ai.diffiml.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.cli.CliExpectations.Run;
import ai.diffiml.eval.EvalFixtures;
import ai.diffiml.eval.LoadedPredictor;
import ai.diffiml.eval.report.ReportWriter;
import ai.diffiml.localize.LocalizerOptions;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The eval command with a fake model: options, outputs, and one-line usage errors before any prediction. */
class EvalCommandTest {
    @TempDir
    Path dir;

    private Path data;
    private Path runFolder;
    private final List<String> opened = new ArrayList<>();

    @BeforeEach
    void fixture() throws Exception {
        data = EvalFixtures.writeDataset(dir.resolve("tiny"));
        runFolder = Files.createDirectories(dir.resolve("runs/r1"));
        // the fake model reads nothing; the folder only has to look like a run's checkpoint
        Files.createDirectories(runFolder.resolve("best"));
        Files.writeString(runFolder.resolve("best/checkpoint.json"), "{}");
    }

    /** The fixture's brightness predictor as a loaded model; records what it was opened with. */
    private LoadedPredictor fake(Path model, LocalizerOptions o) {
        opened.add(model.getParent().getFileName() + "/" + model.getFileName() + " " + o.device() + " steps "
                + o.steps() + " ensemble " + o.ensemble() + " tta " + o.flipTta() + " seed " + o.seed() + " batch "
                + o.batch());
        EvalFixtures.BrightnessPredictor p = new EvalFixtures.BrightnessPredictor(32, true);
        return new LoadedPredictor() {
            @Override
            public String description() {
                return "brightness fake";
            }

            @Override
            public String device() {
                return "cpu";
            }

            @Override
            public Path checkpoint() {
                return model;
            }

            @Override
            public boolean samples() {
                return true;
            }

            @Override
            public void close() {
                opened.add("closed");
            }

            @Override
            public int resolution() {
                return p.resolution();
            }

            @Override
            public Prediction predict(Mat bgr) {
                return p.predict(bgr);
            }
        };
    }

    private Run run(String... args) {
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                if (cls == EvalCommand.class) {
                    return cls.cast(new EvalCommand(EvalCommandTest.this::fake));
                }
                return CommandLine.defaultFactory().create(cls);
            }
        };
        StringWriter out = new StringWriter(), err = new StringWriter();
        int exit = Main.commandLine(factory).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void evaluatesNamedDatasetsAndWritesTheReportIntoTheRunFolder() throws Exception {
        Run r = run("eval", "--run", runFolder.toString(), "--data", "Tiny=" + data, "--data", data.toString(),
                "--scoring", "original", "--steps", "4", "--ensemble", "2", "--tta", "--seed", "7", "--device", "cpu",
                "--robustness", "jpeg:60..100/40,blur:5", "--limit", "7", "--gallery", "1", "--batch", "3");
        assertEquals(0, r.exit(), r::toString);
        assertEquals(List.of("r1/best cpu steps 4 ensemble 2 tta true seed 7 batch 3", "closed"), opened);
        assertTrue(r.out().contains("scoring    original: prediction resized (bilinear) to the ground truth's size"),
                r::toString);
        assertTrue(r.out().matches("(?s).*\\| metric +\\| +Tiny \\| +tiny \\| Average \\|.*"), r::toString);
        assertTrue(r.out().contains("### Pixel F1 @0.5 under jpeg (quality)"), r::toString);
        assertTrue(r.out().contains("14 images in ") && r.out().contains("2 failed and skipped"), r::toString);
        assertTrue(r.err().contains("skipped " + data.resolve("Tp/t5.png")), r::toString);
        Path report;
        try (Stream<Path> s = Files.list(runFolder)) {
            report = s.filter(p -> p.getFileName().toString().startsWith("eval-")).findFirst().orElseThrow();
        }
        assertTrue(Files.isRegularFile(report.resolve(ReportWriter.REPORT_HTML)));
        assertTrue(Files.isRegularFile(report.resolve("robustness-blur.png")));
        JsonNode json = new ObjectMapper().readTree(report.resolve(ReportWriter.RESULTS_JSON).toFile());
        JsonNode s = json.get("settings");
        assertEquals("original", s.get("scoring").asText());
        assertEquals(4, s.get("steps").asInt());
        assertEquals(2, s.get("ensemble").asInt());
        assertTrue(s.get("tta").asBoolean());
        assertEquals(7, s.get("limit").asInt());
        assertEquals("brightness fake", s.get("model").asText());
        assertEquals(runFolder.resolve("best").toString(), s.get("checkpoint").asText());
        assertEquals("jpeg:60..100/40,blur:5", s.get("robustness").asText());
        assertEquals("Tiny", json.get("datasets").get(0).get("name").asText());
        assertEquals("tiny", json.get("datasets").get(1).get("name").asText());
        // --limit 7: Tp/t0..t5 and Au/a0; t5 is corrupt
        assertEquals(5, json.get("datasets").get(0).get("tampered_images").asInt());
        assertEquals(1, json.get("datasets").get(0).get("authentic_images").asInt());
        assertEquals(1, json.get("datasets").get(0).get("failed_images").asInt());
    }

    @Test
    void explicitOutAndCheckpoint() throws Exception {
        Path ckpt = runFolder.resolve("best");
        Path out = dir.resolve("reports/a");
        Run r = run("eval", "--checkpoint", ckpt.toString(), "--data", data.toString(), "--out", out.toString(),
                "--device", "cpu");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("scoring    resize: prediction and ground truth at 32x32"), r::toString);
        assertTrue(Files.isRegularFile(out.resolve(ReportWriter.TABLE_MD)));
        assertFalse(Files.exists(out.resolve(ReportWriter.ROBUSTNESS_CSV)), "no sweep asked for");
        Run again = run("eval", "--checkpoint", ckpt.toString(), "--data", data.toString(), "--out", out.toString());
        CliExpectations.assertOneLineError(again, "already exists and is not empty");
        Run beside = run("eval", "--checkpoint", ckpt.toString(), "--data", data.toString(), "--limit", "1");
        assertEquals(0, beside.exit(), beside::toString);
        try (Stream<Path> s = Files.list(runFolder)) {
            assertEquals(1, s.filter(p -> p.getFileName().toString().startsWith("eval-")).count(),
                    "default --out beside the checkpoint folder");
        }
    }

    @Test
    void usageErrorsAreOneLineAndComeBeforeTheModelIsLoaded() throws Exception {
        String d = data.toString(), rf = runFolder.toString();
        CliExpectations.assertOneLineError(run("eval", "--data", d), "give the model: --run");
        CliExpectations.assertOneLineError(run("eval", "--run", rf, "--checkpoint", rf, "--data", d),
                "either --run or --checkpoint, not both");
        CliExpectations.assertOneLineError(run("eval", "--run", dir.resolve("nope").toString(), "--data", d),
                "nope: no such run folder or checkpoint folder");
        CliExpectations.assertOneLineError(run("eval", "--run", dir.toString(), "--data", d),
                "neither a checkpoint folder");
        CliExpectations.assertOneLineError(run("eval", "--run", rf, "--data", dir.resolve("missing").toString()),
                "missing: no such file or folder");
        CliExpectations.assertOneLineError(run("eval", "--run", rf, "--data", "x=" + dir.resolve("missing")),
                "missing: no such file or folder");
        CliExpectations.assertOneLineError(run("eval", "--run", rf, "--data", d, "--data", d),
                "two datasets are called 'tiny'");
        CliExpectations.assertOneLineError(run("eval", "--run", rf, "--data", d, "--scoring", "native"),
                "'native' is not a scoring mode");
        CliExpectations.assertOneLineError(run("eval", "--run", rf, "--data", d, "--robustness", "jpeg:55..100"),
                "not a whole number of steps of 10");
        CliExpectations.assertOneLineError(run("eval", "--run", rf, "--data", d, "--robustness", "blur:4"),
                "blur kernel size must be odd");
        CliExpectations.assertOneLineError(run("eval", "--run", rf, "--data", d, "--steps", "0"),
                "error: steps must be >= 1, got 0");
        CliExpectations.assertOneLineError(run("eval", "--run", rf, "--data", d, "--device", "cpu", "--ensemble", "0"),
                "ensemble must be >= 1");
        CliExpectations.assertOneLineError(run("eval", "--run", rf, "--data", d, "--batch", "0"),
                "batch must be >= 1, got 0");
        CliExpectations.assertOneLineError(run("eval", "--run", rf, "--data", d, "--limit", "0"),
                "--limit must be >= 1");
        assertEquals(List.of(), opened, "no model was loaded for a run that cannot start");
        try (Stream<Path> s = Files.list(runFolder)) {
            assertEquals(List.of("best"), s.map(p -> p.getFileName().toString()).toList(),
                    "no report folder was made");
        }
        Run missing = run("eval", "--run", rf);
        assertEquals(Main.EXIT_USAGE, missing.exit());
        assertTrue(missing.err().contains("Missing required option: '--data"), missing::toString);
    }

    @Test
    void aPairedSuffixFolderIsSummarisedFirstAndScoredOnItsTamperedImages() throws Exception {
        Path paired = Files.createDirectories(dir.resolve("paired"));
        for (int i = 0; i < 3; i++) {
            Files.copy(data.resolve("Tp/t" + i + ".png"), paired.resolve("t" + i + ".png"));
            Files.copy(data.resolve("Gt/t" + i + "_gt.png"), paired.resolve("t" + i + "_gt.png"));
        }
        Files.copy(data.resolve("Au/a0.png"), paired.resolve("a0.png"));
        Path out = dir.resolve("report-paired");
        Run r = run("eval", "--run", runFolder.toString(), "--data", "casia=" + paired, "--out", out.toString(),
                "--device", "cpu");
        assertEquals(0, r.exit(), r::toString);
        int summary = r.out().indexOf("dataset paired: paired-suffix folder (X.<ext> beside X_gt/_mask/... .<ext>);"
                + " 3 tampered, 1 authentic; masks missing 0, unmatched masks 0, image/mask size mismatches 0");
        assertTrue(summary >= 0 && summary < r.out().indexOf("model      "), "summary before the work: " + r);
        JsonNode results = new ObjectMapper().readTree(out.resolve(ReportWriter.RESULTS_JSON).toFile());
        assertEquals(3, results.get("datasets").get(0).get("tampered_images").asInt(), results::toString);
        assertEquals(0, results.get("warnings").size(), results::toString);
        assertFalse(Files.readString(out.resolve(ReportWriter.TABLE_MD)).contains("Warning"));
    }

    @Test
    void aDatasetWithoutTamperedImagesIsAWarningNotJustATableOfUndefinedScores() throws Exception {
        Path au = data.resolve("Au");
        Path out = dir.resolve("report-au");
        Run r = run("eval", "--run", runFolder.toString(), "--data", au.toString(), "--out", out.toString(),
                "--device", "cpu");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("  warning: no tampered images (no masks found): pixel-level scores are"
                + " undefined for Au"), r::toString);
        String warning = "dataset Au has no tampered images (no masks were found): its pixel-level scores are"
                + " undefined (n/a)";
        assertTrue(Files.readString(out.resolve(ReportWriter.TABLE_MD)).contains("**Warning:** " + warning),
                r::toString);
        assertTrue(Files.readString(out.resolve(ReportWriter.REPORT_HTML)).contains("<strong>Warning:</strong> "
                + warning));
        JsonNode results = new ObjectMapper().readTree(out.resolve(ReportWriter.RESULTS_JSON).toFile());
        assertTrue(results.get("warnings").get(0).asText().startsWith(warning), results::toString);
    }
}
