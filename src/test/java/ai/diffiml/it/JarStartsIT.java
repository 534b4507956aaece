package ai.diffiml.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Backends;
import ai.diffiml.backend.Device;
import ai.diffiml.cli.CliExpectations;
import ai.diffiml.cli.CliExpectations.Run;
import ai.diffiml.localize.LocalizeFixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fat jar users run starts and answers: {@code java -jar target/diffiml-native.jar ...} in a separate process
 * (the same java binary as this test JVM). Run by maven-failsafe after {@code package}; the jar's path comes from
 * the system property {@code diffiml.jar}.
 */
class JarStartsIT {
    private static final Path JAR = Path.of(System.getProperty("diffiml.jar", "target/diffiml-native.jar"));

    private static Run runJar(String... args) throws IOException, InterruptedException {
        assertTrue(Files.isRegularFile(JAR), "no jar at " + JAR.toAbsolutePath() + " (run mvn package first)");
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow(
                () -> new IllegalStateException("cannot tell which java binary runs this test")));
        command.add("-jar");
        command.add(JAR.toString());
        command.addAll(List.of(args));
        Path out = Files.createTempFile("diffiml-it", ".out"), err = Files.createTempFile("diffiml-it", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out after 120 s: " + command);
            }
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    @Test
    void helpListsTheSubcommands() throws Exception {
        Run r = runJar("--help");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().startsWith("Usage: diffiml-native"), r::toString);
        assertTrue(r.out().contains("info") && r.out().contains("--version"), r::toString);
        assertEquals("", r.err());
    }

    @Test
    void infoReportsVersionBackendBlasAndCuda() throws Exception {
        CliExpectations.assertInfo(runJar("info"), Backends.cudaAvailable() ? Device.CUDA : Device.CPU);
    }

    @Test
    void infoOnCpuRunsOnTheCpuBackend() throws Exception {
        Run r = runJar("info", "--device", "cpu");
        CliExpectations.assertInfo(r, Device.CPU);
        assertEquals("", r.err(), "nothing on stderr");
    }

    @Test
    void infoOnCudaRunsOnTheGpuOrExitsWithOneLine() throws Exception {
        CliExpectations.assertCudaRequest(runJar("info", "--device", "cuda"));
    }

    @Test
    void infoModelPaperPrintsTheCounts() throws Exception {
        CliExpectations.assertPaperCounts(runJar("info", "--model", "paper"));
    }

    @Test
    void infoModelWithABadPathIsOneLine() throws Exception {
        CliExpectations.assertOneLineError(runJar("info", "--model", "no/such/config.json"), "no such file");
    }

    @Test
    void predictWritesTheMapsWithTheNativesInTheJar(@TempDir Path dir) throws Exception {
        // Decoding, resizing, the heatmap colours and PNG encoding all come from the OpenCV natives the jar ships.
        Path checkpoint = LocalizeFixtures.diffImlCheckpoint(dir.resolve("ck"), 1);
        Path image = LocalizeFixtures.png(dir.resolve("in").resolve("photo.png"), 50, 40, 2);
        Run r = runJar("predict", image.getParent().toString(), "--out", dir.resolve("out").toString(),
                "--checkpoint", checkpoint.toString(), "--steps", "2", "--ensemble", "2", "--device", "cpu");
        assertEquals(0, r.exit(), r::toString);
        for (String file : List.of("photo_prob.png", "photo_mask.png", "photo_uncertainty.png", "photo_overlay.png",
                "predictions.jsonl")) {
            assertTrue(Files.size(dir.resolve("out").resolve(file)) > 0, file);
        }
    }

    @Test
    void aTruncatedImageGivesOurOneLineReasonAndNoOpenCvWarning(@TempDir Path dir) throws Exception {
        // OpenCV's PNG codec logs "[ WARN:0@0.1] global grfmt_png.cpp:... " on stderr for a truncated file unless
        // silenced; the user should see only the line that says what was skipped and why.
        Path checkpoint = LocalizeFixtures.diffImlCheckpoint(dir.resolve("ck"), 1);
        Path in = dir.resolve("in");
        Path good = LocalizeFixtures.png(in.resolve("photo.png"), 50, 40, 2);
        byte[] bytes = Files.readAllBytes(good);
        Path broken = in.resolve("broken.png");
        Files.write(broken, java.util.Arrays.copyOf(bytes, bytes.length / 3));
        Run r = runJar("predict", in.toString(), "--out", dir.resolve("out").toString(), "--checkpoint",
                checkpoint.toString(), "--steps", "1", "--ensemble", "1", "--device", "cpu");
        assertEquals(3, r.exit(), r::toString);
        assertTrue(r.err().contains("skipped " + broken + ": corrupt or truncated PNG data"), r::toString);
        assertTrue(!r.err().contains("WARN") && !r.err().contains("grfmt"), r::toString); // beside the progress bar
    }
}
