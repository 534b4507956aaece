package ai.diffiml.cli;

import ai.diffiml.backend.Backends;
import ai.diffiml.backend.Device;
import ai.diffiml.backend.jni.RuntimeKernels;
import org.bytedeco.openblas.presets.openblas_nolapack;
import picocli.CommandLine.Option;

/** The {@code --threads N} option: CPU threads of our kernels (OpenMP) and of OpenBLAS. */
public final class ThreadsOption {
    @Option(names = "--threads", paramLabel = "<n>",
            description = "CPU threads for the kernels and OpenBLAS. Default: all cores (or OMP_NUM_THREADS /"
                    + " OPENBLAS_NUM_THREADS).")
    private Integer threads;

    /** Applies the option (nothing when it was not given); a value below 1 is an IllegalArgumentException. */
    public void apply() {
        if (threads == null) {
            return;
        }
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        }
        Backends.blas(Device.CPU); // loads OpenBLAS, whose thread count is set next
        openblas_nolapack.blas_set_num_threads(threads);
        RuntimeKernels.dml_set_cpu_threads(threads);
    }
}
