package ai.diffiml.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.diffiml.cli.CliExpectations.Run;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Out-of-range numbers given to {@code train} and {@code train-vae} are refused with one line naming the option,
 * before any data is made or read and before a run folder exists (the runs below would otherwise start by
 * generating a synthetic dataset, at a 100000-pixel resolution for one of them).
 */
class TrainingRangesTest {
    @TempDir
    Path dir;

    private Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int exit = Main.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private String[] train(String command, String... more) {
        return Stream.concat(Stream.of(command, "--device", "cpu", "--out", dir.resolve("runs").toString()),
                Stream.of(more)).toArray(String[]::new);
    }

    @Test
    void outOfRangeLearningRateBatchResolutionAndEpochsAreRefusedBeforeAnyWork() throws IOException {
        CliExpectations.assertOneLineError(run(train("train", "--lr", "5")), "--lr must be in (0, 1.0], got 5.0");
        CliExpectations.assertOneLineError(run(train("train", "--lr", "0")), "--lr must be in (0, 1.0], got 0.0");
        CliExpectations.assertOneLineError(run(train("train", "--lr", "NaN")), "--lr must be in (0, 1.0], got NaN");
        CliExpectations.assertOneLineError(run(train("train", "--batch", "100000")),
                "--batch must be at most 1024, got 100000");
        CliExpectations.assertOneLineError(run(train("train", "--resolution", "100000")),
                "--resolution must be at most 2048 px, got 100000");
        CliExpectations.assertOneLineError(run(train("train", "--epochs", "1000000")),
                "--epochs must be at most 100000, got 1000000");
        CliExpectations.assertOneLineError(run(train("train-vae", "--resolution", "4096")),
                "--resolution must be at most 2048 px, got 4096");
        CliExpectations.assertOneLineError(run(train("train-vae", "--lr", "-1e-4")),
                "--lr must be in (0, 1.0], got -1.0E-4");
        assertFalse(Files.exists(Path.of("data", "synth-100000")), "synthetic data was made for a refused size");
        assertFalse(Files.exists(Path.of("data", "synth-4096")), "synthetic data was made for a refused size");
        assertFalse(Files.exists(dir.resolve("runs")), "a run folder was made for a run that cannot start");
    }
}
