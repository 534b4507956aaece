package ai.diffiml.backend;

/** The requested backend cannot run on this machine; the message says why and what to install. */
public class BackendUnavailableException extends RuntimeException {
    public BackendUnavailableException(String message) {
        super(message);
    }
}
