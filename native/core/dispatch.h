// Routes each C API call to the CPU reference kernels or, through the symbol table of the dlopen'ed CUDA
// library, to the CUDA kernel of the same name ("dml_cuda_" + name) and the same arguments.
#pragma once
#include <atomic>
#include <string>
#include "diffiml.h"

namespace dml {

// Records the message returned by dml_last_error() on this thread; returns `status`.
int fail(int status, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
// Address of a symbol of the loaded CUDA library, or nullptr when it is not loaded.
void* cuda_symbol(const char* name);
// Copies the CUDA library's last error of this thread into ours; returns `status`.
int import_cuda_error(int status);
int no_cuda(const char* op);

}  // namespace dml

// Body of a C API function whose first parameter is `int dev`; the arguments after it are passed on.
#define DML_DISPATCH(name, ...)                                                                         \
    do {                                                                                                \
        if (dev == DML_CPU) return dml::cpu::name(__VA_ARGS__);                                         \
        if (dev == DML_CUDA) {                                                                          \
            static std::atomic<void*> cached{nullptr};                                                  \
            void* sym = cached.load(std::memory_order_relaxed);                                         \
            if (!sym) {                                                                                 \
                sym = dml::cuda_symbol("dml_cuda_" #name);                                              \
                if (!sym) return dml::no_cuda(#name);                                                   \
                cached.store(sym, std::memory_order_relaxed);                                           \
            }                                                                                           \
            int status = reinterpret_cast<decltype(&dml::cpu::name)>(sym)(__VA_ARGS__);                 \
            return status == DML_OK ? DML_OK : dml::import_cuda_error(status);                          \
        }                                                                                               \
        return dml::fail(DML_ERR_ARGUMENT, "%s: unknown device %d", #name, dev);                       \
    } while (0)
