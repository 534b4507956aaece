package ai.diffiml.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Backends;
import ai.diffiml.backend.Device;
import ai.diffiml.backend.Native;
import ai.diffiml.cli.CliExpectations.Run;
import ai.diffiml.model.diffiml.ModelConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI run in-process (output captured); {@code ai.diffiml.it.JarStartsIT} runs the same through the jar. */
class MainTest {
    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int exit = Main.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void infoOnCpuPrintsVersionBackendThreadsBlasAndCuda() {
        CliExpectations.assertInfo(run("info", "--device", "cpu"), Device.CPU);
    }

    @Test
    void infoAutoPicksCudaExactlyWhenItIsUsable() {
        Run r = run("info");
        CliExpectations.assertInfo(r, Backends.cudaAvailable() ? Device.CUDA : Device.CPU);
        assertTrue(r.out().contains(" (auto)"), r::toString);
    }

    @Test
    void cudaRequestRunsOnTheGpuOrFailsWithOneLineAndExitCode2() {
        CliExpectations.assertCudaRequest(run("info", "--device", "cuda"));
    }

    @Test
    void deviceValueIsCaseInsensitive() {
        CliExpectations.assertInfo(run("info", "--device", "CPU"), Device.CPU);
    }

    @Test
    void unknownDeviceIsAUsageError() {
        Run r = run("info", "--device", "tpu");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("'tpu' is not a device: expected auto, cpu or cuda"), r::toString);
        assertTrue(r.err().contains("Usage: diffiml-native info"), r::toString);
        assertEquals("", r.out());
    }

    @Test
    void missingSubcommandAndUnknownOptionAreUsageErrors() {
        Run none = run();
        assertEquals(2, none.exit(), none::toString);
        assertTrue(none.err().contains("Missing required subcommand"), none::toString);
        Run unknown = run("info", "--fast");
        assertEquals(2, unknown.exit(), unknown::toString);
        assertTrue(unknown.err().contains("Unknown option: '--fast'"), unknown::toString);
    }

    @Test
    void versionNamesProjectNativeLibraryAndJava() {
        Run r = run("--version");
        assertEquals(0, r.exit(), r::toString);
        assertEquals("diffiml-native " + Version.project(), r.outLines().get(0));
        assertEquals("native library " + Native.version(), r.outLines().get(1));
        assertTrue(r.outLines().get(2).startsWith("Java "), r::toString);
        assertTrue(Version.project().matches("\\d+\\.\\d+\\.\\d+.*"), "filtered version: " + Version.project());
    }

    @Test
    void infoModelPaperPrintsTheCountsOfTheDefaultModel() {
        Run r = run("info", "--model", "paper");
        CliExpectations.assertCounts(r, ModelConfig.paper());
        CliExpectations.assertPaperCounts(r);
    }

    @Test
    void infoModelTakesVariantPresetsAndOverrides() {
        Run r = run("info", "--model", "b0", "--resolution", "256", "--steps", "4", "--ensemble", "2");
        CliExpectations.assertCounts(r, ModelConfig.paper().withVariant("b0").withResolution(256).withSampling(4, 2));
        assertTrue(r.out().contains("MiT-b0, 256x256 input"), r::toString);
        assertTrue(r.out().contains("4 DDIM steps x 2 ensemble members"), r::toString);
    }

    @Test
    void infoModelReadsAJsonConfigOrACheckpointFolder(@TempDir Path dir) throws Exception {
        ModelConfig config = new ModelConfig("b2", 320, 64, 64, 4, 16, 1e-6f, 1e-5f, 0.1, 1000, 5, 3, 0.1f, 0.2f,
                true);
        ObjectMapper json = new ObjectMapper();
        Path file = dir.resolve("model.json");
        Files.writeString(file, json.writeValueAsString(config));
        CliExpectations.assertCounts(run("info", "--model", file.toString()), config);
        ObjectNode checkpoint = json.createObjectNode().put("step", 10);
        checkpoint.set("config", json.valueToTree(config));
        Files.writeString(dir.resolve("checkpoint.json"), json.writeValueAsString(checkpoint));
        CliExpectations.assertCounts(run("info", "--model", dir.toString(), "--steps", "2"),
                config.withSampling(2, 3));
    }

    @Test
    void infoModelWithABadPathOrValueIsOneLineAndExitCode2(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("nope.json");
        CliExpectations.assertOneLineError(run("info", "--model", missing.toString()), missing + ": no such file");
        CliExpectations.assertOneLineError(run("info", "--model", "b7"), "b7: no such file");
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"variant\": \"b3\"}");
        CliExpectations.assertOneLineError(run("info", "--model", broken.toString()), "broken.json: not a model config");
        CliExpectations.assertOneLineError(run("info", "--model", "paper", "--resolution", "500"),
                "resolution must be a positive multiple of 32, got 500");
        CliExpectations.assertOneLineError(run("info", "--model", "paper", "--steps", "0"),
                "sampleSteps must be in [1, trainSteps], got 0");
        CliExpectations.assertOneLineError(run("info", "--model", "paper", "--ensemble", "0"),
                "ensemble must be >= 1, got 0");
        CliExpectations.assertOneLineError(run("info", "--resolution", "256"),
                "--resolution, --steps and --ensemble apply to --model only");
    }
}
