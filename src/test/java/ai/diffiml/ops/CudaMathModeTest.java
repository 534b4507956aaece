package ai.diffiml.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Backends;
import ai.diffiml.backend.CudaMemory;
import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.Close;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.Rand;

/** CUDA's optional TF32 GEMMs stay within their stated tolerance; FP32 comes back when switched off; pool counters. */
class CudaMathModeTest {
    @CudaTest
    void tf32GemmsStayWithinTheirStatedToleranceAndFp32Returns() {
        Rand r = new Rand(41);
        try (Scope s = Scope.open()) {
            Tensor a = r.tensor(300, 1152), b = r.tensor(1152, 257);
            float[] expected = MatMul.matmul(a, b).toArray();
            Tensor ga = a.to(Device.CUDA), gb = b.to(Device.CUDA);
            try {
                Backends.cudaTf32(true);
                double tf32 = Close.relError(MatMul.matmul(ga, gb).toArray(), expected);
                assertTrue(tf32 < 2e-3, "TF32 relative error " + tf32);
            } finally {
                Backends.cudaTf32(false);
            }
            double fp32 = Close.relError(MatMul.matmul(ga, gb).toArray(), expected);
            assertTrue(fp32 < 1e-5, "FP32 relative error " + fp32);
        }
    }

    @CudaTest
    void poolCountsTensorsInUseAndTheirPeak() {
        Backends.synchronize(Device.CUDA);
        CudaMemory.resetPeak();
        CudaMemory before = CudaMemory.read();
        long bytes = 64L << 20;
        try (Tensor t = Tensor.detachedEmpty(Device.CUDA, (int) (bytes / 4))) {
            t.fill(1f);
            CudaMemory during = CudaMemory.read();
            assertTrue(during.inUse() >= before.inUse() + bytes, during.describe());
            assertTrue(during.pooled() >= during.inUse(), during.describe());
        }
        Backends.synchronize(Device.CUDA); // the free is stream-ordered
        CudaMemory after = CudaMemory.read();
        assertTrue(after.inUse() <= before.inUse(), after.describe());
        assertTrue(after.peakInUse() >= before.inUse() + bytes, after.describe());
        assertTrue(after.pooled() >= bytes, "the freed block stays in the pool: " + after.describe());
    }
}
