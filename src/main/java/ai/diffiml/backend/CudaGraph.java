package ai.diffiml.backend;

import ai.diffiml.backend.jni.RuntimeKernels;

/**
 * An executable CUDA graph captured from the native library's stream: everything issued on this thread between
 * {@link #capture(Runnable)}'s start and end (kernels, cuBLAS GEMMs, device copies, pool allocations and frees)
 * is recorded, not run; {@link #launch()} replays it on the stream with the same device addresses. The captured
 * work must not copy to or from the host or synchronise (the capture then fails with the native message), and no
 * other thread may issue work on the stream meanwhile.
 *
 * <p>Status: compiled, not yet run on a GPU.
 */
public final class CudaGraph implements AutoCloseable {
    private long exec;

    private CudaGraph(long exec) {
        this.exec = exec;
    }

    /** Captures what {@code body} issues; if it throws, the capture is ended and discarded, and the error rethrown. */
    public static CudaGraph capture(Runnable body) {
        Backends.requireCuda();
        Native.check(RuntimeKernels.dml_cuda_graph_begin(), "cuda graph");
        long[] exec = new long[1];
        try {
            body.run();
        } catch (RuntimeException | Error e) {
            if (RuntimeKernels.dml_cuda_graph_end(exec) == 0 && exec[0] != 0) {
                RuntimeKernels.dml_cuda_graph_destroy(exec[0]);
            }
            throw e;
        }
        Native.check(RuntimeKernels.dml_cuda_graph_end(exec), "cuda graph");
        return new CudaGraph(exec[0]);
    }

    /** Queues one replay on the stream (asynchronous, like a kernel launch). */
    public void launch() {
        if (exec == 0) {
            throw new IllegalStateException("cuda graph: launched after close");
        }
        Native.check(RuntimeKernels.dml_cuda_graph_launch(exec), "cuda graph launch");
    }

    @Override
    public void close() {
        if (exec != 0) {
            long e = exec;
            exec = 0;
            Native.check(RuntimeKernels.dml_cuda_graph_destroy(e), "cuda graph destroy");
        }
    }
}
