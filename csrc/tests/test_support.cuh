// What the GPU-side C++ tests (smoke_test, fused_test, gemm_tile_test) share: a fatal CUDA check and the names and
// sizes of the C API's enums, so every test prints and sizes things the same way.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>

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
