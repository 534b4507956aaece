package ai.diffiml.hub;

import java.io.IOException;

/** A Hub file could not be had; the message is one line naming the reference and what to do. */
public class HubException extends IOException {
    public HubException(String message) {
        super(message);
    }

    public HubException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The Hub could not be reached (no connection, a time-out) and the file is not in the cache. */
    public static final class Unreachable extends HubException {
        public Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The repository and revision exist but hold no such file (HTTP 404, EntryNotFound). */
    public static final class EntryNotFound extends HubException {
        public EntryNotFound(String message) {
            super(message);
        }
    }
}
