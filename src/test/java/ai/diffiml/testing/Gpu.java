package ai.diffiml.testing;

import ai.diffiml.backend.Backends;

/** Whether the CUDA tests can run here (used by {@link CudaTest}). */
public final class Gpu {
    private Gpu() {}

    public static boolean available() {
        return Backends.cudaAvailable();
    }
}
