// CUDA runtime entry points of libdiffiml_cuda: init, the stream, device queries, the pooled allocator, copies,
// graph capture, error text.
//
// Memory: tensors are allocated with cudaMallocAsync and released with cudaFreeAsync on the library's stream, from
// the device's default stream-ordered memory pool, whose release threshold is raised to "never" (UINT64_MAX): freed
// blocks stay in the pool and the next allocation of that size reuses them without a call into the driver and
// without the device synchronisation of a plain cudaFree. Every kernel runs on the same stream, so a block freed
// after the launches that read it is reused only by work ordered after them. The pool's counters (bytes in use,
// bytes reserved, and the high-water marks of both) are what dml_cuda_memory reports.
//
// Status: compiled (sm_80/86/90), not yet run on a GPU.
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include "common.cuh"

namespace {
thread_local char g_error[1024] = "";
cudaStream_t g_stream = nullptr;
cudaMemPool_t g_pool = nullptr;
}  // namespace

namespace dml::cuda {

int fail(int status, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(g_error, sizeof g_error, fmt, args);
    va_end(args);
    return status;
}

int check_launch(const char* op) {
    cudaError_t err = cudaGetLastError();
    if (err != cudaSuccess) return fail(DML_ERR_CUDA, "%s: kernel launch failed: %s", op, cudaGetErrorString(err));
    return DML_OK;
}

cudaStream_t stream() { return g_stream; }

}  // namespace dml::cuda

using dml::cuda::fail;

DML_CUDA_API const char* dml_cuda_last_error() { return g_error; }

DML_CUDA_API int dml_cuda_init() {
    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess)
        return fail(DML_ERR_NO_CUDA, "no usable CUDA device: %s (install an NVIDIA driver for CUDA 13)",
                    cudaGetErrorString(err));
    if (count == 0) return fail(DML_ERR_NO_CUDA, "no CUDA device found");
    err = cudaFree(nullptr);  // creates the primary context now, so the first op does not pay for it
    if (err != cudaSuccess) return fail(DML_ERR_NO_CUDA, "cannot create a CUDA context: %s", cudaGetErrorString(err));
    int device = 0, pools = 0;
    err = cudaGetDevice(&device);
    if (err == cudaSuccess) err = cudaDeviceGetAttribute(&pools, cudaDevAttrMemoryPoolsSupported, device);
    if (err != cudaSuccess) return fail(DML_ERR_NO_CUDA, "device query failed: %s", cudaGetErrorString(err));
    if (!pools) return fail(DML_ERR_NO_CUDA, "device %d has no stream-ordered memory pools (cudaMallocAsync)", device);
    err = cudaDeviceGetDefaultMemPool(&g_pool, device);
    uint64_t keep_all = UINT64_MAX;
    if (err == cudaSuccess) err = cudaMemPoolSetAttribute(g_pool, cudaMemPoolAttrReleaseThreshold, &keep_all);
    if (err != cudaSuccess) return fail(DML_ERR_NO_CUDA, "cannot set up the memory pool: %s", cudaGetErrorString(err));
    err = cudaStreamCreateWithFlags(&g_stream, cudaStreamNonBlocking);
    if (err != cudaSuccess) return fail(DML_ERR_NO_CUDA, "cannot create the CUDA stream: %s", cudaGetErrorString(err));
    return DML_OK;
}

DML_CUDA_API int64_t dml_cuda_stream() { return (int64_t)(intptr_t)g_stream; }

DML_CUDA_API int dml_cuda_device_count() {
    int count = 0;
    return cudaGetDeviceCount(&count) == cudaSuccess ? count : 0;
}

DML_CUDA_API int dml_cuda_device_name(char* buf, int buf_len) {
    int device = 0;
    cudaDeviceProp prop;
    cudaError_t err = cudaGetDevice(&device);
    if (err == cudaSuccess) err = cudaGetDeviceProperties(&prop, device);
    if (err != cudaSuccess) return fail(DML_ERR_CUDA, "device query failed: %s", cudaGetErrorString(err));
    int rt = 0, drv = 0;
    cudaRuntimeGetVersion(&rt);
    cudaDriverGetVersion(&drv);
    snprintf(buf, buf_len, "%s (sm_%d%d, %.1f GiB, %d SMs, runtime %d.%d, driver %d.%d)", prop.name, prop.major,
             prop.minor, prop.totalGlobalMem / 1073741824.0, prop.multiProcessorCount, rt / 1000, (rt % 1000) / 10,
             drv / 1000, (drv % 1000) / 10);
    return DML_OK;
}

DML_CUDA_API int dml_cuda_synchronize() {
    cudaError_t err = cudaStreamSynchronize(g_stream);
    if (err != cudaSuccess) return fail(DML_ERR_CUDA, "synchronize: %s", cudaGetErrorString(err));
    return DML_OK;
}

DML_CUDA_API int64_t dml_cuda_malloc(int64_t bytes) {
    void* p = nullptr;
    cudaError_t err = cudaMallocAsync(&p, bytes == 0 ? 256 : (size_t)bytes, g_stream);
    if (err != cudaSuccess) {
        fail(DML_ERR_MEMORY, "cudaMallocAsync of %lld bytes failed: %s", (long long)bytes, cudaGetErrorString(err));
        return 0;
    }
    return (int64_t)(intptr_t)p;
}

