// Errors, threads, memory, and loading of the CUDA library.
#include <dlfcn.h>
#include <malloc.h>
#include <omp.h>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include "core/dispatch.h"

namespace {
thread_local char g_error[1024] = "";
std::mutex g_cuda_mutex;
void* g_cuda_handle = nullptr;
}  // namespace

namespace dml {

int fail(int status, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(g_error, sizeof g_error, fmt, args);
    va_end(args);
    return status;
}

void* cuda_symbol(const char* name) {
    void* handle = g_cuda_handle;
    return handle ? dlsym(handle, name) : nullptr;
}

int import_cuda_error(int status) {
    auto last = reinterpret_cast<const char* (*)()>(cuda_symbol("dml_cuda_last_error"));
    return fail(status, "%s", last ? last() : "CUDA call failed");
}

int no_cuda(const char* op) {
    if (!g_cuda_handle) return fail(DML_ERR_NO_CUDA, "%s: the CUDA backend is not loaded", op);
    return fail(DML_ERR_NO_CUDA, "%s: the CUDA library has no kernel for this op", op);
}

}  // namespace dml

extern "C" {

const char* dml_last_error(void) { return g_error; }

const char* dml_version(void) { return "0.1.0"; }

int dml_cpu_threads(void) { return omp_get_max_threads(); }

void dml_set_cpu_threads(int n) {
    if (n > 0) omp_set_num_threads(n);
}

int dml_cpu_retain_freed_memory(void) {
#if defined(__GLIBC__)
    // Fixed thresholds (mallopt turns glibc's dynamic ones off): a 16 MiB activation freed at the end of a step
    // stays in the heap for the next step's allocation of the same size.
    const bool ok = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 0x7fffffff) == 1 &&
                    mallopt(M_TOP_PAD, 256 << 20) == 1;
    return ok ? 1 : 0;
#else
    return 0;
#endif
}

int dml_cuda_load(const char* path) {
    std::lock_guard<std::mutex> lock(g_cuda_mutex);
    if (g_cuda_handle) return DML_OK;
    void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) return dml::fail(DML_ERR_NO_CUDA, "cannot load the CUDA kernels (%s): %s", path, dlerror());
    auto init = reinterpret_cast<int (*)()>(dlsym(handle, "dml_cuda_init"));
    auto last = reinterpret_cast<const char* (*)()>(dlsym(handle, "dml_cuda_last_error"));
    if (!init || !last) {
        dlclose(handle);
        return dml::fail(DML_ERR_NO_CUDA, "%s is not a diffiml CUDA library", path);
    }
    int status = init();
    if (status != DML_OK) {
        dml::fail(DML_ERR_NO_CUDA, "%s", last());
        dlclose(handle);
        return DML_ERR_NO_CUDA;
    }
    g_cuda_handle = handle;
    return DML_OK;
}

int dml_library_loadable(const char* soname) {
    void* handle = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
    if (!handle) return dml::fail(0, "%s", dlerror());
    dlclose(handle);
    return 1;
}

int dml_cuda_device_count(void) {
    auto count = reinterpret_cast<int (*)()>(dml::cuda_symbol("dml_cuda_device_count"));
    return count ? count() : 0;
}

int dml_cuda_device_name(char* buf, int buf_len) {
    auto name = reinterpret_cast<int (*)(char*, int)>(dml::cuda_symbol("dml_cuda_device_name"));
    if (!name) return dml::no_cuda("dml_cuda_device_name");
    int status = name(buf, buf_len);
    return status == DML_OK ? DML_OK : dml::import_cuda_error(status);
}

int dml_synchronize(int dev) {
    if (dev == DML_CPU) return DML_OK;
    auto sync = reinterpret_cast<int (*)()>(dml::cuda_symbol("dml_cuda_synchronize"));
    if (!sync) return dml::no_cuda("dml_synchronize");
    int status = sync();
    return status == DML_OK ? DML_OK : dml::import_cuda_error(status);
}

int64_t dml_cuda_stream(void) {
    auto get = reinterpret_cast<int64_t (*)()>(dml::cuda_symbol("dml_cuda_stream"));
    return get ? get() : 0;
}

int dml_cuda_memory(int64_t* out) {
    auto query = reinterpret_cast<int (*)(int64_t*)>(dml::cuda_symbol("dml_cuda_memory"));
    if (!query) return dml::no_cuda("dml_cuda_memory");
    int status = query(out);
    return status == DML_OK ? DML_OK : dml::import_cuda_error(status);
}

