package ai.diffiml.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An image or mask file could not be decoded: missing, empty, truncated, corrupt, or not an image at all. The
 * message is one line, {@code <file>: <reason>}; {@link #reason()} is the reason alone.
 */
public class UnreadableImageException extends IOException {
    private final Path file;
    private final String reason;

    public UnreadableImageException(Path file, String reason) {
        super(file + ": " + reason);
        this.file = file;
        this.reason = reason;
    }

    public UnreadableImageException(Path file, String reason, Throwable cause) {
        super(file + ": " + reason, cause);
        this.file = file;
        this.reason = reason;
    }

    /** The file that could not be read. */
    public Path file() {
        return file;
    }

    /** Why, without the file name (e.g. "empty file (0 bytes)"). */
    public String reason() {
        return reason;
    }
}
