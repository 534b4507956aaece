package ai.diffiml.backend.jni;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;

/**
 * JavaCPP configuration shared by every binding class of this package: all of them compile into one JNI
 * library ({@code jnidiffiml}) that links {@code libdiffiml}, our C API ({@code native/include/diffiml.h}).
 * Pointers travel as {@code long} addresses so one signature serves host and device memory. {@code diffiml_env}
 * is loaded first: it sets OMP_WAIT_POLICY=passive and OPENBLAS_THREAD_TIMEOUT=4 (unless set) before
 * libgomp and OpenBLAS read them.
 */
@Properties(value = @Platform(include = "diffiml.h", preload = "diffiml_env", link = "diffiml", library = "jnidiffiml"))
public final class NativeLibrary {
    private NativeLibrary() {}

    /** Loads libdiffiml and the JNI binding (idempotent). */
    public static void load() {
        Loader.load(NativeLibrary.class);
    }
}
