package ai.diffiml.backend;

import ai.diffiml.backend.jni.RuntimeKernels;

/**
 * CUDA memory as the native library's stream-ordered pool sees it: bytes in use by tensors, bytes the pool holds
 * (freed blocks stay there for reuse), the high-water marks of both since {@link #resetPeak()}, and the device's
 * free and total memory.
 */
public record CudaMemory(long inUse, long pooled, long peakInUse, long peakPooled, long deviceFree, long deviceTotal) {
    private static final double MIB = 1024.0 * 1024.0;

    /** The current counters; requires a usable CUDA backend. */
    public static CudaMemory read() {
        Backends.requireCuda();
        long[] out = new long[6];
        Native.check(RuntimeKernels.dml_cuda_memory(out), "cuda memory");
        return new CudaMemory(out[0], out[1], out[2], out[3], out[4], out[5]);
    }

    /** Restarts the high-water marks at the current values. */
    public static void resetPeak() {
        Backends.requireCuda();
        Native.check(RuntimeKernels.dml_cuda_memory_reset_peak(), "cuda memory reset");
    }

    /** One line, in MiB. */
    public String describe() {
        return String.format("peak in use %.0f MiB, peak pool %.0f MiB (now %.0f / %.0f MiB), device %.0f of %.0f MiB free",
                peakInUse / MIB, peakPooled / MIB, inUse / MIB, pooled / MIB, deviceFree / MIB, deviceTotal / MIB);
    }
}