DML_CUDA_API int dml_cuda_free(int64_t address) {
    cudaError_t err = cudaFreeAsync((void*)(intptr_t)address, g_stream);
    if (err != cudaSuccess) return fail(DML_ERR_CUDA, "cudaFreeAsync: %s", cudaGetErrorString(err));
    return DML_OK;
}

// Copies on the stream. A copy to or from the host waits for it (the host buffer is Java's and may be reused as
// soon as the call returns); a device-to-device copy stays asynchronous, so it can be captured into a graph.
DML_CUDA_API int dml_cuda_copy(int dst_dev, float* dst, int src_dev, const float* src, int64_t n) {
    cudaMemcpyKind kind = dst_dev == DML_CUDA ? (src_dev == DML_CUDA ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
                                              : cudaMemcpyDeviceToHost;
    cudaError_t err = cudaMemcpyAsync(dst, src, (size_t)n * sizeof(float), kind, g_stream);
    if (err == cudaSuccess && kind != cudaMemcpyDeviceToDevice) err = cudaStreamSynchronize(g_stream);
    if (err != cudaSuccess) return fail(DML_ERR_CUDA, "copy of %lld floats: %s", (long long)n, cudaGetErrorString(err));
    return DML_OK;
}

// out[0] bytes in use, out[1] bytes reserved by the pool, out[2] and out[3] their high-water marks since the
// last reset, out[4] free and out[5] total device memory (cudaMemGetInfo).
DML_CUDA_API int dml_cuda_memory(int64_t* out) {
    const cudaMemPoolAttr attrs[4] = {cudaMemPoolAttrUsedMemCurrent, cudaMemPoolAttrReservedMemCurrent,
                                      cudaMemPoolAttrUsedMemHigh, cudaMemPoolAttrReservedMemHigh};
    for (int i = 0; i < 4; ++i) {
        uint64_t v = 0;
        cudaError_t err = cudaMemPoolGetAttribute(g_pool, attrs[i], &v);
        if (err != cudaSuccess) return fail(DML_ERR_CUDA, "memory pool query: %s", cudaGetErrorString(err));
        out[i] = (int64_t)v;
    }
    size_t free_bytes = 0, total = 0;
    cudaError_t err = cudaMemGetInfo(&free_bytes, &total);
    if (err != cudaSuccess) return fail(DML_ERR_CUDA, "cudaMemGetInfo: %s", cudaGetErrorString(err));
    out[4] = (int64_t)free_bytes;
    out[5] = (int64_t)total;
    return DML_OK;
}

DML_CUDA_API int dml_cuda_memory_reset_peak() {
    uint64_t zero = 0;
    cudaError_t err = cudaMemPoolSetAttribute(g_pool, cudaMemPoolAttrUsedMemHigh, &zero);
    if (err == cudaSuccess) err = cudaMemPoolSetAttribute(g_pool, cudaMemPoolAttrReservedMemHigh, &zero);
    if (err != cudaSuccess) return fail(DML_ERR_CUDA, "memory pool reset: %s", cudaGetErrorString(err));
    return DML_OK;
}

// ---- CUDA graphs: capture of the stream's work, then replay ----
// dml_cuda_graph_begin starts capturing the stream (thread-local mode: other host threads keep their own
// unsafe-call checks); every kernel, cuBLAS call, device-to-device copy, allocation and free issued on it until
// dml_cuda_graph_end becomes a node of the graph instead of running. Allocations made during capture become graph
// memory nodes; AutoFreeOnLaunch lets a graph be relaunched even if such memory was not freed inside it. A host
// copy or a synchronisation during capture fails and invalidates the capture (the error names it).

DML_CUDA_API int dml_cuda_graph_begin() {
    cudaError_t err = cudaStreamBeginCapture(g_stream, cudaStreamCaptureModeThreadLocal);
    if (err != cudaSuccess) return fail(DML_ERR_CUDA, "graph capture: cannot begin: %s", cudaGetErrorString(err));
    return DML_OK;
}

// Ends the capture and instantiates it; *exec receives the executable graph (0 on failure).
DML_CUDA_API int dml_cuda_graph_end(int64_t* exec) {
    *exec = 0;
    cudaGraph_t graph = nullptr;
    cudaError_t err = cudaStreamEndCapture(g_stream, &graph);
    if (err != cudaSuccess) {
        if (graph) cudaGraphDestroy(graph);
        return fail(DML_ERR_CUDA, "graph capture failed: %s", cudaGetErrorString(err));
    }
    cudaGraphExec_t instance = nullptr;
    err = cudaGraphInstantiateWithFlags(&instance, graph, cudaGraphInstantiateFlagAutoFreeOnLaunch);
    cudaGraphDestroy(graph);
    if (err != cudaSuccess) return fail(DML_ERR_CUDA, "graph instantiation failed: %s", cudaGetErrorString(err));
    *exec = (int64_t)(intptr_t)instance;
    return DML_OK;
}

DML_CUDA_API int dml_cuda_graph_launch(int64_t exec) {
    cudaError_t err = cudaGraphLaunch((cudaGraphExec_t)(intptr_t)exec, g_stream);
    if (err != cudaSuccess) return fail(DML_ERR_CUDA, "graph launch failed: %s", cudaGetErrorString(err));
    return DML_OK;
}

DML_CUDA_API int dml_cuda_graph_destroy(int64_t exec) {
    cudaError_t err = cudaGraphExecDestroy((cudaGraphExec_t)(intptr_t)exec);
    if (err != cudaSuccess) return fail(DML_ERR_CUDA, "graph destroy failed: %s", cudaGetErrorString(err));
    return DML_OK;
}
