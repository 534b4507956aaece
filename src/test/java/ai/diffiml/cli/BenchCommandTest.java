package ai.diffiml.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.cli.CliExpectations.Run;
import ai.diffiml.localize.LocalizeFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench} on a tiny model: one block per ensemble size with every stage; and its usage errors. */
class BenchCommandTest {
    @TempDir
    Path dir;

    @Test
    void everyEnsembleSizeGetsItsStagesAndThroughput() throws Exception {
        Path ck = LocalizeFixtures.diffImlCheckpoint(dir.resolve("ck"), 5);
        Run r = PredictCommandTest.run("bench", "--model", ck.toString(), "--steps", "2", "--ensembles", "1,3",
                "--warmup", "0", "--iterations", "2", "--device", "cpu");
        assertEquals(0, r.exit(), r::toString);
        assertEquals("", r.err(), r::toString);
        String out = r.out();
        assertTrue(out.contains("DiffIML MiT-b0, 64 x 64 input, random weights"), out);
        assertTrue(out.contains("2 DDIM steps"), out);
        assertTrue(out.contains("machine  ") && out.contains("device   CPU"), out);
        assertTrue(out.contains("0 warmup + 2 timed"), out);
        assertTrue(out.contains("no comparison"), "not the paper's model: " + out);
        for (String n : new String[] {"1", "3"}) {
            int at = out.indexOf("N = " + n + " (2 UNet calls of batch " + n + ")");
            assertTrue(at >= 0, out);
            String block = out.substring(at);
            for (String stage : new String[] {"encoder + condition head", "sampling (2 UNet calls)", "decode",
                    "pre + post-processing", "end to end"}) {
                Matcher m = Pattern.compile(Pattern.quote(stage) + " +([\\d.]+) +([\\d.]+) +([\\d.]+)").matcher(block);
                assertTrue(m.find(), stage + " in " + block);
                assertTrue(Double.parseDouble(m.group(1)) <= Double.parseDouble(m.group(2)), "median <= p90");
            }
            assertTrue(block.contains("throughput "), block);
        }
        Run trained = PredictCommandTest.run("bench", "--checkpoint", ck.toString(), "--steps", "1", "--ensembles",
                "1", "--warmup", "0", "--iterations", "1", "--device", "cpu");
        assertEquals(0, trained.exit(), trained::toString);
        assertTrue(trained.out().contains("weights of " + ck), trained::toString);
    }

    @Test
    void batchCountsImagesPerCallInTheThroughput() throws Exception {
        Path ck = LocalizeFixtures.diffImlCheckpoint(dir.resolve("ck"), 5);
        Run r = PredictCommandTest.run("bench", "--model", ck.toString(), "--steps", "1", "--ensembles", "1",
                "--batch", "2", "--warmup", "0", "--iterations", "1", "--device", "cpu");
        assertEquals(0, r.exit(), r::toString);
        String out = r.out();
        assertTrue(out.contains("1 DDIM steps, batch 2"), out);
        assertTrue(out.contains("N = 1, 2 images per call (1 UNet calls of batch 2)"), out);
        Matcher total = Pattern.compile("end to end +[\\d.]+ +[\\d.]+ +([\\d.]+)").matcher(out);
        Matcher fps = Pattern.compile("throughput ([\\d.]+) images/s").matcher(out);
        assertTrue(total.find() && fps.find(), out);
        // 2 images per call: throughput = 2000 / mean call latency in ms (both printed rounded).
        double expected = 2000 / Double.parseDouble(total.group(1));
        assertEquals(expected, Double.parseDouble(fps.group(1)), expected * 0.02, out);
    }

    @Test
    void badFlagsAreOneLineErrors() throws Exception {
        CliExpectations.assertOneLineError(PredictCommandTest.run("bench", "--batch", "0"), "--batch >= 1");
        CliExpectations.assertOneLineError(PredictCommandTest.run("bench", "--cuda-graphs", "--device", "cpu"),
                "--cuda-graphs needs --device cuda");
        CliExpectations.assertOneLineError(PredictCommandTest.run("bench", "--steps", "0"), "--steps and"
                + " --ensembles must be >= 1");
        CliExpectations.assertOneLineError(PredictCommandTest.run("bench", "--iterations", "0"), "--iterations");
        CliExpectations.assertOneLineError(PredictCommandTest.run("bench", "--run", dir.resolve("none").toString()),
                "none: no such run folder or checkpoint folder");
        CliExpectations.assertOneLineError(PredictCommandTest.run("bench", "--model", "b9"), "b9");
        Path seg = LocalizeFixtures.segFormerCheckpoint(dir.resolve("seg"), 1);
        CliExpectations.assertOneLineError(PredictCommandTest.run("bench", "--checkpoint", seg.toString(), "--steps",
                "4"), "--steps and --ensembles apply to DiffIML, which samples");
        assertTrue(Files.isDirectory(seg));
    }

    @Test
    void oneForwardModelsAreTimedThroughTheSameLocalizer() throws Exception {
        Path seg = LocalizeFixtures.segFormerCheckpoint(dir.resolve("seg"), 1);
        CliExpectations.Run r = PredictCommandTest.run("bench", "--checkpoint", seg.toString(), "--iterations", "2",
                "--warmup", "0", "--device", "cpu");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("model    SegFormer (discriminative) MiT-b0"), r::toString);
        assertTrue(r.out().matches("(?s).*forward \\(all heads\\) +[\\d.]+ +[\\d.]+ +[\\d.]+.*"), r::toString);
        assertTrue(r.out().contains("throughput "), r::toString);
    }
}
