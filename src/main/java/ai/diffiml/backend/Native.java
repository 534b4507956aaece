package ai.diffiml.backend;

import ai.diffiml.backend.jni.NativeLibrary;
import ai.diffiml.backend.jni.RuntimeKernels;

/** Turns C API status codes into exceptions that name the op and what it was given. */
public final class Native {
    private Native() {}

    static {
        NativeLibrary.load();
    }

    /** Throws {@link NativeException} when {@code status} is not DML_OK; {@code context} names op and shapes. */
    public static void check(int status, String context) {
        if (status != 0) {
            throw new NativeException(context + ": " + lastError(), status);
        }
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
