package ai.diffiml.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.cli.CliExpectations.Run;
import ai.diffiml.eval.report.ReportWriter;
import ai.diffiml.localize.LocalizeFixtures;
import ai.diffiml.testing.SharedData;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code eval} and {@code predict} on the 17 CASIAv2 samples as the ground-truth release ships them (each image
 * beside its {@code _gt.png}), with a tiny random model: the 17 images are scored as tampered and no mask is taken
 * for a photo. Skipped where {@code ../shared/data/real-samples} is absent.
 */
class RealSamplesCliTest {
    @TempDir
    Path dir;

    @Test
    void evalScoresThe17TamperedImagesAndPredictSkipsThe17Masks() throws Exception {
        Path real = SharedData.realSamplesDir();
        Assumptions.assumeTrue(real != null, "no ../shared/data/real-samples here");
        Path casia2 = real.resolve("casia2");
        Path checkpoint = LocalizeFixtures.diffImlCheckpoint(dir.resolve("ck"), 5);
        Path report = dir.resolve("report");
        Run eval = PredictCommandTest.run("eval", "--checkpoint", checkpoint.toString(), "--data", "casia2=" + casia2,
                "--steps", "1", "--ensemble", "1", "--device", "cpu", "--out", report.toString(), "--gallery", "0");
        assertEquals(0, eval.exit(), eval::toString);
        assertTrue(eval.out().contains("dataset casia2: paired-suffix folder"), eval::toString);
        JsonNode d = new ObjectMapper().readTree(report.resolve(ReportWriter.RESULTS_JSON).toFile())
                .get("datasets").get(0);
        assertEquals(17, d.get("tampered_images").asInt(), d::toString);
        assertEquals(0, d.get("authentic_images").asInt(), d::toString);
        assertEquals(0, d.get("failed_images").asInt(), d::toString);
        assertTrue(d.get("pixel_f1").isNumber(), "pixel F1 is defined: " + d);

        Path out = dir.resolve("maps");
        Run predict = PredictCommandTest.run("predict", casia2.toString(), "--out", out.toString(), "--checkpoint",
                checkpoint.toString(), "--steps", "1", "--ensemble", "1", "--no-uncertainty", "--device", "cpu");
        assertEquals(0, predict.exit(), predict::toString);
        assertTrue(predict.out().startsWith("skipped 17 masks"), predict::toString);
        List<String> lines = Files.readAllLines(out.resolve(PredictCommand.PREDICTIONS));
        assertEquals(17, lines.size());
        assertTrue(lines.stream().noneMatch(l -> l.contains("_gt.png")), "no mask was predicted as a photo");
    }
}
