// What the GPU-side C++ tests (smoke_test, fused_test, gemm_tile_test) share: a fatal CUDA check, the names and
// sizes of the C API's enums, so every test prints and sizes things the same way, and scoped environment settings.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "flashmoe/capi/flashmoe_c.h"

// A CUDA call the test cannot go on without: print what failed and where, and exit 2.
#define CHECK_CUDA(call)                                                                                     \
    do {                                                                                                     \
        cudaError_t e_ = (call);                                                                             \
        if (e_ != cudaSuccess) {                                                                             \
            std::fprintf(stderr, "%s failed: %s at %s:%d\n", #call, cudaGetErrorString(e_), __FILE__, __LINE__); \
            std::exit(2);                                                                                    \
        }                                                                                                    \
    } while (0)

inline const char* dtype_name(int dtype) {
    return dtype == FLASHMOE_DTYPE_FP32 ? "fp32" : dtype == FLASHMOE_DTYPE_FP16 ? "fp16" : "bf16";
}

inline const char* act_name(int activation) {
    static const char* names[] = {"silu", "gelu_erf", "gelu_tanh", "relu", "identity"};
    return names[activation];
}

inline size_t element_bytes(int dtype) { return dtype == FLASHMOE_DTYPE_FP32 ? 4 : 2; }

// An environment setting for the object's lifetime (layers and routers read their settings when they are made); a
// null name sets nothing. The variable's previous value (or its absence) comes back afterwards, so a test never
// changes what the caller set.
struct ScopedEnv {
    const char* name;
    bool had_value = false;
    std::string previous;
    ScopedEnv(const char* name_, const char* value) : name(name_) {
        if (name == nullptr) return;
        if (const char* old = std::getenv(name); old != nullptr) {
            had_value = true;
            previous = old;
        }
        setenv(name, value, 1);
    }
    ~ScopedEnv() {
        if (name == nullptr) return;
        if (had_value) {
            setenv(name, previous.c_str(), 1);
        } else {
            unsetenv(name);
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;
};
