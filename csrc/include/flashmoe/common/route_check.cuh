// Which caller-supplied routes are valid, shared by both layer paths so they agree exactly.
// A route is valid when its expert id is in [0, E) and its weight is finite (docs/api-semantics.md, "Routing errors").
#pragma once

#include <cstdint>

namespace flashmoe {

// The route's expert given its id and weight, or -1 when the route is invalid. Invalid routes are never dereferenced,
// contribute zero, are not counted, and make the call fail with FLASHMOE_ERROR_ROUTING once the stream is done.
__device__ __forceinline__ int32_t route_expert_if_valid(int32_t id, float weight, int num_experts) {
    return id >= 0 && id < num_experts && isfinite(weight) ? id : -1;
}

// The same for route `route_idx`. NOTE: both loads are issued before the check (not the weight only after the id
// passed it), so they overlap.
__device__ __forceinline__ int32_t checked_route_expert(const int32_t* topk_ids, const float* topk_weights,
                                                        int64_t route_idx, int num_experts) {
    const int32_t id = topk_ids[route_idx];
    const float weight = topk_weights[route_idx];
    return route_expert_if_valid(id, weight, num_experts);
}

}  // namespace flashmoe
