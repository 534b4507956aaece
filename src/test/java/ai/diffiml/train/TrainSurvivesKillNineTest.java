package ai.diffiml.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.cli.Main;
import ai.diffiml.io.Checkpoint;
import ai.diffiml.io.CheckpointKillPoint;
import ai.diffiml.io.LoadedTensor;
import ai.diffiml.io.Safetensors;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training survives {@code kill -9}: a tiny CPU run ({@code train --head discriminative}, MiT-b0 at 32 px, batch 2,
 * 2 threads, 6 synthetic images, 2 epochs = 6 steps, last/ after every step) is started as a child JVM on the test class path, SIGKILLed at
 * several points, and resumed each time with {@code --resume}; at the end its weights and AdamW state (moments and
 * step counts) are bit-identical to those of an uninterrupted run with the same seed, and so are its logged
 * per-step losses. The kill points: during checkpoint saves (after the new weights are written, after the optimizer
 * state, after checkpoint.json, between the two renames that swap the new folder in), in the middle of training
 * (as soon as a step's metrics line appears), and a metrics line torn by the kill (a half record left at the end of
 * metrics.jsonl). After each kill, what {@code last/} holds must read as a complete checkpoint: a half-written
 * folder is never taken for one.
 */
class TrainSurvivesKillNineTest {
    @TempDir
    Path dir;

    private static final long TIMEOUT_S = 300;

    private List<String> trainArgs(Path data, String name) {
        return List.of("train", "--data", data.toString(), "--out", dir.resolve("runs").toString(), "--name", name,
                "--head", "discriminative", "--variant", "b0", "--resolution", "32", "--batch", "2", "--epochs", "2",
                "--checkpoint-every", "1", "--seed", "3", "--device", "cpu", "--threads", "2");
    }

    private List<String> resumeArgs(String name) {
        return List.of("train", "--resume", dir.resolve("runs").resolve(name).toString(), "--device", "cpu",
                "--threads", "2");
    }

