// CUDA runtime entry points of libdiffiml_cuda: init, device queries, memory, copies, error text.
#include <cstdarg>
#include <cstdio>
#include "common.cuh"

namespace {
thread_local char g_error[1024] = "";
}

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
    return DML_OK;
}

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
    cudaError_t err = cudaDeviceSynchronize();
    if (err != cudaSuccess) return fail(DML_ERR_CUDA, "synchronize: %s", cudaGetErrorString(err));
    return DML_OK;
}

DML_CUDA_API int64_t dml_cuda_malloc(int64_t bytes) {
    void* p = nullptr;
    cudaError_t err = cudaMalloc(&p, bytes == 0 ? 256 : (size_t)bytes);
    if (err != cudaSuccess) {
        fail(DML_ERR_MEMORY, "cudaMalloc of %lld bytes failed: %s", (long long)bytes, cudaGetErrorString(err));
        return 0;
    }
    return (int64_t)(intptr_t)p;
}

DML_CUDA_API int dml_cuda_free(int64_t address) {
    cudaError_t err = cudaFree((void*)(intptr_t)address);
    if (err != cudaSuccess) return fail(DML_ERR_CUDA, "cudaFree: %s", cudaGetErrorString(err));
    return DML_OK;
}

DML_CUDA_API int dml_cuda_copy(int dst_dev, float* dst, int src_dev, const float* src, int64_t n) {
    cudaMemcpyKind kind = dst_dev == DML_CUDA ? (src_dev == DML_CUDA ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
                                              : cudaMemcpyDeviceToHost;
    cudaError_t err = cudaMemcpy(dst, src, (size_t)n * sizeof(float), kind);
    if (err != cudaSuccess) return fail(DML_ERR_CUDA, "copy of %lld floats: %s", (long long)n, cudaGetErrorString(err));
    return DML_OK;
}
