// Launches the dtype-independent routing stages (a-c) of the unfused layer; compiled once, not per dtype.
// The host never reads counts back: grids are sized for the worst case and idle blocks exit.
#include <cstdint>

#include "flashmoe/common/error.h"
#include "flashmoe/unfused/api.h"
#include "flashmoe/unfused/grouped_gemm_config.h"
#include "flashmoe/unfused/routing.cuh"

namespace flashmoe {

void launch_unfused_routing(const UnfusedWorkspace& workspace, const flashmoe_layer_config& config,
                            const flashmoe_forward_args& args, int64_t capacity, cudaStream_t stream) {
    const int num_routes = static_cast<int>(args.num_tokens * config.top_k);
    const int num_chunks = static_cast<int>(ceil_div(num_routes, kRoutesPerChunk));
    const int num_experts = static_cast<int>(config.num_experts);
    const int element_bytes = config.dtype == FLASHMOE_DTYPE_FP32 ? 4 : 2;

    FLASHMOE_CUDA_CHECK(cudaMemsetAsync(workspace.status, 0, sizeof(int32_t) * kNumStatusWords, stream));
    unfused::count_chunk_routes_kernel<<<num_chunks, unfused::kRoutingThreads, 0, stream>>>(
        args.topk_ids, args.topk_weights, num_routes, num_experts, workspace.chunk_prefix, workspace.status);
    FLASHMOE_CHECK_LAUNCH("count_chunk_routes_kernel");
    unfused::plan_experts_kernel<<<1, unfused::kPlanThreads, 0, stream>>>(
        workspace.chunk_prefix, num_chunks, num_experts, static_cast<int>(capacity), unfused::kGemmTileRows,
        workspace.expert_counts, workspace.row_offsets, workspace.tile_offsets, workspace.status, args.expert_counts,
        args.dropped_routes);
    FLASHMOE_CHECK_LAUNCH("plan_experts_kernel");
    unfused::assign_slots_kernel<<<num_chunks, unfused::kRoutingThreads, 0, stream>>>(
        args.topk_ids, args.topk_weights, num_routes, num_experts, static_cast<int>(config.top_k), static_cast<int>(capacity),
        workspace.chunk_prefix, workspace.row_offsets, workspace.route_slot, workspace.row_token);
    FLASHMOE_CHECK_LAUNCH("assign_slots_kernel");
    const int64_t row_bytes = config.hidden_size * element_bytes;
    const bool vector_copy = reinterpret_cast<uintptr_t>(args.x) % 16 == 0;  // row_bytes is a multiple of 16
    unfused::gather_rows_kernel<<<num_routes, 128, 0, stream>>>(args.x, row_bytes, workspace.row_offsets, num_experts,
                                                                workspace.row_token, workspace.x_packed, vector_copy);
    FLASHMOE_CHECK_LAUNCH("gather_rows_kernel");
}

}  // namespace flashmoe
