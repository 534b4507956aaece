package ai.diffiml.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.backend.Native;
import ai.diffiml.tensor.Tensor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * An allocation that fails (host memory, the GPU's memory through cudaMalloc, the Java heap) ends the command with
 * one line naming the size asked and the advice, exit code 1, and no stack trace.
 */
class OutOfMemoryMessageTest {
    @Command(name = "alloc")
    static final class Alloc implements Callable<Integer> {
        @Override
        public Integer call() {
            Tensor.empty(Device.CPU, 1 << 20, 1 << 20, 1 << 16).close(); // 2^56 floats: malloc refuses
            return 0;
        }
    }

    @Test
    void aFailedHostAllocationIsOneLineWithTheSizeAndAdvice() {
        StringWriter err = new StringWriter();
        int exit = Main.execute(new CommandLine(new Alloc()), new String[0], new PrintWriter(err));
        assertEquals(1, exit);
        String line = err.toString();
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.startsWith("error: out of memory: allocating [1048576, 1048576, 65536] on CPU: "), line);
        assertTrue(line.contains("use a smaller --batch"), line);
    }

    @Command(name = "op")
    static final class FailingOp implements Callable<Integer> {
        @Override
        public Integer call() {
            Native.check(Native.ERR_MEMORY, "layernorm_backward [4096, 64]"); // as an op whose scratch failed
            return 0;
        }
    }

    @Test
    void aFailedAllocationInsideAnOpIsOneLineToo() {
        StringWriter err = new StringWriter();
        int exit = Main.execute(new CommandLine(new FailingOp()), new String[0], new PrintWriter(err));
        assertEquals(1, exit);
        String line = err.toString();
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.startsWith("error: out of memory: layernorm_backward [4096, 64]: "), line);
    }

    @Test
    void aFailedCudaAllocationAdvisesASmallerBatchOrTheCpu() {
        // the message Tensor.empty builds from the CUDA backend's error (cuda/runtime.cu)
        String m = Main.outOfMemory(new OutOfMemoryError("allocating [16, 256, 128, 128] on CUDA: cudaMalloc of"
                + " 268435456 bytes failed: out of memory"));
        assertEquals("out of memory: allocating [16, 256, 128, 128] on CUDA: cudaMalloc of 268435456 bytes failed:"
                + " out of memory; the GPU's memory is full: use a smaller --batch (or --resolution, --ensemble),"
                + " or --device cpu", m);
        assertTrue(Main.outOfMemory(new OutOfMemoryError("Java heap space")).contains("java -Xmx"));
        // the texts the CUDA library itself writes (cuda/runtime.cu's dml_cuda_malloc, cuda/norm.cu's scratch,
        // CudaBlas for CUBLAS_STATUS_ALLOC_FAILED and its workspace) get the GPU advice too
        String gpu = "the GPU's memory is full: use a smaller --batch (or --resolution, --ensemble), or --device cpu";
        for (String what : new String[] {
                "allocating [16, 256, 128, 128] on CUDA: cudaMallocAsync of 268435456 bytes failed: out of memory",
                "layernorm_backward [4096, 64]: layernorm_backward: cudaMallocAsync of 32768 bytes of scratch (64 x 64"
                        + " doubles) failed: out of memory",
                "cublasSgemm on CUDA failed: the resource allocation failed (cuBLAS could not allocate device memory)",
                "allocating the cuBLAS workspace of 33554432 bytes on CUDA: cudaMallocAsync of 33554432 bytes failed:"
                        + " out of memory"}) {
            assertEquals("out of memory: " + what + "; " + gpu, Main.outOfMemory(new OutOfMemoryError(what)));
        }
        assertThrows(OutOfMemoryError.class, () -> Tensor.empty(Device.CPU, 1 << 20, 1 << 20, 1 << 16));
    }
}
