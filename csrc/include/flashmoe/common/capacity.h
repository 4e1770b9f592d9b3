// Index arithmetic shared by host and device: expert capacity and the workspace's route chunking.
// Plain C++ (no CUDA headers) so the host-only test can check it without a GPU.
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define FLASHMOE_HOST_DEVICE __host__ __device__
#else
#define FLASHMOE_HOST_DEVICE
#endif

namespace flashmoe {

// Routes an expert keeps for a batch of num_tokens (docs/api-semantics.md "Capacity"). Dropless returns the number
// of routes in the batch, which no expert can exceed. Double precision from the float factor, as the Java reference.
inline int64_t expert_capacity(float capacity_factor, int64_t num_tokens, int64_t top_k, int64_t num_experts) {
    const int64_t num_routes = num_tokens * top_k;
    if (!(capacity_factor > 0.0f)) {
        return num_routes;
    }
    const double routes = static_cast<double>(capacity_factor) * static_cast<double>(num_tokens) *
                          static_cast<double>(top_k) / static_cast<double>(num_experts);
    const double capacity = std::ceil(routes);
    // NOTE: more than num_routes is never reachable, and clamping keeps the value in int range.
    if (capacity >= static_cast<double>(num_routes)) {
        return num_routes;
    }
    return capacity < 1.0 ? 1 : static_cast<int64_t>(capacity);
}

FLASHMOE_HOST_DEVICE constexpr int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Routes are scanned in chunks of this many (one block each) to assign slots without order-dependent atomics.
constexpr int kRoutesPerChunk = 256;

// An upper bound on the GEMM row tiles over all experts: each expert's segment of rows is tiled on its own, so each
// non-empty expert adds at most one partial tile. Used to size grids without reading counts back to the host.
FLASHMOE_HOST_DEVICE constexpr int64_t max_row_tiles(int64_t num_routes, int64_t num_experts, int64_t tile_rows) {
    return ceil_div(num_routes, tile_rows) + (num_experts < num_routes ? num_experts : num_routes);
}

}  // namespace flashmoe
