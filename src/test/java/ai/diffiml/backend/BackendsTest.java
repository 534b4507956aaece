package ai.diffiml.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.Close;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;

class BackendsTest {
    @Test
    void deviceChoiceIsResolvedOrRefusedClearly() {
        assertEquals(Device.CPU, Backends.resolve("cpu"));
        assertEquals(Backends.cudaAvailable() ? Device.CUDA : Device.CPU, Backends.resolve("auto"));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> Backends.resolve("tpu"));
        assertTrue(bad.getMessage().contains("tpu"));
    }

    @Test
    void cudaRequestWithoutAGpuFailsWithOneLine() {
        assumeFalse(Backends.cudaAvailable(), "a GPU is usable here");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Backends.resolve("cuda"));
        assertNotNull(Backends.cudaProblem());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().startsWith("CUDA backend unavailable: "), e.getMessage());
    }

    @Test
    void cpuGemmMatchesNaiveProductWithTransposes() {
        checkGemm(Device.CPU);
    }

    @CudaTest
    void cudaGemmMatchesNaiveProductWithTransposes() {
        checkGemm(Device.CUDA);
    }

    // C = A B over every transpose combination and a strided batch of 3, odd sizes.
    private static void checkGemm(Device device) {
        int m = 7, n = 5, k = 9, batch = 3;
        Rand r = new Rand(3);
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                try (Scope s = Scope.open()) {
                    float[] a = r.uniform((long) batch * m * k, -1, 1), b = r.uniform((long) batch * k * n, -1, 1);
                    Tensor ta_ = Tensor.of(device, a, batch, ta ? k : m, ta ? m : k);
                    Tensor tb_ = Tensor.of(device, b, batch, tb ? n : k, tb ? k : n);
                    Tensor c = Tensor.zeros(device, batch, m, n);
                    Backends.blas(device).gemmBatched(ta, tb, m, n, k, 1f, ta_.address(), ta ? m : k, (long) m * k,
                            tb_.address(), tb ? k : n, (long) k * n, 0f, c.address(), n, (long) m * n, batch);
                    double[] expected = new double[batch * m * n];
                    for (int p = 0; p < batch; p++) {
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < n; j++) {
                                double acc = 0;
                                for (int q = 0; q < k; q++) {
                                    double av = ta ? a[p * m * k + q * m + i] : a[p * m * k + i * k + q];
                                    double bv = tb ? b[p * k * n + j * k + q] : b[p * k * n + q * n + j];
                                    acc += av * bv;
                                }
                                expected[(p * m + i) * n + j] = acc;
                            }
                        }
                    }
                    Close.assertClose("gemm transA=" + ta + " transB=" + tb + " on " + device, c.toArray(), expected,
                            1e-5);
                }
            }
        }
    }
}
