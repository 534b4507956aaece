package ai.diffiml.backend;

/**
 * Single-precision GEMM in row-major terms, on one device: {@code C = alpha * op(A) * op(B) + beta * C}, where
 * op(A) is m x k and op(B) is k x n; a batch repeats it with fixed element strides between matrices. CPU: OpenBLAS
 * (JavaCPP preset); CUDA: cuBLAS (JavaCPP CUDA preset) in plain FP32 math.
 */
public interface Blas {
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
            float beta, long c, int ldc);

    void gemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long strideA,
            long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch);

    /** The library and its configuration, for {@code info}. */
    String describe();
}
