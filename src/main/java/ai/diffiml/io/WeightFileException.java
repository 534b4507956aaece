package ai.diffiml.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A weight file (safetensors or torch.save checkpoint) could not be read or written. The message is one line that
 * starts with the file and then says what is wrong, naming the tensor or archive entry concerned.
 */
public class WeightFileException extends IOException {
    private final Path file;

    public WeightFileException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public WeightFileException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file the problem is in. */
    public Path file() {
        return file;
    }
}
