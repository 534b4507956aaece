package ai.diffiml.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Backends;
import ai.diffiml.backend.Device;
import ai.diffiml.backend.Native;
import java.util.Arrays;
import java.util.List;

/** What the CLI must print, shared by the in-process tests and the ones that start the fat jar. */
public final class CliExpectations {
    private CliExpectations() {}

    /** The result of one CLI run. */
    public record Run(int exit, String out, String err) {
        List<String> outLines() {
            return out.isEmpty() ? List.of() : Arrays.asList(out.split("\\R"));
        }

        List<String> errLines() {
            return err.isEmpty() ? List.of() : Arrays.asList(err.split("\\R"));
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** {@code info}'s output on {@code backend}: version, backend, CPU threads, BLAS, CUDA (+ cuBLAS on CUDA). */
    public static void assertInfo(Run run, Device backend) {
        assertEquals(0, run.exit(), () -> "info failed: " + run);
        List<String> lines = run.outLines();
        assertTrue(lines.get(0).startsWith("diffiml-native " + Version.project() + " (native library "
                + Native.version() + ")"), () -> "version line: " + run);
        assertTrue(lines.get(1).matches("backend +" + backend + "( \\(auto\\))?"), () -> "backend line: " + run);
        assertEquals("cpu threads  " + Native.cpuThreads(), lines.get(2), () -> "threads line: " + run);
        assertTrue(lines.get(3).startsWith("blas         OpenBLAS"), () -> "BLAS line: " + run);
        if (Backends.cudaAvailable()) {
            assertEquals("cuda         " + Backends.cudaDeviceName(), lines.get(4), () -> "CUDA line: " + run);
        } else {
            assertTrue(lines.get(4).startsWith("cuda         unavailable: ") && lines.get(4).length() > 40,
                    () -> "CUDA line must give the reason: " + run);
        }
        assertEquals(backend == Device.CUDA ? 6 : 5, lines.size(), () -> "cuBLAS line only on CUDA: " + run);
        if (backend == Device.CUDA) {
            assertTrue(lines.get(5).startsWith("cublas       cuBLAS"), () -> "cuBLAS line: " + run);
        }
    }

    /**
     * {@code info --device cuda}: where a GPU is usable it runs on CUDA; elsewhere it exits 2 with one line on
     * stderr that says why (no stack trace) and nothing on stdout.
     */
    public static void assertCudaRequest(Run run) {
        if (Backends.cudaAvailable()) {
            assertInfo(run, Device.CUDA);
            return;
        }
        assertEquals(Main.EXIT_USAGE, run.exit(), () -> "exit code: " + run);
        assertEquals("", run.out(), () -> "nothing on stdout: " + run);
        assertEquals(1, run.errLines().size(), () -> "exactly one line on stderr: " + run);
        assertTrue(run.err().startsWith("error: CUDA backend unavailable: "), () -> "the reason: " + run);
    }
}
