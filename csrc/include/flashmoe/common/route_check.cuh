// Which caller-supplied routes are valid, shared by both layer paths so they agree exactly.
// A route is valid when its expert id is in [0, E) and its weight is finite (docs/api-semantics.md, "Routing errors").
#pragma once

#include <cstdint>

namespace flashmoe {

// The route's expert, or -1 when the route is invalid. Invalid routes are never dereferenced, contribute zero, are
// not counted, and make the call fail with FLASHMOE_ERROR_ROUTING once the stream is done.
__device__ __forceinline__ int32_t checked_route_expert(const int32_t* topk_ids, const float* topk_weights,
                                                        int64_t route_idx, int num_experts) {
    const int32_t expert = topk_ids[route_idx];
    const bool valid = expert >= 0 && expert < num_experts && isfinite(topk_weights[route_idx]);
    return valid ? expert : -1;
}

}  // namespace flashmoe