int dml_cuda_memory_reset_peak(void) {
    auto reset = reinterpret_cast<int (*)()>(dml::cuda_symbol("dml_cuda_memory_reset_peak"));
    if (!reset) return dml::no_cuda("dml_cuda_memory_reset_peak");
    int status = reset();
    return status == DML_OK ? DML_OK : dml::import_cuda_error(status);
}

int dml_cuda_graph_begin(void) {
    auto begin = reinterpret_cast<int (*)()>(dml::cuda_symbol("dml_cuda_graph_begin"));
    if (!begin) return dml::no_cuda("dml_cuda_graph_begin");
    int status = begin();
    return status == DML_OK ? DML_OK : dml::import_cuda_error(status);
}

int dml_cuda_graph_end(int64_t* exec) {
    *exec = 0;
    auto end = reinterpret_cast<int (*)(int64_t*)>(dml::cuda_symbol("dml_cuda_graph_end"));
    if (!end) return dml::no_cuda("dml_cuda_graph_end");
    int status = end(exec);
    return status == DML_OK ? DML_OK : dml::import_cuda_error(status);
}

int dml_cuda_graph_launch(int64_t exec) {
    auto launch = reinterpret_cast<int (*)(int64_t)>(dml::cuda_symbol("dml_cuda_graph_launch"));
    if (!launch) return dml::no_cuda("dml_cuda_graph_launch");
    int status = launch(exec);
    return status == DML_OK ? DML_OK : dml::import_cuda_error(status);
}

int dml_cuda_graph_destroy(int64_t exec) {
    auto destroy = reinterpret_cast<int (*)(int64_t)>(dml::cuda_symbol("dml_cuda_graph_destroy"));
    if (!destroy) return dml::no_cuda("dml_cuda_graph_destroy");
    int status = destroy(exec);
    return status == DML_OK ? DML_OK : dml::import_cuda_error(status);
}

int64_t dml_malloc(int dev, int64_t bytes) {
    if (bytes < 0) return dml::fail(DML_ERR_ARGUMENT, "dml_malloc: negative size %lld", (long long)bytes), 0;
    if (dev == DML_CPU) {
        // 64-byte alignment for vector loads; aligned_alloc wants a multiple of the alignment.
        size_t rounded = ((size_t)bytes + 63) / 64 * 64;
        void* p = aligned_alloc(64, rounded == 0 ? 64 : rounded);
        if (!p) dml::fail(DML_ERR_MEMORY, "dml_malloc: out of host memory allocating %lld bytes", (long long)bytes);
        return (int64_t)(intptr_t)p;
    }
    auto alloc = reinterpret_cast<int64_t (*)(int64_t)>(dml::cuda_symbol("dml_cuda_malloc"));
    if (!alloc) return dml::no_cuda("dml_malloc"), 0;
    int64_t p = alloc(bytes);
    if (!p) dml::import_cuda_error(DML_ERR_MEMORY);
    return p;
}

int dml_free(int dev, int64_t address) {
    if (dev == DML_CPU) {
        free((void*)(intptr_t)address);
        return DML_OK;
    }
    auto release = reinterpret_cast<int (*)(int64_t)>(dml::cuda_symbol("dml_cuda_free"));
    if (!release) return dml::no_cuda("dml_free");
    int status = release(address);
    return status == DML_OK ? DML_OK : dml::import_cuda_error(status);
}

int dml_copy(int dst_dev, float* dst, int src_dev, const float* src, int64_t n) {
    if (n < 0) return dml::fail(DML_ERR_ARGUMENT, "dml_copy: negative count %lld", (long long)n);
    if (dst_dev == DML_CPU && src_dev == DML_CPU) {
        if (n) memmove(dst, src, (size_t)n * sizeof(float));
        return DML_OK;
    }
    auto copy = reinterpret_cast<int (*)(int, float*, int, const float*, int64_t)>(dml::cuda_symbol("dml_cuda_copy"));
    if (!copy) return dml::no_cuda("dml_copy");
    int status = copy(dst_dev, dst, src_dev, src, n);
    return status == DML_OK ? DML_OK : dml::import_cuda_error(status);
}

}  // extern "C"
