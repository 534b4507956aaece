package ai.diffiml.backend;

import static org.bytedeco.cuda.global.cublas.CUBLAS_DEFAULT_MATH;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;

import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.javacpp.FloatPointer;

/**
 * cuBLAS GEMM through the JavaCPP CUDA preset. cuBLAS is column-major, so the row-major product C = A B is
 * computed as C^T = B^T A^T: operands swap places, dimensions m and n swap.
 */
final class CudaBlas implements Blas {
    private final cublasContext handle = new cublasContext();
    // Host-side scalars, reused: methods are synchronized because a cuBLAS handle is not thread-safe.
    private final FloatPointer alphaBuf = new FloatPointer(1);
    private final FloatPointer betaBuf = new FloatPointer(1);

    CudaBlas() {
        check(cublas.cublasCreate_v2(handle), "cublasCreate");
        // Plain FP32: the parity tests hold CUDA to 1e-4 of the CPU reference, which TF32 would not meet.
        check(cublas.cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
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
    public String describe() {
        int[] version = new int[1];
        cublas.cublasGetVersion_v2(handle, version);
        return "cuBLAS " + version[0] + " (FP32 math)";
    }

    private static void check(int status, String call) {
        if (status != 0) {
            throw new NativeException(call + " failed: " + cublas.cublasGetStatusString(status).getString(), status);
        }
    }
}
