package ai.diffiml.backend;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * OpenBLAS GEMM through the JavaCPP preset's LAPACK-free binding (the lean one: the product needs BLAS only).
 * OpenBLAS picks its thread count itself (all cores, or OPENBLAS_NUM_THREADS).
 */
final class CpuBlas implements Blas {
    CpuBlas() {
        ai.diffiml.backend.jni.NativeLibrary.load(); // its preloaded diffiml_env sets OpenBLAS's thread timeout
        Loader.load(openblas_nolapack.class);
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b,
            int ldb, float beta, long c, int ldc) {
        openblas_nolapack.cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
                transB ? CblasTrans : CblasNoTrans, m, n, k, alpha, new AddressPointer(a, 0), lda,
                new AddressPointer(b, 0), ldb, beta, new AddressPointer(c, 0), ldc);
    }

    @Override
    public void gemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda,
            long strideA, long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch) {
        for (int i = 0; i < batch; i++) {
            gemm(transA, transB, m, n, k, alpha, a + 4L * i * strideA, lda, b + 4L * i * strideB, ldb, beta,
                    c + 4L * i * strideC, ldc);
        }
    }

    @Override
    public String describe() {
        String threads = System.getenv("OPENBLAS_NUM_THREADS");
        return "OpenBLAS 0.3.31 (org.bytedeco:openblas, sgemm), threads: "
                + (threads != null ? threads + " (OPENBLAS_NUM_THREADS)" : "all cores");
    }
}
