// Host view of the router: the scratch a router handle owns and the launch entry the C API calls. No kernels here, so
// capi.cu compiles without them; router.cuh defines the launch and per-dtype TUs instantiate it.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "flashmoe/capi/flashmoe_c.h"

namespace flashmoe::router {

constexpr int kMaxExperts = 512;
// Up to this many tokens a launch may slice the experts over several blocks per token block (so that small batches
// read W_r from many SMs); the slices leave their logits in the scratch. Beyond it every block computes all experts
// of its tokens and the scratch holds no logits.
constexpr int64_t kSplitMaxTokens = 4096;
constexpr int kMinSliceTokens = 8;  // the fewest tokens a sliced block covers (the SIMT engine's token block)
constexpr int kMaxSliceTokenBlocks = static_cast<int>(kSplitMaxTokens / kMinSliceTokens);

// Device memory owned by a router handle, zeroed once when the handle is created and left zeroed by every launch:
// the last block of a launch moves the counts to the caller's buffer and resets both fields, so re-launches and
// CUDA-graph replays need no host-side reset (and no memset node in a captured graph). The last slice of a token block
// re-arms that block's slices_done the same way. The logits of sliced launches follow the struct (never zeroed: every
// launch writes what it reads).
struct RouterScratch {
    int32_t expert_counts[kMaxExperts];  // routes per expert, accumulated with integer atomics (order-independent)
    uint32_t blocks_done;                // routing blocks of the current launch that have added their counts
    uint32_t padding[3];
    uint32_t slices_done[kMaxSliceTokenBlocks];  // per token block: slices that have stored their logits
    // float logits[min(max_tokens, kSplitMaxTokens)][num_experts] follow (router_scratch_bytes)
};
static_assert(sizeof(RouterScratch) % 16 == 0, "the logits after the struct stay 16-byte aligned");

// Bytes of a router handle's scratch: the struct and the logits of the largest sliced launch it can run.
inline size_t router_scratch_bytes(int64_t max_tokens, int64_t num_experts) {
    const int64_t logit_rows = max_tokens < kSplitMaxTokens ? max_tokens : kSplitMaxTokens;
    return sizeof(RouterScratch) + sizeof(float) * static_cast<size_t>(logit_rows * num_experts);
}

// A router handle's launch choices, read from the environment when the handle is created (A/B runs; docs/perf-notes.md
// items 84 and 87); the defaults are the rules of launch_router.
//   FLASHMOE_ROUTER_SPLIT_MAX_TOKENS (0 .. kSplitMaxTokens): the most tokens a launch runs on the sliced engines
//   (0: the tiled engine at every T, where the rows allow it).
struct RouterTuning {
    int64_t split_max_tokens = kSplitMaxTokens;
};

// Whether a launch of num_tokens slices the experts (its logits in the scratch).
inline bool router_launch_sliced(int64_t num_tokens, const RouterTuning& tuning) {
    return num_tokens <= tuning.split_max_tokens;
}

// Whether a run may touch the scratch (counts, or slices' logits and arrivals): such runs must not overlap.
inline bool router_run_uses_scratch(int64_t num_tokens, bool counts, const RouterTuning& tuning) {
    return counts || router_launch_sliced(num_tokens, tuning);
}

}  // namespace flashmoe::router

namespace flashmoe {

// Exactly one kernel launch on `stream`, nothing else (a captured router call is one kernel node). `scratch` is the
// handle's RouterScratch; launches that share one scratch must not overlap (the C API orders them).
template <typename T>
void launch_router(const flashmoe_router_config& config, const flashmoe_router_args& args, router::RouterScratch* scratch,
                   const router::RouterTuning& tuning, cudaStream_t stream);

// Raises the router kernels' dynamic shared-memory limits on the current device (flashmoe_router_create, once per
// handle), so that launch_router sets no attribute per launch.
template <typename T>
void allow_router_shared_memory();

}  // namespace flashmoe
