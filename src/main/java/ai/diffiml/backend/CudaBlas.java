package ai.diffiml.backend;

import static org.bytedeco.cuda.global.cublas.CUBLAS_DEFAULT_MATH;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.CUBLAS_TF32_TENSOR_OP_MATH;

import ai.diffiml.backend.jni.RuntimeKernels;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.javacpp.FloatPointer;

/**
 * cuBLAS GEMM through the JavaCPP CUDA preset. cuBLAS is column-major, so the row-major product C = A B is
 * computed as C^T = B^T A^T: operands swap places, dimensions m and n swap. The handle is bound to the native
 * library's stream (so GEMMs are ordered with its kernels and can be captured into a CUDA graph) and given a fixed
 * workspace from the pool, so that cuBLAS allocates nothing of its own during a capture.
 */
final class CudaBlas implements Blas {
    private final cublasContext handle = new cublasContext();
    // Host-side scalars, reused: methods are synchronized because a cuBLAS handle is not thread-safe.
    private final FloatPointer alphaBuf = new FloatPointer(1);
    private final FloatPointer betaBuf = new FloatPointer(1);
    /** cuBLAS's recommended workspace on Hopper; enough for every SGEMM it picks on older parts too. */
    static final long WORKSPACE_BYTES = 32L << 20;

    CudaBlas() {
        check(cublas.cublasCreate_v2(handle), "cublasCreate");
        long stream = RuntimeKernels.dml_cuda_stream();
        if (stream == 0) {
            throw new NativeException("cuBLAS: the native library has no CUDA stream (CUDA is not loaded)", 0);
        }
        check(cublas.cublasSetStream_v2(handle, new CUstream_st(new AddressPointer(stream, 0))), "cublasSetStream");
        long workspace = RuntimeKernels.dml_malloc(Device.CUDA.code, WORKSPACE_BYTES);
        if (workspace == 0) {
            throw new OutOfMemoryError("allocating the cuBLAS workspace of " + WORKSPACE_BYTES + " bytes on CUDA: "
                    + Native.lastError());
        }
        // Kept for the life of the process, like the handle.
        check(cublas.cublasSetWorkspace_v2(handle, new AddressPointer(workspace, WORKSPACE_BYTES / 4), WORKSPACE_BYTES),
                "cublasSetWorkspace");
        // Plain FP32: the parity tests hold CUDA to 1e-4 of the CPU reference, which TF32 would not meet.
        check(cublas.cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
    }

    private boolean tf32;

    /**
     * TF32 tensor-core GEMMs (inputs rounded to 10 mantissa bits, fp32 accumulation) or plain FP32. Expect a
     * relative error near 3e-4 per product instead of ~1e-6; the tests run in FP32.
     */
    synchronized void tf32(boolean on) {
        check(cublas.cublasSetMathMode(handle, on ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH),
                "cublasSetMathMode");
        tf32 = on;
    }

    @Override
    public synchronized void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b,
            int ldb, float beta, long c, int ldc) {
        check(cublas.cublasSgemm_v2(handle, transB ? CUBLAS_OP_T : CUBLAS_OP_N, transA ? CUBLAS_OP_T : CUBLAS_OP_N,
                n, m, k, alphaBuf.put(0, alpha), new AddressPointer(b, 0), ldb, new AddressPointer(a, 0), lda,
                betaBuf.put(0, beta), new AddressPointer(c, 0), ldc), "cublasSgemm");
    }

    @Override
    public synchronized void gemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda,
            long strideA, long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch) {
        check(cublas.cublasSgemmStridedBatched(handle, transB ? CUBLAS_OP_T : CUBLAS_OP_N,
                transA ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, alphaBuf.put(0, alpha), new AddressPointer(b, 0), ldb,
                strideB, new AddressPointer(a, 0), lda, strideA, betaBuf.put(0, beta), new AddressPointer(c, 0), ldc,
                strideC, batch), "cublasSgemmStridedBatched");
    }

    @Override
    public synchronized String describe() {
        int[] version = new int[1];
        cublas.cublasGetVersion_v2(handle, version);
        return "cuBLAS " + version[0] + (tf32 ? " (TF32 tensor-core math)" : " (FP32 math)");
    }

    private static void check(int status, String call) {
        if (status != 0) {
            fail(status, call, cublas.cublasGetStatusString(status).getString());
        }
    }

    /** cuBLAS's status for a failed device allocation. */
    static final int CUBLAS_STATUS_ALLOC_FAILED = 3;

    /**
     * Throws for a failed cuBLAS call: an {@link OutOfMemoryError} for {@link #CUBLAS_STATUS_ALLOC_FAILED} (the
     * command line's one line with the GPU advice), else a {@link NativeException}. Needs no cuBLAS (testable
     * anywhere).
     */
    static void fail(int status, String call, String statusText) {
        if (status == CUBLAS_STATUS_ALLOC_FAILED) {
            throw new OutOfMemoryError(call + " on CUDA failed: " + statusText + " (cuBLAS could not allocate device"
                    + " memory)");
        }
        throw new NativeException(call + " failed: " + statusText, status);
    }
}
