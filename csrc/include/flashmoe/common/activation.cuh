// The activations of docs/api-semantics.md, evaluated in fp32 on the device.
// A runtime argument, never a kernel template parameter: the library's instantiations stay few. The fused GEMM0
// epilogue calls it with a constant (processor/tasks.cuh store_gemm0_piece_as), so there the switch folds away.
#pragma once

#include <type_traits>

#include "flashmoe/capi/flashmoe_c.h"

namespace flashmoe {

__device__ __forceinline__ float apply_activation(int activation, float v) {
    switch (activation) {
        case FLASHMOE_ACT_SILU:
            // NOTE: expf overflows to inf for very negative v, and v / inf = -0: the right limit. __fdividef (2 ulp)
            // instead of '/': IEEE division has an out-of-line slow path, and any call in the fused kernel makes
            // ptxas serialise every wgmma (C7509).
            return __fdividef(v, 1.0f + expf(-v));
        case FLASHMOE_ACT_GELU_ERF:
            return 0.5f * v * (1.0f + erff(v * 0.70710678118654752440f));
        case FLASHMOE_ACT_GELU_TANH: {
            const float kSqrt2OverPi = 0.79788456080286535588f;
            return 0.5f * v * (1.0f + tanhf(kSqrt2OverPi * (v + 0.044715f * v * v * v)));
        }
        case FLASHMOE_ACT_RELU:
            return (v > 0.0f || v != v) ? v : 0.0f;  // NOTE: NaN propagates, as IEEE max-based ReLU does in the reference
        default:  // FLASHMOE_ACT_IDENTITY; other values are rejected by flashmoe_layer_check
            return v;
    }
}

// Calls f(std::integral_constant<int, A>{}) for the activation A that `activation` names: the switch runs once, and
// f's body (e.g. an epilogue's loop calling apply_activation(A, ..)) is compiled per activation with the switch
// folded away (processor/tasks.cuh store_gemm0_piece).
template <typename F>
__device__ __forceinline__ void with_activation(int activation, F&& f) {
    switch (activation) {
        case FLASHMOE_ACT_SILU:
            f(std::integral_constant<int, FLASHMOE_ACT_SILU>{});
            return;
        case FLASHMOE_ACT_GELU_ERF:
            f(std::integral_constant<int, FLASHMOE_ACT_GELU_ERF>{});
            return;
        case FLASHMOE_ACT_GELU_TANH:
            f(std::integral_constant<int, FLASHMOE_ACT_GELU_TANH>{});
            return;
        case FLASHMOE_ACT_RELU:
            f(std::integral_constant<int, FLASHMOE_ACT_RELU>{});
            return;
        default:  // FLASHMOE_ACT_IDENTITY; other values are rejected by flashmoe_layer_check
            f(std::integral_constant<int, FLASHMOE_ACT_IDENTITY>{});
            return;
    }
}

}  // namespace flashmoe
