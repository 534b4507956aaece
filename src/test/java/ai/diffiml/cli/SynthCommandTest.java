package ai.diffiml.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.cli.CliExpectations.Run;
import ai.diffiml.synth.SynthGenerator;
import ai.diffiml.synth.SynthOptions;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code synth} run in-process: the dataset, the summary and progress, and one-line errors with exit code 2. */
class SynthCommandTest {
    @Test
    void writesTheDatasetTheLibraryWouldWithProgressAndASummary(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("set");
        Run r = MainTest.run("synth", "--out", out.toString(), "--count", "6", "--size", "64", "--seed", "3",
                "--threads", "2");
        assertEquals(0, r.exit(), r::toString);
        assertEquals(1, r.outLines().size(), r::toString);
        assertTrue(r.out().startsWith("wrote 6 images (4 tampered, 2 authentic, 64 px) to " + out + " in "),
                r::toString);
        assertTrue(r.out().contains("images/s); list: " + out.resolve("list.json")), r::toString);
        assertTrue(r.err().contains("synth 100%") && r.err().contains("6/6"), "progress bar: " + r);
        JsonNode list = new ObjectMapper().readTree(out.resolve("list.json").toFile());
        assertEquals(6, list.size());
        // the CLI's files are the library's for the same options (whatever the thread count)
        Path lib = dir.resolve("lib");
        new SynthGenerator(new SynthOptions(6, 3, 64, null, SynthOptions.DEFAULT_AUTHENTIC_FRACTION, 1))
                .generate(lib, null);
        List<Path> files = files(out);
        assertEquals(files.size(), files(lib).size());
        assertEquals(6 + 4 + 2, files.size(), "images, masks, list and manifest");
        for (Path f : files) {
            assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(lib.resolve(out.relativize(f))),
                    out.relativize(f).toString());
        }
    }

    @Test
    void badOptionsAreOneLineErrorsWithExitCode2(@TempDir Path dir) throws IOException {
        String out = dir.resolve("set").toString();
        CliExpectations.assertOneLineError(MainTest.run("synth", "--out", out, "--count", "0"),
                "count must be >= 1, got 0");
        CliExpectations.assertOneLineError(MainTest.run("synth", "--out", out, "--count", "-3"),
                "count must be >= 1, got -3");
        CliExpectations.assertOneLineError(MainTest.run("synth", "--out", out, "--size", "8"),
                "size must be in 32..8192 pixels, got 8");
        CliExpectations.assertOneLineError(MainTest.run("synth", "--out", out, "--authentic", "2"),
                "authentic fraction must be in [0, 1], got 2.0");
        Run missing = MainTest.run("synth");
        assertEquals(2, missing.exit(), missing::toString);
        assertTrue(missing.err().contains("Missing required option: '--out=<dir>'"), missing::toString);
        assertFalse(Files.exists(dir.resolve("set")));
    }

    @Test
    void unwritableOrNonEmptyOutputIsOneLineErrorWithExitCode2(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("file"), "x");
        Path under = file.resolve("set");
        CliExpectations.assertOneLineError(MainTest.run("synth", "--out", under.toString(), "--count", "2"),
                under + ": cannot create the folder: " + file + " exists and is not a folder");
        CliExpectations.assertOneLineError(MainTest.run("synth", "--out", file.toString(), "--count", "2"),
                file + ": exists and is not a folder");
        Path full = Files.createDirectories(dir.resolve("full"));
        Files.writeString(full.resolve("mine.txt"), "keep");
        CliExpectations.assertOneLineError(MainTest.run("synth", "--out", full.toString(), "--count", "2"),
                full + ": exists and is not empty");
        assertEquals("keep", Files.readString(full.resolve("mine.txt")));
    }

    @Test
    void photosWithoutAReadableImageAreOneLineErrorWithExitCode2(@TempDir Path dir) throws IOException {
        String out = dir.resolve("set").toString();
        Path empty = Files.createDirectories(dir.resolve("empty"));
        CliExpectations.assertOneLineError(MainTest.run("synth", "--out", out, "--photos", empty.toString()),
                empty + ": no readable photos");
        Path broken = Files.createDirectories(dir.resolve("broken"));
        Files.write(broken.resolve("a.jpg"), new byte[] {1, 2, 3, 4});
        Run r = MainTest.run("synth", "--out", out, "--photos", broken.toString());
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().contains("error: " + broken + ": no readable photos (1 image files, none decodes)"),
                r::toString);
        CliExpectations.assertOneLineError(MainTest.run("synth", "--out", out, "--photos",
                dir.resolve("nope").toString()), dir.resolve("nope") + ": no such folder");
        assertFalse(Files.exists(dir.resolve("set")));
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).sorted().toList();
        }
    }
}
