package ai.diffiml.backend.jni;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Properties;

/** Binding of the runtime part of the C API: errors, threads, memory, CUDA loading. */
@Properties(inherit = NativeLibrary.class)
public final class RuntimeKernels {
    static {
        Loader.load();
    }

    private RuntimeKernels() {}

    public static native @Cast("const char*") BytePointer dml_last_error();

    public static native @Cast("const char*") BytePointer dml_version();

    public static native int dml_cpu_threads();

    public static native void dml_set_cpu_threads(int n);

    /** glibc malloc keeps freed host blocks for reuse (process-wide; the CLI's training commands call it). */
    public static native int dml_cpu_retain_freed_memory();

    public static native int dml_cuda_load(String path);

    public static native int dml_cuda_device_count();

    public static native int dml_library_loadable(String soname);

    public static native int dml_cuda_device_name(@Cast("char*") BytePointer buf, int bufLen);

    public static native int dml_synchronize(int dev);

    public static native long dml_cuda_stream();

    /** Fills out[0..5]: bytes in use, pool bytes, their peaks, free and total device memory. */
    public static native int dml_cuda_memory(@Cast("int64_t*") long[] out);

    public static native int dml_cuda_memory_reset_peak();

    public static native int dml_cuda_graph_begin();

    public static native int dml_cuda_graph_end(@Cast("int64_t*") long[] exec);

    public static native int dml_cuda_graph_launch(long exec);

    public static native int dml_cuda_graph_destroy(long exec);

    public static native long dml_malloc(int dev, long bytes);

    public static native int dml_free(int dev, long address);

    public static native int dml_copy(int dstDev, @Cast("float*") long dst, int srcDev, @Cast("const float*") long src,
            long n);

    public static native int dml_fill(int dev, @Cast("float*") long x, long n, float value);
}
