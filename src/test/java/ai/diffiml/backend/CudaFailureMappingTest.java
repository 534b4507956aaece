package ai.diffiml.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * How failed native and cuBLAS calls are raised, checked without a GPU: a failed allocation (the C API's
 * DML_ERR_MEMORY, e.g. a CUDA kernel's cudaMallocAsync scratch, or cuBLAS's CUBLAS_STATUS_ALLOC_FAILED) is an
 * {@link OutOfMemoryError}, which the command line turns into one line with advice; every other failure a
 * {@link NativeException} with its status.
 */
class CudaFailureMappingTest {
    @Test
    void aFailedAllocationInsideAnOpIsAnOutOfMemoryError() {
        // the text cuda/norm.cu's layernorm_backward gives when cudaMallocAsync returns cudaErrorMemoryAllocation
        String text = "layernorm_backward [4096, 64]: layernorm_backward: cudaMallocAsync of 32768 bytes of scratch"
                + " (64 x 64 doubles) failed: out of memory";
        OutOfMemoryError oom = assertThrows(OutOfMemoryError.class, () -> Native.fail(Native.ERR_MEMORY, text));
        assertEquals(text, oom.getMessage());
        NativeException other = assertThrows(NativeException.class, () -> Native.fail(3, "conv2d: bad shape"));
        assertEquals(3, other.status());
        assertThrows(OutOfMemoryError.class, () -> Native.check(Native.ERR_MEMORY, "an op"));
        Native.check(0, "no failure");
    }

    @Test
    void cublasAllocFailedIsAnOutOfMemoryErrorOnCuda() {
        OutOfMemoryError oom = assertThrows(OutOfMemoryError.class, () -> CudaBlas.fail(
                CudaBlas.CUBLAS_STATUS_ALLOC_FAILED, "cublasSgemm", "the resource allocation failed"));
        assertEquals("cublasSgemm on CUDA failed: the resource allocation failed (cuBLAS could not allocate device"
                + " memory)", oom.getMessage());
        NativeException e = assertThrows(NativeException.class,
                () -> CudaBlas.fail(7, "cublasSgemm", "an invalid value was used as an argument"));
        assertEquals(7, e.status());
        assertEquals("cublasSgemm failed: an invalid value was used as an argument", e.getMessage());
    }
}
