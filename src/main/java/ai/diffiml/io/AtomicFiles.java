package ai.diffiml.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Whole-file writes that readers and crashes never see half done: the bytes go to a temporary file next to the
 * target, are forced to disk, and the temporary file is renamed over the target (the same procedure
 * {@link Safetensors} writes weights with). On failure the target is left as it was and the temporary file is
 * removed; the error is one line naming the file.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Replaces (or creates) {@code file} with {@code bytes}, atomically. */
    public static void write(Path file, byte[] bytes) throws IOException {
        Safetensors.writeAtomically(file, ch -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        });
    }
}
