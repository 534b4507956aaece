package ai.diffiml.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A dataset cannot be opened or used: a missing folder, unpaired {@code Tp/} and {@code Gt/} counts, a malformed
 * list line, or too many unreadable files. The message is one line that starts with the file, folder or dataset
 * concerned and then says what is wrong (with the line number for list files).
 */
public class DatasetException extends IOException {
    public DatasetException(Path where, String problem) {
        super(where + ": " + problem);
    }

    public DatasetException(Path where, String problem, Throwable cause) {
        super(where + ": " + problem, cause);
    }

    /** For problems that concern a whole dataset rather than one file: the message as given. */
    public DatasetException(String message) {
        super(message);
    }
}
