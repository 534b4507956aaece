/* Loaded before libdiffiml and before OpenBLAS (JavaCPP "preload"; CpuBlas and OpenCv load NativeLibrary first),
 * so that libgomp and OpenBLAS, which read their settings once when loaded, see them:
 * - OMP_WAIT_POLICY=passive: spinning idle OpenMP threads would take the cores that OpenBLAS's GEMM threads need
 *   right after each of our parallel loops (dense convolutions ran 2x slower).
 * - OPENBLAS_THREAD_TIMEOUT=4: OpenBLAS's idle GEMM threads spin 2^4 cycles instead of 2^28 before sleeping; the
 *   long spin took the cores our OpenMP kernels need between GEMMs, and when another process loaded the machine,
 *   training ran 2-10x slower.
 * A value the user set is kept. */
#include <stdlib.h>

__attribute__((constructor)) static void diffiml_set_thread_env(void) {
    setenv("OMP_WAIT_POLICY", "passive", 0);
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0);
}
