package ai.diffiml.backend;

import ai.diffiml.backend.jni.NativeLibrary;
import ai.diffiml.backend.jni.RuntimeKernels;

/** Turns C API status codes into exceptions that name the op and what it was given. */
public final class Native {
    private Native() {}

    static {
        NativeLibrary.load();
    }

    /** The C API's status for a failed allocation ({@code DML_ERR_MEMORY}). */
    public static final int ERR_MEMORY = 2;

    /**
     * Throws when {@code status} is not DML_OK; {@code context} names op and shapes. A failed allocation inside the
     * op (status {@link #ERR_MEMORY}: e.g. a CUDA kernel's scratch from cudaMallocAsync) is an
     * {@link OutOfMemoryError}, which the command line reports as one line with advice, like a tensor that could not
     * be allocated; anything else a {@link NativeException}.
     */
    public static void check(int status, String context) {
        if (status != 0) {
            fail(status, context + ": " + lastError());
        }
    }

    /** Throws what {@link #check} throws for {@code status} with {@code message}. */
    static void fail(int status, String message) {
        if (status == ERR_MEMORY) {
            throw new OutOfMemoryError(message);
        }
        throw new NativeException(message, status);
    }

    /** The message of the last failed native call on this thread. */
    public static String lastError() {
        return RuntimeKernels.dml_last_error().getString();
    }

    public static String version() {
        return RuntimeKernels.dml_version().getString();
    }

    public static int cpuThreads() {
        return RuntimeKernels.dml_cpu_threads();
    }
}
