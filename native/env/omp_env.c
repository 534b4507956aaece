/* Loaded before libdiffiml and before OpenBLAS (JavaCPP "preload"; CpuBlas and OpenCv load NativeLibrary first),
 * so that libgomp and OpenBLAS, which read their settings once when loaded, see them:
 * - OMP_WAIT_POLICY=passive: spinning idle OpenMP threads would take the cores that OpenBLAS's GEMM threads need
 *   right after each of our parallel loops (dense convolutions ran 2x slower).
 * - OPENBLAS_THREAD_TIMEOUT=4: OpenBLAS's idle GEMM threads spin 2^4 cycles instead of 2^28 before sleeping; the
 *   long spin took the cores our OpenMP kernels need between GEMMs, and when another process loaded the machine,
 *   training ran 2-10x slower.
 * - OPENCV_LOG_LEVEL=SILENT: OpenCV's codecs log their own warnings on stderr ("[ WARN:0@0.2] global
 *   grfmt_png.cpp:779 ...") for files we then refuse with our one-line reason (UnreadableImageException); OpenCV
 *   reads the variable when it first logs, after this has run (OpenCv.load loads this library first).
 * A value the user set is kept (OPENCV_LOG_LEVEL=WARNING brings OpenCV's messages back). */
#include <stdlib.h>

__attribute__((constructor)) static void diffiml_set_thread_env(void) {
    setenv("OMP_WAIT_POLICY", "passive", 0);
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0);
    setenv("OPENCV_LOG_LEVEL", "SILENT", 0);
}
