package ai.diffiml.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Backends;
import ai.diffiml.backend.Device;
import ai.diffiml.backend.Native;
import ai.diffiml.model.diffiml.ModelConfig;
import ai.diffiml.model.diffiml.ModelCounts;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    /** {@code info --model ...}: exit 0, nothing on stderr, and the counts table of {@code config}. */
    public static void assertCounts(Run run, ModelConfig config) {
        assertEquals(0, run.exit(), () -> "info --model failed: " + run);
        assertEquals("", run.err(), () -> "nothing on stderr: " + run);
        assertEquals(ModelCounts.of(config).table(), run.out().replace("\r\n", "\n"), () -> "the table: " + run);
    }

    private static final Pattern ROW = Pattern.compile(
            "(\\S.*?)\\s+([\\d,]+) \\| +([\\d.]+) +(\\d+) +([\\d.]+) \\| +([\\d.]+) +(\\d+) +([\\d.]+)");

    /**
     * {@code info --model paper}: MiT-b3 at 512 px, 8 steps x 5 members; the printed parameter total near the
     * paper's model (48.8 M, within 0.5%), the UNet called 40 times (true) and 5 times (paper), about 12.2 GMACs
     * per call without attention matmuls; every row's calls x GMACs/call adds up.
     */
    public static void assertPaperCounts(Run run) {
        assertEquals(0, run.exit(), () -> "info --model paper failed: " + run);
        List<String> lines = run.outLines();
        assertTrue(lines.get(0).contains("MiT-b3, 512x512 input"), () -> "model line: " + run);
        assertTrue(lines.get(1).contains("8 DDIM steps x 5 ensemble members"), () -> "sampling line: " + run);
        long total = -1;
        int rows = 0;
        for (String line : lines) {
            if (line.startsWith("total ")) {
                total = Long.parseLong(line.substring(5).trim().split(" ")[0].replace(",", ""));
                continue;
            }
            Matcher m = ROW.matcher(line);
            if (!m.matches()) {
                continue;
            }
            rows++;
            for (int at : new int[] {3, 6}) {
                double perCall = Double.parseDouble(m.group(at)), calls = Long.parseLong(m.group(at + 1));
                double sum = Double.parseDouble(m.group(at + 2));
                assertEquals(perCall * calls, sum, 0.0005 * calls + 1e-9, () -> "calls x GMACs/call: " + line);
            }
            if (m.group(1).equals("UNet")) {
                assertEquals("40", m.group(4), () -> "true UNet calls: " + line);
                assertEquals("5", m.group(7), () -> "paper UNet calls: " + line);
                assertEquals(12.2, Double.parseDouble(m.group(6)), 0.06, () -> "UNet GMACs per call: " + line);
            }
        }
        assertEquals(5, rows, () -> "one row per part: " + run);
        long t = total;
        assertTrue(Math.abs(t - 48.8e6) <= 0.005 * 48.8e6, () -> "total params " + t + ": " + run);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("true ")), () -> "true accounting named: " + run);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("paper ")), () -> "paper accounting named: " + run);
    }

    /** A bad {@code --model} or value: exit 2, nothing on stdout, one line on stderr with the problem. */
    public static void assertOneLineError(Run run, String problem) {
        assertEquals(Main.EXIT_USAGE, run.exit(), () -> "exit code: " + run);
        assertEquals("", run.out(), () -> "nothing on stdout: " + run);
        assertEquals(1, run.errLines().size(), () -> "exactly one line on stderr: " + run);
        assertTrue(run.err().startsWith("error: ") && run.err().contains(problem), () -> "the problem: " + run);
    }
}
