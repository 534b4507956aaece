package ai.diffiml.bench;

import ai.diffiml.backend.Backends;
import ai.diffiml.backend.Blas;
import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One row-major SGEMM C[m, n] = A[m, k] B[k, n] through {@code Backends.blas(device)} (OpenBLAS / cuBLAS FP32),
 * on preallocated operands. Shapes "m x n x k": a square 512^3 and the GEMM of a 3x3 128->128 convolution on a
 * 64x64 image with pixels as rows (4096 x 128 x 1152). GFLOP/s = 2 m n k / time.
 */
public class GemmBenchmark extends Bench {
    @Param({"cpu", "cuda"})
    public String device;

    @Param({"512x512x512", "4096x128x1152"})
    public String mnk;

    private Device dev;
    private Blas blas;
    private int m, n, k;
    private Tensor a, b, c;

    @Setup(Level.Trial)
    public void setup() {
        dev = device(device);
        blas = Backends.blas(dev);
        String[] p = mnk.split("x");
        m = Integer.parseInt(p[0]);
        n = Integer.parseInt(p[1]);
        k = Integer.parseInt(p[2]);
        a = random(dev, 1, m, k);
        b = random(dev, 2, k, n);
        c = Tensor.detachedEmpty(dev, m, n);
    }

    @Benchmark
    public void sgemm() {
        blas.gemm(false, false, m, n, k, 1f, a.address(), k, b.address(), n, 0f, c.address(), n);
        Backends.synchronize(dev);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        close(a, b, c);
    }
}