    /** A child JVM running {@link CheckpointKillPoint} with the test's class path. */
    private static Process start(String stage, int occurrence, List<String> cli, Path log) throws IOException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-Xmx1g", "-cp", System.getProperty("java.class.path")));
        String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
        if (cache != null) {
            command.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
        }
        command.add(CheckpointKillPoint.class.getName());
        command.add(stage);
        command.add(Integer.toString(occurrence));
        command.addAll(cli);
        return new ProcessBuilder(command).redirectError(log.toFile()).start();
    }

    /** Runs to the end; returns its stdout. */
    private String runToEnd(List<String> cli, Path log) throws Exception {
        Process p = start("none", 0, cli, log);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(TIMEOUT_S, TimeUnit.SECONDS), "timed out");
        assertEquals(0, p.exitValue(), () -> out + read(log));
        return out;
    }

    /** Runs until the save reaches {@code stage} for the {@code occurrence}-th time, then SIGKILLs it there. */
    private void killAtCheckpointStage(String stage, int occurrence, List<String> cli, Path log) throws Exception {
        Process p = start(stage, occurrence, cli, log);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            boolean reached = false;
            while ((line = r.readLine()) != null) {
                if (line.startsWith(CheckpointKillPoint.SIGNAL)) {
                    reached = true;
                    break;
                }
            }
            assertTrue(reached, () -> "never reached " + stage + " #" + occurrence + ": " + read(log));
            kill(p);
        }
    }

    /** Runs until {@code metrics} holds {@code steps} training records, then SIGKILLs it (inside the next step). */
    private void killAfterSteps(long steps, List<String> cli, Path metrics, Path log) throws Exception {
        Process p = start("none", 0, cli, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (trainSteps(metrics) < steps) {
            assertTrue(p.isAlive(), () -> "ended before step " + steps + ": " + read(log));
            assertTrue(System.nanoTime() < deadline, "timed out");
            Thread.sleep(20);
        }
        kill(p);
    }

    private static void kill(Process p) throws InterruptedException {
        p.destroyForcibly(); // SIGKILL on Linux and macOS
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(137, p.exitValue(), "killed by SIGKILL");
    }

    private static long trainSteps(Path metrics) throws IOException {
        return MetricsLog.read(metrics).stream().filter(n -> n.path("kind").asText().equals("train")).count();
    }

    private static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /**
     * The step of the checkpoint that last/ stands for after a kill, loaded whole (weights into a model, checked
     * against checkpoint.json); -1 when there is none yet. A half-written folder must never be what this reads.
     */
    private static long assertLastIsComplete(RunFolder run) throws IOException {
        try (Stream<Path> s = Files.list(run.dir())) {
            if (s.map(p -> p.getFileName().toString()).noneMatch(n -> n.equals(RunFolder.LAST)
                    || n.equals("." + RunFolder.LAST + ".previous"))) {
                return -1; // killed before the first save was complete: nothing stands for a checkpoint
            }
        }
        ai.diffiml.io.SegFormerCheckpoint.Loaded loaded = ai.diffiml.io.SegFormerCheckpoint.load(run.last(),
                ai.diffiml.backend.Device.CPU);
        loaded.model().close();
        assertTrue(loaded.meta().hasOptimizer(), "last/ holds the optimizer state");
        return loaded.meta().step();
    }

    @Test
    void resumedAfterSigkillAtSeveralPointsEndsBitIdenticalToAnUninterruptedRun() throws Exception {
        Path data = dir.resolve("data");
        assertEquals(0, Main.commandLine().execute("synth", "--out", data.toString(), "--count", "6", "--size", "32",
                "--seed", "5"));
        Path log = dir.resolve("child.log");
        runToEnd(trainArgs(data, "whole"), log);
        RunFolder whole = new RunFolder(dir.resolve("runs/whole"));
        RunFolder run = new RunFolder(dir.resolve("runs/killed"));
        List<String> fresh = trainArgs(data, "killed");

        List<Long> resumedFrom = new ArrayList<>();
        // 1. the very first save, killed after its weights were written: no last/ yet, so the run starts again
        killAtCheckpointStage("model", 1, fresh, log);
        assertEquals(-1, assertLastIsComplete(run), "a half-written first checkpoint is not taken for one");
        deleteRunKeepingNothing(run);
        // 2. a fresh start, killed in the 3rd save after the optimizer state was written
        killAtCheckpointStage("optimizer", 3, fresh, log);
        resumedFrom.add(assertLastIsComplete(run));
        // 3. resumed, killed after the 2nd save's checkpoint.json
        killAtCheckpointStage("meta", 2, resumeArgs("killed"), log);
        resumedFrom.add(assertLastIsComplete(run));
        // 4. resumed, killed between the renames of the 1st save (old folder moved aside, new not yet in place)
        killAtCheckpointStage("swap", 1, resumeArgs("killed"), log);
        resumedFrom.add(assertLastIsComplete(run));
        // 5. resumed, killed in the middle of training, as soon as step 5's metrics line is there
        killAfterSteps(5, resumeArgs("killed"), run.metrics(), log);
        resumedFrom.add(assertLastIsComplete(run));
        // 6. a metrics line torn by the kill
        Files.writeString(run.metrics(), "{\"kind\":\"train\",\"step\":7,\"epo", StandardOpenOption.APPEND);
        runToEnd(resumeArgs("killed"), log);
        // saves after steps 1..6; 2: killed in step 3's save; 3: in step 4's (after checkpoint.json, not swapped
        // in); 4: in step 4's again, between the renames, so the displaced step-3 folder stands; 5: step 4 or 5
        assertEquals(List.of(2L, 3L, 3L), resumedFrom.subList(0, 3), "checkpoints found after the kills");
        assertTrue(resumedFrom.get(3) == 4 || resumedFrom.get(3) == 5, resumedFrom::toString);

        compareTensors(whole.last().resolve(Checkpoint.MODEL_FILE), run.last().resolve(Checkpoint.MODEL_FILE));
        compareTensors(whole.last().resolve(Checkpoint.OPTIMIZER_FILE),
                run.last().resolve(Checkpoint.OPTIMIZER_FILE));
        assertEquals(losses(whole), losses(run), "per-step losses");
        assertEquals(6, losses(run).size());
        try (Stream<Path> s = Files.list(run.dir())) {
            List<String> left = s.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("config.json", "curves.png", "last", "metrics.jsonl"), left,
                    "no partial or displaced checkpoint folders left");
        }
    }

    private static void deleteRunKeepingNothing(RunFolder run) throws IOException {
        try (Stream<Path> s = Files.walk(run.dir())) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        assertFalse(Files.exists(run.dir()));
    }

    private static List<Long> losses(RunFolder run) throws IOException {
        List<Long> bits = new ArrayList<>();
        for (JsonNode n : MetricsLog.read(run.metrics())) {
            if (n.path("kind").asText().equals("train")) {
                bits.add(Double.doubleToRawLongBits(n.get("loss").asDouble()));
            }
        }
        return bits;
    }

    private static void compareTensors(Path expected, Path actual) throws IOException {
        Map<String, LoadedTensor> a = Safetensors.read(expected).tensors(), b = Safetensors.read(actual).tensors();
        assertEquals(a.keySet(), b.keySet(), actual.toString());
        for (String name : a.keySet()) {
            LoadedTensor x = a.get(name), y = b.get(name);
            if (x.isInteger()) {
                assertTrue(java.util.Arrays.equals(x.longs(), y.longs()), name);
            } else {
                float[] u = x.floats(), v = y.floats();
                assertEquals(u.length, v.length, name);
                for (int i = 0; i < u.length; i++) {
                    if (Float.floatToRawIntBits(u[i]) != Float.floatToRawIntBits(v[i])) {
                        throw new AssertionError(actual + " " + name + "[" + i + "]: " + v[i] + ", uninterrupted "
                                + u[i]);
                    }
                }
            }
        }
    }
}
