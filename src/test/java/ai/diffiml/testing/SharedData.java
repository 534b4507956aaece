package ai.diffiml.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** The project's shared material ({@code ../shared} beside the checkout, as CI lays it out). */
public final class SharedData {
    private SharedData() {}

    /** The parity folder: {@code ../shared/parity} of the project or of a folder above it; null if absent. */
    public static Path parityDir() {
        return find("parity");
    }

    /** Real tampered images with masks: {@code ../shared/data/real-samples}, found like {@link #parityDir}. */
    public static Path realSamplesDir() {
        return find("data/real-samples");
    }

    private static Path find(String sub) {
        for (Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("../shared/" + sub).normalize();
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
