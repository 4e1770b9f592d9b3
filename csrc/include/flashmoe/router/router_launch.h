// Host view of the router: the scratch a router handle owns and the launch entry the C API calls. No kernels here, so
// capi.cu compiles without them; router.cuh defines the launch and per-dtype TUs instantiate it.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "flashmoe/capi/flashmoe_c.h"

namespace flashmoe::router {

constexpr int kMaxExperts = 512;

// Device memory owned by a router handle, zeroed once when the handle is created and left zeroed by every launch:
// the last block of a launch moves the counts to the caller's buffer and resets both fields, so re-launches and
// CUDA-graph replays need no host-side reset (and no memset node in a captured graph).
struct RouterScratch {
    int32_t expert_counts[kMaxExperts];  // routes per expert, accumulated with integer atomics (order-independent)
    uint32_t blocks_done;                // blocks of the current launch that have added their counts
    uint32_t padding[3];
};

}  // namespace flashmoe::router

namespace flashmoe {

// Exactly one kernel launch on `stream`, nothing else (a captured router call is one kernel node). `scratch` is the
// handle's RouterScratch; launches that share one scratch must not overlap (the C API orders them).
template <typename T>
void launch_router(const flashmoe_router_config& config, const flashmoe_router_args& args, router::RouterScratch* scratch,
                   cudaStream_t stream);

}  // namespace flashmoe
