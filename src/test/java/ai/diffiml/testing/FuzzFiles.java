package ai.diffiml.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Scratch files for fuzz tests whose parser reads a path: one temporary folder per JVM (on /dev/shm where it
 * exists; removed at exit), each
 * input overwriting the file of the same name, so a campaign of millions of inputs leaves no litter.
 */
public final class FuzzFiles {
    private static final Path DIR;

    static {
        try {
            // in memory where the platform has a tmpfs: a campaign writes one file per input
            Path shm = Path.of("/dev/shm");
            DIR = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "diffiml-fuzz")
                    : Files.createTempDirectory("diffiml-fuzz");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(FuzzFiles::clean, "fuzz-files-clean"));
    }

    private FuzzFiles() {}

    /** {@code bytes} as the file {@code name} in the scratch folder (replacing the previous input). */
    public static Path write(String name, byte[] bytes) {
        Path file = DIR.resolve(name);
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** The scratch folder itself (e.g. for a parser that reads a folder). */
    public static Path dir() {
        return DIR;
    }

    private static void clean() {
        try (var files = Files.walk(DIR)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort at exit
        }
    }
}
