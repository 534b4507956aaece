package ai.diffiml.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Backends;
import ai.diffiml.backend.Device;
import ai.diffiml.backend.Native;
import ai.diffiml.cli.CliExpectations.Run;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

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
}
