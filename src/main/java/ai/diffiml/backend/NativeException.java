package ai.diffiml.backend;

/** A native op failed: carries the op name, the shapes it was called with and the native message. */
public class NativeException extends RuntimeException {
    private final int status;

    public NativeException(String message, int status) {
        super(message);
        this.status = status;
    }

    /** The C API status code ({@code dml_status}). */
    public int status() {
        return status;
    }
}
