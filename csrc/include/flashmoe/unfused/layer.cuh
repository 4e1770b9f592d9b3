// Host launcher of the unfused layer's expert compute (d-f) for one element type; included only by the
// per-dtype instantiation TUs (src/instantiations/*.cu), so each dtype compiles in its own TU.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "flashmoe/common/capacity.h"
#include "flashmoe/common/error.h"
#include "flashmoe/unfused/api.h"
#include "flashmoe/unfused/combine.cuh"
#include "flashmoe/unfused/grouped_gemm.cuh"

namespace flashmoe {

namespace unfused {
inline bool aligned16(const void* pointer) { return reinterpret_cast<uintptr_t>(pointer) % 16 == 0; }
}  // namespace unfused

template <typename T>
void launch_unfused_experts(const UnfusedWorkspace& workspace, const flashmoe_layer_config& config,
                            const flashmoe_forward_args& args, cudaStream_t stream) {
    using namespace unfused;
    const int64_t num_routes = args.num_tokens * config.top_k;
    const int num_experts = static_cast<int>(config.num_experts);
    const int hidden_size = static_cast<int>(config.hidden_size);
    const int intermediate_size = static_cast<int>(config.intermediate_size);
    const bool gated = config.mlp_type == FLASHMOE_MLP_GATED;
    // Sized without reading the counts back; blocks past the real tile count exit at once.
    const auto row_tiles = static_cast<unsigned>(max_row_tiles(num_routes, num_experts, kGemmTileRows));

    GroupedGemmParams gemm0{};
    gemm0.a = workspace.x_packed;
    gemm0.weight0 = gated ? args.weights.w_gate : args.weights.w_up;
    gemm0.weight1 = gated ? args.weights.w_up : nullptr;
    gemm0.bias0 = gated ? args.weights.b_gate : args.weights.b_up;
    gemm0.bias1 = gated ? args.weights.b_up : nullptr;
    gemm0.out = workspace.h;
    gemm0.row_offsets = workspace.row_offsets;
    gemm0.tile_offsets = workspace.tile_offsets;
    gemm0.num_experts = num_experts;
    gemm0.n = intermediate_size;
    gemm0.k = hidden_size;
    gemm0.activation = config.activation;
    gemm0.vector_loads = aligned16(gemm0.weight0) && (!gated || aligned16(gemm0.weight1));
    const dim3 grid0(row_tiles, static_cast<unsigned>(ceil_div(intermediate_size, kGemmTileCols)));
    if (gated) {
        grouped_gemm_kernel<T, Epilogue::kGatedActivation><<<grid0, kGemmThreads, 0, stream>>>(gemm0);
    } else {
        grouped_gemm_kernel<T, Epilogue::kActivation><<<grid0, kGemmThreads, 0, stream>>>(gemm0);
    }
    FLASHMOE_CHECK_LAUNCH("grouped_gemm_kernel (GEMM0)");

    GroupedGemmParams gemm1{};
    gemm1.a = workspace.h;
    gemm1.weight0 = args.weights.w_down;
    gemm1.bias0 = args.weights.b_down;
    gemm1.out = workspace.expert_out;
    gemm1.row_offsets = workspace.row_offsets;
    gemm1.tile_offsets = workspace.tile_offsets;
    gemm1.num_experts = num_experts;
    gemm1.n = hidden_size;
    gemm1.k = intermediate_size;
    gemm1.activation = FLASHMOE_ACT_IDENTITY;
    gemm1.vector_loads = aligned16(gemm1.weight0);
    const dim3 grid1(row_tiles, static_cast<unsigned>(ceil_div(hidden_size, kGemmTileCols)));
    grouped_gemm_kernel<T, Epilogue::kBiasToFloat><<<grid1, kGemmThreads, 0, stream>>>(gemm1);
    FLASHMOE_CHECK_LAUNCH("grouped_gemm_kernel (GEMM1)");

    combine_kernel<T><<<static_cast<unsigned>(args.num_tokens), kCombineThreads, 0, stream>>>(
        workspace.expert_out, workspace.route_slot, args.topk_weights, static_cast<int>(config.top_k), hidden_size,
        static_cast<T*>(args.y));
    FLASHMOE_CHECK_LAUNCH("combine_kernel");
}

}  // namespace flashmoe
