/* diffiml C API.
 *
 * Every numeric op of diffiml-native is one function here. Conventions, shared by all ops:
 *  - the first argument is the device that owns every pointer of the call: DML_CPU or DML_CUDA;
 *  - tensors are contiguous float32 in row-major (NCHW) order, passed as plain pointers plus sizes;
 *  - outputs are written, never accumulated into, unless the name says "accumulate";
 *  - the return value is DML_OK or an error code; dml_last_error() then holds a message naming the op.
 * The CPU implementations (native/cpu) are the reference; the CUDA ones (cuda/) take the same arguments and
 * are reached through dml_cuda_load(), which opens libdiffiml_cuda at run time.
 */
#ifndef DIFFIML_H
#define DIFFIML_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define DML_API __declspec(dllexport)
#else
#define DML_API __attribute__((visibility("default")))
#endif

enum dml_device { DML_CPU = 0, DML_CUDA = 1 };

enum dml_status {
    DML_OK = 0,
    DML_ERR_ARGUMENT = 1,    /* bad sizes or device */
    DML_ERR_MEMORY = 2,      /* allocation failed */
    DML_ERR_NO_CUDA = 3,     /* CUDA requested but the CUDA library is not loaded or has no device */
    DML_ERR_CUDA = 4         /* a CUDA call failed; the message holds cudaGetErrorString */
};

/* Message of the last failed call on this thread ("" if none). */
DML_API const char* dml_last_error(void);
DML_API const char* dml_version(void);
/* Number of threads the CPU kernels use (OpenMP). */
DML_API int dml_cpu_threads(void);
DML_API void dml_set_cpu_threads(int n);
/* Makes glibc's malloc keep freed host blocks for reuse: no mmap below 32 MiB, no trimming below 2 GiB free, heap
 * grown 256 MiB at a time, so a training step's tensors reuse last step's memory instead of page-faulting fresh
 * pages every step. Process-wide, so the library never calls it itself; the CLI's training commands do. Returns 1
 * where applied (glibc), 0 elsewhere. */
DML_API int dml_cpu_retain_freed_memory(void);

/* Opens libdiffiml_cuda at `path` and binds its kernels. Returns DML_OK, or DML_ERR_NO_CUDA with the reason
 * (library not loadable, no driver, no device) in dml_last_error(). Idempotent. */
DML_API int dml_cuda_load(const char* path);
DML_API int dml_cuda_device_count(void);
/* Whether the shared library `soname` can be opened by the dynamic loader (dlopen, then closed again).
 * Returns 1 if so; else 0 with dlerror's text in dml_last_error(). Used to name what is missing. */
DML_API int dml_library_loadable(const char* soname);
/* Writes a one-line description of the current device (name, compute capability, memory) into buf. */
DML_API int dml_cuda_device_name(char* buf, int buf_len);
DML_API int dml_synchronize(int dev);
/* The CUDA stream all CUDA work of the library is ordered on (a cudaStream_t as an integer; 0 when CUDA is not
 * loaded). cuBLAS must be bound to it (cublasSetStream) so that GEMMs are ordered with the kernels. */
DML_API int64_t dml_cuda_stream(void);
/* CUDA memory: out[0] bytes in use by tensors, out[1] bytes held by the stream-ordered pool, out[2], out[3] the
 * high-water marks of both since the last dml_cuda_memory_reset_peak(), out[4] free and out[5] total device
 * memory. */
DML_API int dml_cuda_memory(int64_t* out);
DML_API int dml_cuda_memory_reset_peak(void);
/* CUDA graphs. dml_cuda_graph_begin() starts capturing the library's stream on this thread; dml_cuda_graph_end()
 * stops and instantiates the graph into *exec; dml_cuda_graph_launch() replays it on the stream;
 * dml_cuda_graph_destroy() frees it. */
DML_API int dml_cuda_graph_begin(void);
DML_API int dml_cuda_graph_end(int64_t* exec);
DML_API int dml_cuda_graph_launch(int64_t exec);
DML_API int dml_cuda_graph_destroy(int64_t exec);

/* Memory. Addresses travel as integers so one binding serves host and device memory. CUDA memory comes from a
 * stream-ordered pool (cudaMallocAsync / cudaFreeAsync on the library's stream) that keeps freed blocks. */
DML_API int64_t dml_malloc(int dev, int64_t bytes);   /* 0 on failure (see dml_last_error) */
DML_API int dml_free(int dev, int64_t address);
/* Copies between host (DML_CPU) and the given device or within one device. */
DML_API int dml_copy(int dst_dev, float* dst, int src_dev, const float* src, int64_t n);
DML_API int dml_fill(int dev, float* x, int64_t n, float value);

#ifdef __cplusplus
}
#endif

#include "diffiml/elementwise.h"
#include "diffiml/linalg.h"   /* im2col/col2im, depthwise conv (GEMM itself is BLAS, called from Java) */
#include "diffiml/conv3x3.h"  /* direct 3x3 conv, CPU only (AVX-512) */
#include "diffiml/conv7x7.h"  /* direct 7x7 conv (patch embeddings), CPU only (AVX-512) */
#include "diffiml/norm.h"     /* LayerNorm, GroupNorm, BatchNorm, softmax */
#include "diffiml/shape.h"    /* permute, concat/slice, resize, reductions, losses, dropout */
#include "diffiml/optim.h"    /* AdamW, gradient norm */
#include "diffiml/diffusion.h" /* error-prior noising, DDIM step */
#include "diffiml/attention.h" /* fused (flash-style) multi-head attention */

#endif
