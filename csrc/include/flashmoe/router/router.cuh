// The router in one kernel launch and nothing else on the stream: logits = x · W_r^T (fp32 accumulation), softmax or
// sigmoid (+ expert bias for selection), grouped top-k, descending order with ties to the lower id, renormalise, scale,
// expert counts (exact integer sums: per block in shared memory, then over blocks in a router-owned scratch that the
// last block to finish publishes and re-zeroes; a launch with one routing block writes its own counts out).
//
// Three logit engines; launch_router picks one per launch, and all end in the same phase 2 (route_token, a warp per
// token) of the block that holds a token's full row of logits:
//   tiled (bf16/fp16, T > kSplitMaxTokens): kBlockM tokens x all experts per block on the tensor cores (SM80
//         mma.sync), x and W_r staged by cp.async through a swizzled shared-memory ring, experts in chunks of 128.
//   split (bf16/fp16, T <= kSplitMaxTokens): 16 tokens x a slice of <= 32 experts per block, so that small batches read
//         W_r from many SMs; mma fragments come straight from global memory, K is split over the warps. With several
//         slices, each stores its logits to the scratch and the last slice of the token block to arrive routes it.
//   simt  (fp32, exact FMA, no TF32; and 16-bit rows that are not 16-byte aligned): 8 tokens x a slice of experts,
//         lanes split K; sliced like split up to kSplitMaxTokens, one slice (all experts) beyond.
// Each logit has one fixed reduction order for a given engine (no float atomics): bitwise deterministic. The engines'
// orders differ, so a 16-bit token's logits may differ in the last bits between T <= and T > kSplitMaxTokens.
#pragma once

#include <cuda_runtime.h>

#include <cute/arch/copy_sm80.hpp>
#include <cute/arch/mma_sm80.hpp>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "flashmoe/common/dtype.cuh"
#include "flashmoe/common/error.h"
#include "flashmoe/common/mma_atom.cuh"
#include "flashmoe/router/router_launch.h"

namespace flashmoe::router {

constexpr int kRouterThreads = 256;  // every engine; phase 2 runs one warp per token
constexpr int kRouterWarps = kRouterThreads / 32;
constexpr int kExpertsPerLane = kMaxExperts / 32;  // phase 2's most register slots per lane
constexpr int kMinSliceBlocks = 128;  // slices narrow until a launch has this many blocks (about one per SM)
static_assert(kExpertsPerLane <= 32, "route_token's blocked mask holds one bit per lane-local expert");
static_assert(kExpertsPerLane == 16, "route_tokens instantiates 2, 4, 8 and 16 slots");

struct RouterParams {
    const void* x;            // [T][H]
    const void* w_router;     // [E][H]
    const float* expert_bias; // [E] optional
    int32_t* topk_ids;        // [T][k]
    float* topk_weights;      // [T][k]
    int32_t* expert_counts;   // [E] optional; written (not accumulated) by the last block of the launch
    RouterScratch* scratch;   // the handle's scratch: counts, and the slices' arrivals
    float* slice_logits;      // [T][E] in the scratch: the logits of sliced launches (num_slices > 1)
    int num_tokens;
    int hidden_size;
    int num_experts;
    int top_k;
    int scoring;
    int renormalize;
    int num_groups;
    int top_groups;
    float routed_scaling_factor;
    int num_slices;           // expert slices per token block (split, simt); 1 for tiled
    int slice_experts;        // experts per slice (the last slice may hold fewer)
    int vector_rows;          // simt: rows of x and W_r start 16-byte aligned and H is whole vectors
};

// Selection order (the reference's): larger value first, ties to the lower index, NaN after every number; -0 and +0
// are one value. selection_key maps a value to an unsigned key in that order (NaN to 0, below -inf's 0x007fffff), so a
// warp picks a round's expert with two integer reductions (redux.sync) instead of a shuffle butterfly.
__device__ __forceinline__ uint32_t selection_key(float value) {
    if (isnan(value)) return 0u;
    const uint32_t bits = value == 0.0f ? 0u : __float_as_uint(value);
    return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
}

constexpr uint32_t kNoCandidate = 0xffffffffu;  // the index of a lane with nothing left to offer; loses to any index

// The warp's pick among the lanes' candidates (key, index): the largest key, ties to the lowest index. Every lane
// returns the same index (kNoCandidate when no lane has a candidate).
__device__ __forceinline__ uint32_t warp_select(uint32_t key, uint32_t index) {
    const uint32_t top_key = __reduce_max_sync(0xffffffffu, key);
    return __reduce_min_sync(0xffffffffu, key == top_key ? index : kNoCandidate);
}

__device__ __forceinline__ float warp_sum(float value) {
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2) {
        value += __shfl_xor_sync(0xffffffffu, value, offset);
    }
    return value;
}

__device__ __forceinline__ float warp_max(float value) {
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2) {
        value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, offset));
    }
    return value;
}

// The block's routes per expert (when the launch counts), `counts` [kMaxExperts] in shared memory: zeroed at the
// block's start (zero_block_counts, before any barrier), added to by phase 2 with shared-memory atomics, published once
// per block (publish_counts).
// NOTE: each router kernel declares its counts itself and passes them down. A static __shared__ array in a
// (non-template) inline function is one symbol of the device link, and the link gave its 2 KB to every kernel of the
// library, the fused MoE kernel too (its static shared memory 1872 -> 3904 bytes).
__device__ __forceinline__ void zero_block_counts(const RouterParams& params, int* counts) {
    if (params.expert_counts == nullptr) return;
    for (int expert_idx = threadIdx.x; expert_idx < params.num_experts; expert_idx += kRouterThreads) {
        counts[expert_idx] = 0;
    }
}

// Phase 2 for one token, by one warp: scoring, (grouped) top-k, weights; adds its routes to the block's counts.
// Lane l holds experts l + 32 i (i < kSlots, kSlots * 32 >= E) in registers: `score` is this token's row of logits in
// shared memory (read once), `select_row` and `group_value` per-warp shared rows used only with expert groups.
// Scores are computed in the same order as a shared-memory pass would (lane-local in i order, then the butterfly), so
// they do not depend on kSlots.
template <int kSlots>
__device__ __forceinline__ void route_token(const RouterParams& params, int token_idx, const float* score_row,
                                            float* select_row, float* group_value, int* counts) {
    const int lane_idx = threadIdx.x % 32;
    const int num_experts = params.num_experts;
    float score[kSlots];
    float select[kSlots];
#pragma unroll
    for (int i = 0; i < kSlots; ++i) {
        const int e = lane_idx + 32 * i;
        score[i] = e < num_experts ? score_row[e] : 0.0f;
    }
    if (params.scoring == FLASHMOE_SCORING_SOFTMAX) {
        float local_max = -INFINITY;
#pragma unroll
        for (int i = 0; i < kSlots; ++i) {
            if (lane_idx + 32 * i < num_experts) local_max = fmaxf(local_max, score[i]);
        }
        const float max_logit = warp_max(local_max);
        float local_sum = 0.0f;
#pragma unroll
        for (int i = 0; i < kSlots; ++i) {
            if (lane_idx + 32 * i < num_experts) {
                score[i] = expf(score[i] - max_logit);
                local_sum += score[i];
            }
        }
        const float inverse_sum = 1.0f / warp_sum(local_sum);
#pragma unroll
        for (int i = 0; i < kSlots; ++i) {
            score[i] *= inverse_sum;
            select[i] = score[i];  // softmax selects on the scores themselves
        }
    } else {
#pragma unroll
        for (int i = 0; i < kSlots; ++i) {
            const int e = lane_idx + 32 * i;
            score[i] = 1.0f / (1.0f + expf(-score[i]));
            select[i] = score[i] + (params.expert_bias != nullptr && e < num_experts ? params.expert_bias[e] : 0.0f);
        }
    }

    // Experts that may not be chosen (past E, outside the kept groups, or already chosen): bit i is slot i.
    uint32_t blocked = 0;
#pragma unroll
    for (int i = 0; i < kSlots; ++i) {
        if (lane_idx + 32 * i >= num_experts) blocked |= 1u << i;
    }
    if (params.num_groups > 1) {
        // A group's experts lie across lanes: its top-2 is taken from the shared row, one lane per group.
#pragma unroll
        for (int i = 0; i < kSlots; ++i) {
            if (lane_idx + 32 * i < num_experts) select_row[lane_idx + 32 * i] = select[i];
        }
        __syncwarp();
        const int group_size = num_experts / params.num_groups;
        for (int group_idx = lane_idx; group_idx < params.num_groups; group_idx += 32) {
            // The two best in selection order (NaN last, as the reference), summed.
            uint32_t key1 = 0, key2 = 0;
            float top1 = 0.0f, top2 = 0.0f;
            bool has1 = false, has2 = false;
            for (int e = group_idx * group_size; e < (group_idx + 1) * group_size; ++e) {
                const float value = select_row[e];
                const uint32_t key = selection_key(value);
                if (!has1 || key > key1) {
                    top2 = top1, key2 = key1, has2 = has1;
                    top1 = value, key1 = key, has1 = true;
                } else if (!has2 || key > key2) {
                    top2 = value, key2 = key, has2 = true;
                }
            }
            group_value[group_idx] = has2 ? top1 + top2 : top1;
        }
        __syncwarp();
        uint32_t kept_groups = 0;  // bit i: group lane_idx + 32 * i kept
        for (int round = 0; round < params.top_groups; ++round) {
            uint32_t best_key = 0;
            uint32_t best_index = kNoCandidate;
            for (int i = 0, g = lane_idx; g < params.num_groups; ++i, g += 32) {
                const uint32_t key = selection_key(group_value[g]);
                if (!(kept_groups >> i & 1u) && (best_index == kNoCandidate || key > best_key)) {
                    best_key = key;
                    best_index = g;
                }
            }
            const uint32_t chosen = warp_select(best_key, best_index);
            if (chosen % 32 == static_cast<uint32_t>(lane_idx)) kept_groups |= 1u << (chosen / 32);
        }
        // The values are no longer needed: reuse them as kept flags (lanes own different groups).
        for (int i = 0, g = lane_idx; g < params.num_groups; ++i, g += 32) {
            group_value[g] = (kept_groups >> i & 1u) ? 1.0f : 0.0f;
        }
        __syncwarp();
#pragma unroll
        for (int i = 0; i < kSlots; ++i) {
            const int e = lane_idx + 32 * i;
            if (e < num_experts && group_value[e / group_size] == 0.0f) blocked |= 1u << i;
        }
    }

    // Each lane keeps its best unblocked expert (key, index, score); a round takes the warp's best and only the lane
    // that gave it looks for its next. A lane scans its slots in increasing index, so a tie never displaces the
    // candidate held. Round r's choice stays with lane r (no per-thread arrays: those would live in local memory),
    // which then writes it: the k outputs of the token in one coalesced store each, the count atomics in parallel.
    uint32_t key[kSlots];
#pragma unroll
    for (int i = 0; i < kSlots; ++i) key[i] = selection_key(select[i]);
    uint32_t best_key = 0;
    uint32_t best_index = kNoCandidate;
    float best_score = 0.0f;
    const auto find_best = [&]() {
        best_key = 0;
        best_index = kNoCandidate;
#pragma unroll
        for (int i = 0; i < kSlots; ++i) {
            if (!(blocked >> i & 1u) && (best_index == kNoCandidate || key[i] > best_key)) {
                best_key = key[i];
                best_index = static_cast<uint32_t>(lane_idx + 32 * i);
                best_score = score[i];
            }
        }
    };
    find_best();
    int own_id = 0;
    float own_weight = 0.0f;
    float chosen_weight_sum = 0.0f;
    for (int round = 0; round < params.top_k; ++round) {
        const uint32_t chosen = warp_select(best_key, best_index);
        const int owner = static_cast<int>(chosen % 32);
        const float weight = __shfl_sync(0xffffffffu, best_score, owner);
        chosen_weight_sum += weight;  // in j order, as the reference sums
        if (lane_idx == round) {
            own_id = static_cast<int>(chosen);
            own_weight = weight;
        }
        if (lane_idx == owner) {
            blocked |= 1u << (chosen / 32);
            find_best();
        }
    }
    if (lane_idx < params.top_k) {
        float weight = own_weight;
        if (params.renormalize) weight /= chosen_weight_sum;
        weight *= params.routed_scaling_factor;
        const int64_t out = static_cast<int64_t>(token_idx) * params.top_k + lane_idx;
        params.topk_ids[out] = own_id;
        params.topk_weights[out] = weight;
        if (params.expert_counts != nullptr) atomicAdd(&counts[own_id], 1);
    }
}

// ---- What every engine shares: phase 2 over a block's tokens, the slices' arrival, the counts ----

// NOTE: ≡ 8 (mod 32) floats per row, so the float2 stores of an mma accumulator (4 rows per half-warp) hit 32
// distinct banks.
__host__ __device__ constexpr int score_stride_of(int num_experts) { return (num_experts + 31) / 32 * 32 + 8; }

// Floats of phase 2's per-warp rows: select [kRouterWarps][E], then group values [kRouterWarps][E].
__host__ __device__ constexpr int phase2_floats_of(int num_experts) { return 2 * kRouterWarps * num_experts; }

// Phase 2 for the block's tokens [0, num_tokens) (global ids from first_token), warp w taking tokens w, w + 8, ...
// `scores` rows (stride score_stride) hold the logits and become the scores; `phase2` is phase2_floats_of(E).
__device__ __forceinline__ void route_tokens(const RouterParams& params, int first_token, int num_tokens,
                                             float* scores, int score_stride, float* phase2, int* counts) {
    const int warp_idx = threadIdx.x / 32;
    float* select = phase2 + warp_idx * params.num_experts;
    float* group_values = phase2 + (kRouterWarps + warp_idx) * params.num_experts;
    // The fewest register slots that hold E (a loop per width, so each token's slots stay in registers).
    const auto route_all = [&](auto slots) {
        for (int token = warp_idx; token < num_tokens; token += kRouterWarps) {
            route_token<decltype(slots)::value>(params, first_token + token, scores + token * score_stride, select,
                                                group_values, counts);
            __syncwarp();  // NOTE: the warp's next token rewrites select and group values that any lane may read
        }
    };
    if (params.num_experts <= 64) {
        route_all(std::integral_constant<int, 2>{});
    } else if (params.num_experts <= 128) {
        route_all(std::integral_constant<int, 4>{});
    } else if (params.num_experts <= 256) {
        route_all(std::integral_constant<int, 8>{});
    } else {
        route_all(std::integral_constant<int, kExpertsPerLane>{});
    }
}

// Called by every thread once the block's stores are issued: true in every thread of the block that makes the
// `expected`-th arrival at `counter`; that block re-arms the counter (zero) for the next launch.
// NOTE: fence then arrive (release); the last block fences after seeing every arrival (acquire), so it reads every
// other block's stores. Each counter is touched only by the blocks of one launch (the C API orders launches).
// A lone arrival (expected == 1) touches no counter: the barrier alone orders the block's earlier writes and atomics
// before what it does next.
// NOTE: thread 0's answer reaches the block through __syncthreads_or, not a __shared__ flag: a static in an inline
// function is one symbol of the device link, which may give it to every kernel of the library (item 67's histogram).
__device__ __forceinline__ bool arrive_last(uint32_t* counter, uint32_t expected) {
    __syncthreads();
    if (expected == 1) return true;  // the same for every thread
    bool last = false;
    if (threadIdx.x == 0) {
        __threadfence();
        last = atomicAdd(counter, 1u) == expected - 1;
        if (last) atomicExch(counter, 0u);
    }
    last = __syncthreads_or(last);
    if (last) __threadfence();
    return last;
}

// Counts published: every block that routes tokens (every block of the tiled engine; the last slice of each token block
// of the sliced ones) calls this once, at its end, with the launch's number of such blocks. A lone routing block (one
// block of tokens: T <= 16 on the split engine, T <= 8 on the SIMT one) writes its counts straight out. Otherwise each
// adds its non-zero counts to the scratch, and the one that completes the arrivals moves the sums to the caller's
// buffer and re-zeroes the scratch for the next launch (atomicExch reads each counter after all other blocks' adds).
__device__ __forceinline__ void publish_counts(const RouterParams& params, const int* counts, uint32_t routing_blocks) {
    if (params.expert_counts == nullptr) {
        return;  // the same for every block
    }
    __syncthreads();  // NOTE: every warp's phase 2 has added its routes
    if (routing_blocks == 1) {
        for (int expert_idx = threadIdx.x; expert_idx < params.num_experts; expert_idx += kRouterThreads) {
            params.expert_counts[expert_idx] = counts[expert_idx];
        }
        return;
    }
    for (int expert_idx = threadIdx.x; expert_idx < params.num_experts; expert_idx += kRouterThreads) {
        if (counts[expert_idx] != 0) atomicAdd(&params.scratch->expert_counts[expert_idx], counts[expert_idx]);
    }
    if (!arrive_last(&params.scratch->blocks_done, routing_blocks)) {
        return;
    }
    for (int expert_idx = threadIdx.x; expert_idx < params.num_experts; expert_idx += kRouterThreads) {
        params.expert_counts[expert_idx] = atomicExch(&params.scratch->expert_counts[expert_idx], 0);
    }
}

// Dynamic shared memory of the sliced engines (split, simt), in floats: the scores rows of the block's tokens, then
// one region used first by the engine's partial sums (split) and then by phase 2.
struct SliceSharedLayout {
    int score_stride;
    int region;  // offset of the region: partial sums, then phase 2
    int total_floats;

    __host__ __device__ SliceSharedLayout(int num_experts, int num_tokens, int partial_floats)
        : score_stride(score_stride_of(num_experts)),
          region(num_tokens * score_stride_of(num_experts)),
          total_floats(region + (partial_floats > phase2_floats_of(num_experts) ? partial_floats
                                                                                : phase2_floats_of(num_experts))) {}
    size_t bytes() const { return sizeof(float) * static_cast<size_t>(total_floats); }
};

// Where a sliced block stores logit (token, expert): its own scores rows when it is the only slice, else the
// scratch's rows [T][E], which the last slice gathers.
struct LogitSink {
    float* base;
    int stride;

    __device__ __forceinline__ LogitSink(const RouterParams& params, int first_token, float* scores, int score_stride)
        : base(params.num_slices == 1 ? scores : params.slice_logits + static_cast<int64_t>(first_token) * params.num_experts),
          stride(params.num_slices == 1 ? score_stride : params.num_experts) {}
    __device__ __forceinline__ float& at(int token, int expert) const { return base[token * stride + expert]; }
};

// The end of a sliced block (all threads): one slice routes its tokens from its scores rows; with several, the last
// slice of the token block to arrive gathers the full rows from the scratch and routes them, the others are done.
__device__ __forceinline__ bool route_sliced_tokens(const RouterParams& params, int token_block, int first_token,
                                                    int num_tokens, float* shared, const SliceSharedLayout& layout,
                                                    int* counts) {
    if (params.num_slices > 1) {
        if (!arrive_last(&params.scratch->slices_done[token_block], params.num_slices)) {
            return false;
        }
        const float* rows = params.slice_logits + static_cast<int64_t>(first_token) * params.num_experts;
        for (int i = threadIdx.x; i < num_tokens * params.num_experts; i += kRouterThreads) {
            const int token = i / params.num_experts;
            const int expert = i % params.num_experts;
            shared[token * layout.score_stride + expert] = __ldcg(rows + i);  // L2: other SMs wrote them
        }
    }
    __syncthreads();  // NOTE: scores complete; the region's partial sums (split) are dead before phase 2 reuses it
    route_tokens(params, first_token, num_tokens, shared, layout.score_stride, shared + layout.region, counts);
    return true;
}

__device__ __forceinline__ uint4 load_vector(const void* address) {
    return __ldg(reinterpret_cast<const uint4*>(address));  // x and W_r are read-only for the launch
}

// ---- simt: exact fp32 on the CUDA cores (and the fallback for 16-bit rows that are not 16-byte aligned) ----

constexpr int kSimtTokens = kMinSliceTokens;  // 8: one token per warp in phase 2
constexpr int kSimtExpertsPerWarp = 4;        // experts a warp accumulates at once (32 accumulators with 8 tokens)
constexpr int kSimtMaxSliceGroups = kRouterWarps;  // expert groups per slice: one per warp

// Block (token block, slice): tokens [8 * token_block, +8) x experts of the slice. Warps take groups of 4 experts
// round-robin; each lane sums its share of K (16-byte vectors, or single elements when rows are not aligned) in K
// order, then a fixed-order butterfly sums the lanes. The order is the same whatever the slicing.
template <typename T>
__global__ void __launch_bounds__(kRouterThreads) router_simt_kernel(RouterParams params) {
    constexpr int kVector = kElementsPer16Bytes<T>;
    extern __shared__ __align__(16) unsigned char router_shared[];
    float* shared = reinterpret_cast<float*>(router_shared);
    const SliceSharedLayout layout(params.num_experts, kSimtTokens, 0);
    __shared__ int counts[kMaxExperts];  // zero_block_counts
    zero_block_counts(params, counts);  // NOTE: visible to phase 2 through the barriers before it

    const int warp_idx = threadIdx.x / 32;
    const int lane_idx = threadIdx.x % 32;
    const int token_block = blockIdx.x / params.num_slices;
    const int first_token = token_block * kSimtTokens;
    const int num_block_tokens = min(kSimtTokens, params.num_tokens - first_token);
    const int expert_begin = blockIdx.x % params.num_slices * params.slice_experts;
    const int expert_end = min(params.num_experts, expert_begin + params.slice_experts);
    const int hidden_size = params.hidden_size;
    const T* x = static_cast<const T*>(params.x) + static_cast<int64_t>(first_token) * hidden_size;
    const T* w_router = static_cast<const T*>(params.w_router);
    const LogitSink sink(params, first_token, shared, layout.score_stride);

    for (int group_begin = expert_begin + warp_idx * kSimtExpertsPerWarp; group_begin < expert_end;
         group_begin += kRouterWarps * kSimtExpertsPerWarp) {
        float partial[kSimtTokens][kSimtExpertsPerWarp] = {};
        if (params.vector_rows) {
            for (int k = lane_idx * kVector; k < hidden_size; k += 32 * kVector) {
                T w[kSimtExpertsPerWarp][kVector];
#pragma unroll
                for (int e = 0; e < kSimtExpertsPerWarp; ++e) {
                    const uint4 raw = group_begin + e < expert_end
                                          ? load_vector(w_router + static_cast<int64_t>(group_begin + e) * hidden_size + k)
                                          : make_uint4(0, 0, 0, 0);
                    *reinterpret_cast<uint4*>(w[e]) = raw;
                }
#pragma unroll
                for (int token = 0; token < kSimtTokens; ++token) {
                    if (token >= num_block_tokens) break;  // the same in every lane
                    T values[kVector];
                    *reinterpret_cast<uint4*>(values) = load_vector(x + static_cast<int64_t>(token) * hidden_size + k);
#pragma unroll
                    for (int e = 0; e < kSimtExpertsPerWarp; ++e)
#pragma unroll
                        for (int q = 0; q < kVector; ++q)
                            partial[token][e] = fmaf(to_float(values[q]), to_float(w[e][q]), partial[token][e]);
                }
            }
        } else {
            for (int k = lane_idx; k < hidden_size; k += 32) {
                float w[kSimtExpertsPerWarp];
#pragma unroll
                for (int e = 0; e < kSimtExpertsPerWarp; ++e) {
                    w[e] = group_begin + e < expert_end
                               ? to_float(w_router[static_cast<int64_t>(group_begin + e) * hidden_size + k])
                               : 0.0f;
                }
#pragma unroll
                for (int token = 0; token < kSimtTokens; ++token) {
                    if (token >= num_block_tokens) break;
                    const float value = to_float(x[static_cast<int64_t>(token) * hidden_size + k]);
#pragma unroll
                    for (int e = 0; e < kSimtExpertsPerWarp; ++e) partial[token][e] = fmaf(value, w[e], partial[token][e]);
                }
            }
        }
#pragma unroll
        for (int token = 0; token < kSimtTokens; ++token) {
#pragma unroll
            for (int e = 0; e < kSimtExpertsPerWarp; ++e) {
                const float logit = warp_sum(partial[token][e]);
                if (lane_idx == 0 && token < num_block_tokens && group_begin + e < expert_end) {
                    sink.at(token, group_begin + e) = logit;
                }
            }
        }
    }
    if (route_sliced_tokens(params, token_block, first_token, num_block_tokens, shared, layout, counts)) {
        publish_counts(params, counts, gridDim.x / params.num_slices);
    }
}

// ---- split: 16-bit, T <= kSplitMaxTokens; tensor cores fed straight from global memory ----

constexpr int kSplitTokens = 16;      // one m16 atom of tokens per block
constexpr int kSplitMaxAtoms = 4;     // n8 atoms per slice: at most 32 experts
constexpr int kSplitMaxSliceExperts = 8 * kSplitMaxAtoms;
constexpr int kSplitChunk = 32;       // K elements per warp step: one 16-byte load per row and lane quad, two k16 MMAs
// Chunks a warp loads before it multiplies (each (2 + atoms) 16-byte loads per lane). One-atom slices (decode: T <= 64
// at E = 128): 8, so that H = 2048 (64 chunks over 8 warps) is one round of loads; such launches have a few blocks
// per SM at most, so the registers (128) are free. Four-atom slices: 3 (18 loads, 124 registers: still 2 blocks per
// SM; 4 would take 148 and leave one).
constexpr int kSplitOneAtomChunksInFlight = 8;
constexpr int kSplitChunksInFlight = 3;
constexpr int kPartialStride = kSplitMaxSliceExperts + 8;  // floats per partial row; ≡ 8 (mod 32) as score rows
constexpr int kPartialFloats = kRouterWarps * kSplitTokens * kPartialStride;
static_assert(kSplitTokens >= kMinSliceTokens && kSplitTokens % kMinSliceTokens == 0, "slices_done covers the blocks");

// Block (token block, slice): tokens [16 * token_block, +16) x experts of the slice (<= kMaxAtoms n8 atoms), K split
// over the warps (warp w takes the chunks w, w + 8, ...), then the warps' partial tiles summed in warp order.
// kMaxAtoms = 1 serves one-atom slices (the smallest T, or E <= 8) with 8 chunks in flight (3 with four-atom slices).
// NOTE: the fragments need no shared memory because K may be taken in any order as long as A and B agree: lane
// (g, t) loads 8 consecutive elements k = 32 c + 8 t .. + 7 of its rows (tokens g and g + 8, expert 8 n + g) and
// feeds elements 0-3 to the chunk's first k16 MMA (a0/a1, b0 = elements 0-1; a2/a3, b1 = elements 2-3) and 4-7 to the
// second, so every k of the chunk meets its own A and B element exactly once.
template <typename T, int kMaxAtoms>
__global__ void __launch_bounds__(kRouterThreads) router_split_kernel(RouterParams params) {
    constexpr int kChunksInFlight = kMaxAtoms == 1 ? kSplitOneAtomChunksInFlight : kSplitChunksInFlight;
    static_assert(sizeof(T) == 2 && kElementsPer16Bytes<T> == 8, "two k16 atoms per 16-byte load");
    static_assert(kMaxAtoms >= 1 && kMaxAtoms <= kSplitMaxAtoms && kChunksInFlight >= 1, "slice width");
    using Atom = typename MmaAtomOf<T>::Atom;
    extern __shared__ __align__(16) unsigned char router_shared[];
    float* shared = reinterpret_cast<float*>(router_shared);
    const SliceSharedLayout layout(params.num_experts, kSplitTokens, kPartialFloats);
    __shared__ int counts[kMaxExperts];  // zero_block_counts
    zero_block_counts(params, counts);  // NOTE: visible to phase 2 through the barriers before it

    const int warp_idx = threadIdx.x / 32;
    const int lane_idx = threadIdx.x % 32;
    const int row_idx = lane_idx / 4;   // g: token row g and g + 8, expert row g of each n8 atom
    const int quad_idx = lane_idx % 4;  // t: which 16 bytes of a 64-byte chunk row
    const int token_block = blockIdx.x / params.num_slices;
    const int first_token = token_block * kSplitTokens;
    const int num_block_tokens = min(kSplitTokens, params.num_tokens - first_token);
    const int expert_begin = blockIdx.x % params.num_slices * params.slice_experts;
    const int num_slice_experts = min(params.slice_experts, params.num_experts - expert_begin);
    const int num_atoms = (num_slice_experts + 7) / 8;
    const int hidden_size = params.hidden_size;

    // This lane's rows, or null where the row does not exist (its fragment stays zero).
    const T* token_rows[2];
#pragma unroll
    for (int half = 0; half < 2; ++half) {
        const int token = row_idx + 8 * half;
        token_rows[half] = token < num_block_tokens
                               ? static_cast<const T*>(params.x) + static_cast<int64_t>(first_token + token) * hidden_size
                               : nullptr;
    }
    const T* expert_rows[kMaxAtoms];
#pragma unroll
    for (int atom = 0; atom < kMaxAtoms; ++atom) {
        const int expert = 8 * atom + row_idx;
        expert_rows[atom] = expert < num_slice_experts ? static_cast<const T*>(params.w_router) +
                                                             static_cast<int64_t>(expert_begin + expert) * hidden_size
                                                       : nullptr;
    }

    float accumulators[kMaxAtoms][4] = {};  // atom n: (token g, experts 8n + 2t, +1), (token g + 8, same)
    const int num_chunks = (hidden_size + kSplitChunk - 1) / kSplitChunk;
    for (int chunk = warp_idx; chunk < num_chunks; chunk += kRouterWarps * kChunksInFlight) {
        uint4 a[kChunksInFlight][2];
        uint4 b[kChunksInFlight][kMaxAtoms];
#pragma unroll
        for (int step = 0; step < kChunksInFlight; ++step) {
            // NOTE: H is whole 16-byte vectors, so a lane's 8 elements are all inside K or all past it.
            const int k = (chunk + step * kRouterWarps) * kSplitChunk + quad_idx * 8;
            const bool inside = k < hidden_size;
#pragma unroll
            for (int half = 0; half < 2; ++half) {
                a[step][half] = inside && token_rows[half] != nullptr ? load_vector(token_rows[half] + k)
                                                                      : make_uint4(0, 0, 0, 0);
            }
#pragma unroll
            for (int atom = 0; atom < kMaxAtoms; ++atom) {
                b[step][atom] = inside && expert_rows[atom] != nullptr ? load_vector(expert_rows[atom] + k)
                                                                       : make_uint4(0, 0, 0, 0);
            }
        }
#pragma unroll
        for (int step = 0; step < kChunksInFlight; ++step) {
#pragma unroll
            for (int atom = 0; atom < kMaxAtoms; ++atom) {
                if (atom >= num_atoms) break;  // the same in every lane
                float(&d)[4] = accumulators[atom];
                Atom::fma(d[0], d[1], d[2], d[3], a[step][0].x, a[step][1].x, a[step][0].y, a[step][1].y,
                          b[step][atom].x, b[step][atom].y, d[0], d[1], d[2], d[3]);
                Atom::fma(d[0], d[1], d[2], d[3], a[step][0].z, a[step][1].z, a[step][0].w, a[step][1].w,
                          b[step][atom].z, b[step][atom].w, d[0], d[1], d[2], d[3]);
            }
        }
    }

    // The warps' partial tiles, (warp, token, expert of the slice), summed below in warp order.
    float* partials = shared + layout.region;
    float* own = partials + warp_idx * kSplitTokens * kPartialStride;
#pragma unroll
    for (int atom = 0; atom < kMaxAtoms; ++atom) {
        const int column = 8 * atom + 2 * quad_idx;
        *reinterpret_cast<float2*>(own + row_idx * kPartialStride + column) =
            make_float2(accumulators[atom][0], accumulators[atom][1]);
        *reinterpret_cast<float2*>(own + (row_idx + 8) * kPartialStride + column) =
            make_float2(accumulators[atom][2], accumulators[atom][3]);
    }
    __syncthreads();
    const LogitSink sink(params, first_token, shared, layout.score_stride);
    for (int i = threadIdx.x; i < kSplitTokens * kSplitMaxSliceExperts; i += kRouterThreads) {
        const int token = i / kSplitMaxSliceExperts;
        const int column = i % kSplitMaxSliceExperts;
        if (token >= num_block_tokens || column >= num_slice_experts) continue;
        const float* partial = partials + token * kPartialStride + column;
        float logit = partial[0];
#pragma unroll
        for (int warp = 1; warp < kRouterWarps; ++warp) logit += partial[warp * kSplitTokens * kPartialStride];
        sink.at(token, expert_begin + column) = logit;
    }
    if (route_sliced_tokens(params, token_block, first_token, num_block_tokens, shared, layout, counts)) {
        publish_counts(params, counts, gridDim.x / params.num_slices);
    }
}

// ---- tiled: 16-bit, T > kSplitMaxTokens; a cp.async ring feeding ldmatrix and mma.sync ----

constexpr int kTiledBlockN = 128;  // experts per chunk: one pass over K each
constexpr int kTiledWarpsM = 2;
constexpr int kTiledWarpsN = 4;
constexpr int kTiledWarpN = kTiledBlockN / kTiledWarpsN;  // 32 experts per warp
constexpr int kTiledAtomsN = kTiledWarpN / 8;             // 4 n8 atoms
constexpr int kStageRowBytes = 128;                      // K bytes per staged row and stage: 64 bf16/fp16
constexpr int kStageChunks = kStageRowBytes / 16;        // 16-byte cp.async chunks per staged row
constexpr int kStageElements = kStageRowBytes / 2;
constexpr int kTiledStages = 3;                          // cp.async ring depth (kTiledStages - 1 tiles in flight)
constexpr int kTiledMinBlocksPerSm = 2;                  // one block's phase 2 overlaps the other's GEMM
constexpr int kTiledMaxExpertsAt64 = 256;                // beyond, 64 rows of scores outgrow sm_80's shared memory
static_assert(kTiledWarpsM * kTiledWarpsN == kRouterWarps, "one warp per (M, N) sub-tile");
static_assert(kStageChunks == 8, "the swizzle permutes 8 chunks by row % 8");

// kBlockM tokens per block: 64, or 32 when E > kTiledMaxExpertsAt64.
template <int kBlockM>
struct TiledShape {
    static constexpr int kWarpM = kBlockM / kTiledWarpsM;
    static constexpr int kAtomsM = kWarpM / 16;
    static constexpr int kStageRows = kBlockM + kTiledBlockN;  // x rows, then W_r rows
    static constexpr int kStageBytes = kStageRows * kStageRowBytes;
    static constexpr int kRingBytes = kTiledStages * kStageBytes;
    static_assert(kWarpM % 16 == 0 && kTiledWarpN % 16 == 0, "whole m16 atoms and ldmatrix.x4 pairs of n8 atoms");
    static_assert((kStageRows * kStageChunks) % kRouterThreads == 0, "whole cp.async rounds per full stage");
};

// Dynamic shared memory of the tiled engine, in bytes: the ring, the scores rows [kBlockM][score stride] and phase 2.
// With one expert chunk (E <= 128) the scores are written after the ring drains and may overlay it; with several the
// scores live beside the ring, and phase 2 (after the last chunk) overlays the ring.
template <int kBlockM>
struct TiledSharedLayout {
    int score_stride;
    int scores;  // byte offsets
    int phase2;
    int total_bytes;

    __host__ __device__ explicit TiledSharedLayout(int num_experts) : score_stride(score_stride_of(num_experts)) {
        const int ring = TiledShape<kBlockM>::kRingBytes;
        const int scores_bytes = static_cast<int>(sizeof(float)) * kBlockM * score_stride;
        const int phase2_bytes = static_cast<int>(sizeof(float)) * phase2_floats_of(num_experts);
        if (num_experts <= kTiledBlockN) {
            scores = 0;
            phase2 = scores_bytes;
            total_bytes = ring > scores_bytes + phase2_bytes ? ring : scores_bytes + phase2_bytes;
        } else {
            scores = ring;
            phase2 = 0;  // NOTE: fits, phase2_floats_of(kMaxExperts) * 4 = 32 KB < the smallest ring
            total_bytes = ring + scores_bytes;
        }
    }
};
static_assert(sizeof(float) * phase2_floats_of(kMaxExperts) <= TiledShape<32>::kRingBytes, "phase 2 fits the ring");

// Byte offset of 16-byte chunk `chunk` of staged row `row`. NOTE: chunk ^ (row % 8): the 8 rows that one ldmatrix
// phase reads (same logical chunk) land in 8 distinct bank groups without padding.
__device__ __forceinline__ int staged_offset(int row, int chunk) {
    return row * kStageRowBytes + ((chunk ^ (row % 8)) << 4);
}

// cp.async of 16 bytes from global `source` to shared `destination`, zero-filling it and reading nothing when
// `inside` is false (L2 only: x and W_r are streamed once per block). NOTE: CuTe's SM80_CP_ASYNC_CACHEGLOBAL_ZFILL
// (the same instruction) and SM75_U32x4_LDSM_N (ldmatrix_x4 below) take C++ references and convert a generic address
// to a shared one on every call; these take the 32-bit shared address the k-loop keeps (item 68's SASS).
__device__ __forceinline__ void cp_async_16_zfill(uint32_t destination, const void* source, bool inside) {
    asm volatile("cp.async.cg.shared.global.L2::128B [%0], [%1], 16, %2;\n" ::"r"(destination), "l"(source),
                 "r"(inside ? 16 : 0));
}

// One thread's share of the stage loads of one expert chunk: x rows [0, kBlockM) and W_r rows [0, staged_experts)
// of the chunk, K tile by K tile (elements [64 k_tile, +64)); bytes past H and rows past num_tokens / chunk_experts
// are zero-filled (no read). Thread t copies 16-byte chunk t % 8 of staged rows t / 8 + 32 i: the rows, their
// swizzled destination (row % 8 is the same for all i) and which copies exist are fixed per chunk, so a copy per
// tile costs an add and a predicate.
template <typename T, int kBlockM>
struct TiledStageLoader {
    static constexpr int kRowsPerCopy = kRouterThreads / kStageChunks;  // 32
    static constexpr int kCopies = TiledShape<kBlockM>::kStageRows / kRowsPerCopy;
    static constexpr int kTokenCopies = kBlockM / kRowsPerCopy;
    static_assert(kBlockM % kRowsPerCopy == 0 && kTiledBlockN % kRowsPerCopy == 0, "a copy is all x or all W_r rows");

    const T* rows[kCopies];  // this thread's chunk of K tile 0 in each source row (a row past the data: the matrix's
                             // first row, a valid address that is never read)
    uint32_t inside_rows;    // bit i: copy i's row exists
    int copies;              // copies per tile, the same in every thread: x rows, then the staged W_r rows
    uint32_t destination;    // stage offset of copy 0 (copy i is 32 i rows further)

    // NOTE: staged_experts is a multiple of 32 (whole copies), so `copies` is the same in every thread.
    __device__ __forceinline__ TiledStageLoader(const T* x_block, int num_tokens, const T* w_chunk, int chunk_experts,
                                                int staged_experts, int hidden_size) {
        const int first_row = threadIdx.x / kStageChunks;
        const int chunk = threadIdx.x % kStageChunks;
        copies = kTokenCopies + staged_experts / kRowsPerCopy;
        destination = static_cast<uint32_t>(staged_offset(first_row, chunk));
        inside_rows = 0;
#pragma unroll
        for (int i = 0; i < kCopies; ++i) {
            const bool is_token = i < kTokenCopies;  // known at compile time once unrolled
            const int source_row = first_row + i * kRowsPerCopy - (is_token ? 0 : kBlockM);
            const bool inside = source_row < (is_token ? num_tokens : chunk_experts);
            const T* base = is_token ? x_block : w_chunk;
            rows[i] = inside ? base + static_cast<int64_t>(source_row) * hidden_size + chunk * 8 : base;
            if (inside) inside_rows |= 1u << i;
        }
    }

    // Issues K tile `k_tile` into the stage at shared address `stage`.
    __device__ __forceinline__ void load(uint32_t stage, int k_tile, int hidden_size) const {
        const int k = k_tile * kStageElements;
        // NOTE: H is whole 16-byte chunks, so a thread's chunk is all inside K or all past it.
        const bool inside_k = k + static_cast<int>(threadIdx.x % kStageChunks) * 8 < hidden_size;
#pragma unroll
        for (int i = 0; i < kCopies; ++i) {
            if (i >= copies) break;  // the same in every thread
            const bool inside = inside_k && (inside_rows >> i & 1u);
            cp_async_16_zfill(stage + destination + i * kRowsPerCopy * kStageRowBytes, inside ? rows[i] + k : rows[i],
                              inside);
        }
    }
};

// ldmatrix.x4 at a shared-memory address (the 16-row x 32-byte block one lane's address opens): r0 = rows 0-7 of the
// block's first 16 bytes, r1 = rows 8-15 of them, r2 / r3 = the same rows' second 16 bytes — an m16 A fragment
// {a0..a3}, or the B fragments {r0, r2}, {r1, r3} of two n8 atoms.
__device__ __forceinline__ void ldmatrix_x4(uint32_t address, uint32_t (&r)[4]) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(address));
}

// Where lane `lane_idx` points ldmatrix for the 16-row block at staged rows [row0, +16) (row0 a multiple of 8) and
// logical chunks 2 s, 2 s + 1 of a stage: row row0 + lane % 16, chunk 2 s + lane / 16, swizzled by row % 8 = lane % 8
// (staged_offset). The row part and the chunk part are separate so the k-loop adds two per-thread constants.
__device__ __forceinline__ uint32_t staged_row_offset(int row0, int lane_idx) {
    return static_cast<uint32_t>((row0 + lane_idx % 16) * kStageRowBytes);
}
__device__ __forceinline__ uint32_t staged_chunk_offset(int step, int lane_idx) {
    return static_cast<uint32_t>(((2 * step + lane_idx / 16) ^ (lane_idx % 8)) << 4);
}

// Block b: tokens [kBlockM b, +kBlockM) x all experts, in chunks of 128 experts, each a full pass over K (fixed K
// order per logit); 8 warps as 2 (M) x 4 (N). The chunk's logits go to the scores rows; then the block routes.
template <typename T, int kBlockM>
__global__ void __launch_bounds__(kRouterThreads, kTiledMinBlocksPerSm) router_tiled_kernel(RouterParams params) {
    using Shape = TiledShape<kBlockM>;
    using Atom = typename MmaAtomOf<T>::Atom;
    static_assert(sizeof(T) == 2, "16-bit inputs on the tensor cores");
    extern __shared__ __align__(16) unsigned char router_shared[];
    const TiledSharedLayout<kBlockM> layout(params.num_experts);
    char* ring = reinterpret_cast<char*>(router_shared);  // (kTiledStages, kStageRows, kStageRowBytes), swizzled
    float* scores = reinterpret_cast<float*>(router_shared + layout.scores);
    __shared__ int counts[kMaxExperts];  // zero_block_counts
    zero_block_counts(params, counts);  // NOTE: visible to phase 2 through the barriers before it

    const int warp_idx = threadIdx.x / 32;
    const int lane_idx = threadIdx.x % 32;
    const int warp_m = warp_idx / kTiledWarpsN;
    const int warp_n = warp_idx % kTiledWarpsN;
    const int first_token = blockIdx.x * kBlockM;
    const int num_block_tokens = min(kBlockM, params.num_tokens - first_token);
    const int hidden_size = params.hidden_size;
    const int num_experts = params.num_experts;
    const T* x_block = static_cast<const T*>(params.x) + static_cast<int64_t>(first_token) * hidden_size;
    const int num_k_tiles = (hidden_size + kStageElements - 1) / kStageElements;
    // The ring's shared-memory address and this lane's ldmatrix row offsets, once (the k-loop adds the stage and the
    // chunk offsets).
    const uint32_t ring_address = static_cast<uint32_t>(__cvta_generic_to_shared(ring));
    uint32_t a_rows[Shape::kAtomsM];
#pragma unroll
    for (int m = 0; m < Shape::kAtomsM; ++m) a_rows[m] = staged_row_offset(warp_m * Shape::kWarpM + m * 16, lane_idx);
    uint32_t b_rows[kTiledAtomsN / 2];
#pragma unroll
    for (int pair = 0; pair < kTiledAtomsN / 2; ++pair) {
        b_rows[pair] = staged_row_offset(kBlockM + warp_n * kTiledWarpN + pair * 16, lane_idx);
    }

    for (int chunk_begin = 0; chunk_begin < num_experts; chunk_begin += kTiledBlockN) {
        const int chunk_experts = min(kTiledBlockN, num_experts - chunk_begin);
        // Rows that ldmatrix reads: every row of a warp that has one of the chunk's experts (zero past them); a warp
        // with none skips the chunk's MMAs, and rows past its span are neither staged nor read.
        const int staged_experts = min(kTiledBlockN, (chunk_experts + kTiledWarpN - 1) / kTiledWarpN * kTiledWarpN);
        const bool warp_has_work = warp_n * kTiledWarpN < chunk_experts && warp_m * Shape::kWarpM < num_block_tokens;
        const T* w_chunk = static_cast<const T*>(params.w_router) + static_cast<int64_t>(chunk_begin) * hidden_size;
        const TiledStageLoader<T, kBlockM> loader(x_block, num_block_tokens, w_chunk, chunk_experts, staged_experts,
                                                  hidden_size);
        float accumulators[Shape::kAtomsM][kTiledAtomsN][4] = {};  // (m atom, n atom, D fragment)

        // Prologue: kTiledStages - 1 tiles in flight; one commit group per tile, empty ones included, so the wait
        // count below is the same on every iteration.
#pragma unroll
        for (int s = 0; s < kTiledStages - 1; ++s) {
            if (s < num_k_tiles) loader.load(ring_address + s * Shape::kStageBytes, s, hidden_size);
            cute::cp_async_fence();
        }
        // The ring slots of tile k_tile and of tile k_tile + kTiledStages - 1 (the one loaded in its iteration),
        // advanced without a division.
        int read_slot = 0;
        int write_slot = kTiledStages - 1;
        for (int k_tile = 0; k_tile < num_k_tiles; ++k_tile) {
            cute::cp_async_wait<kTiledStages - 2>();
            // NOTE: after this barrier tile k_tile is visible to all, and every warp is done with the slot of
            // k_tile - 1, which the load below reuses.
            __syncthreads();
            const int next = k_tile + kTiledStages - 1;
            if (next < num_k_tiles) loader.load(ring_address + write_slot * Shape::kStageBytes, next, hidden_size);
            cute::cp_async_fence();
            const uint32_t stage = ring_address + static_cast<uint32_t>(read_slot * Shape::kStageBytes);
            read_slot = read_slot == kTiledStages - 1 ? 0 : read_slot + 1;
            write_slot = write_slot == kTiledStages - 1 ? 0 : write_slot + 1;

            // The MMAs of tile k_tile over all of the warp's atoms: rows past the block's tokens or the chunk's
            // experts are zero-filled and their results never stored. A warp with no work skips (warp-uniform).
            if (!warp_has_work) continue;
#pragma unroll
            for (int step = 0; step < kStageElements / 16; ++step) {
                const uint32_t chunk_offset = staged_chunk_offset(step, lane_idx);
                uint32_t a[Shape::kAtomsM][4];
#pragma unroll
                for (int m = 0; m < Shape::kAtomsM; ++m) ldmatrix_x4(stage + a_rows[m] + chunk_offset, a[m]);
                uint32_t b[kTiledAtomsN][2];
#pragma unroll
                for (int pair = 0; pair < kTiledAtomsN / 2; ++pair) {
                    uint32_t r[4];
                    ldmatrix_x4(stage + b_rows[pair] + chunk_offset, r);
                    b[2 * pair][0] = r[0];
                    b[2 * pair][1] = r[2];
                    b[2 * pair + 1][0] = r[1];
                    b[2 * pair + 1][1] = r[3];
                }
#pragma unroll
                for (int m = 0; m < Shape::kAtomsM; ++m) {
#pragma unroll
                    for (int n = 0; n < kTiledAtomsN; ++n) {
                        float(&d)[4] = accumulators[m][n];
                        Atom::fma(d[0], d[1], d[2], d[3], a[m][0], a[m][1], a[m][2], a[m][3], b[n][0], b[n][1],
                                  d[0], d[1], d[2], d[3]);
                    }
                }
            }
        }
        cute::cp_async_wait<0>();
        __syncthreads();  // NOTE: the ring is free: the next chunk's prologue, or scores / phase 2 overlaying it

        // Atom D layout: d0, d1 = (row g, columns 2t, 2t + 1), d2, d3 = (row g + 8, same); g = lane / 4, t = lane % 4.
#pragma unroll
        for (int m = 0; m < Shape::kAtomsM; ++m) {
#pragma unroll
            for (int n = 0; n < kTiledAtomsN; ++n) {
                const int expert = chunk_begin + warp_n * kTiledWarpN + n * 8 + 2 * (lane_idx % 4);
#pragma unroll
                for (int half = 0; half < 2; ++half) {
                    const int token = warp_m * Shape::kWarpM + m * 16 + lane_idx / 4 + 8 * half;
                    float* destination = scores + token * layout.score_stride + expert;
                    if (expert + 1 < num_experts) {
                        *reinterpret_cast<float2*>(destination) =
                            make_float2(accumulators[m][n][2 * half], accumulators[m][n][2 * half + 1]);
                    } else if (expert < num_experts) {
                        destination[0] = accumulators[m][n][2 * half];
                    }
                }
            }
        }
    }
    __syncthreads();
    route_tokens(params, first_token, num_block_tokens, scores, layout.score_stride,
                 reinterpret_cast<float*>(router_shared + layout.phase2), counts);
    publish_counts(params, counts, gridDim.x);
}

// ---- Host: engine choice and launch ----

// Units (n8 atoms, or SIMT expert groups) per slice: at most max_units, halved while the launch would have fewer
// than kMinSliceBlocks blocks, so that small T reads W_r from many SMs.
inline int slice_units(int num_units, int64_t num_token_blocks, int max_units) {
    int units = std::min(num_units, max_units);
    while (units > 1 && num_token_blocks * ((num_units + units - 1) / units) < kMinSliceBlocks) {
        units = (units + 1) / 2;
    }
    return units;
}

// NOTE: the kernel's shared-memory limit was raised once, when the handle was created (allow_router_shared_memory).
template <typename Kernel>
void launch_router_kernel(Kernel kernel, int64_t num_blocks, size_t shared_bytes, const RouterParams& params,
                          cudaStream_t stream, const char* name) {
    kernel<<<static_cast<unsigned>(num_blocks), kRouterThreads, shared_bytes, stream>>>(params);
    FLASHMOE_CHECK_LAUNCH(name);
}

inline bool is_16_byte_aligned(const void* pointer) { return reinterpret_cast<uintptr_t>(pointer) % 16 == 0; }

}  // namespace flashmoe::router

namespace flashmoe {

// Raises each router kernel's dynamic shared-memory limit (current device) to what it needs at the largest E it
// serves, so no launch sets it and no handle can lower it below another's needs. Called by flashmoe_router_create.
template <typename T>
void allow_router_shared_memory() {
    using namespace router;
    const auto allow = [](auto kernel, size_t bytes) {
        FLASHMOE_CUDA_CHECK(
            cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)));
    };
    if constexpr (sizeof(T) == 2) {
        allow(router_tiled_kernel<T, 64>, TiledSharedLayout<64>(kTiledMaxExpertsAt64).total_bytes);
        allow(router_tiled_kernel<T, 32>, TiledSharedLayout<32>(kMaxExperts).total_bytes);
        const size_t split_bytes = SliceSharedLayout(kMaxExperts, kSplitTokens, kPartialFloats).bytes();
        allow(router_split_kernel<T, 1>, split_bytes);
        allow(router_split_kernel<T, kSplitMaxAtoms>, split_bytes);
    }
    allow(router_simt_kernel<T>, SliceSharedLayout(kMaxExperts, kSimtTokens, 0).bytes());
}

template <typename T>
void launch_router(const flashmoe_router_config& config, const flashmoe_router_args& args, router::RouterScratch* scratch,
                   const router::RouterTuning& tuning, cudaStream_t stream) {
    using namespace router;
    RouterParams params{};
    params.x = args.x;
    params.w_router = args.w_router;
    params.expert_bias = args.expert_bias;
    params.topk_ids = args.topk_ids;
    params.topk_weights = args.topk_weights;
    params.expert_counts = args.expert_counts;
    params.scratch = scratch;
    params.slice_logits = reinterpret_cast<float*>(scratch + 1);  // router_scratch_bytes: the logits follow
    params.num_tokens = static_cast<int>(args.num_tokens);
    params.hidden_size = static_cast<int>(config.hidden_size);
    params.num_experts = static_cast<int>(config.num_experts);
    params.top_k = static_cast<int>(config.top_k);
    params.scoring = config.scoring;
    params.renormalize = config.renormalize;
    params.num_groups = config.num_groups;
    params.top_groups = config.top_groups;
    params.routed_scaling_factor = config.routed_scaling_factor;
    params.num_slices = 1;
    params.slice_experts = params.num_experts;
    params.vector_rows = config.hidden_size % kElementsPer16Bytes<T> == 0 && is_16_byte_aligned(args.x) &&
                         is_16_byte_aligned(args.w_router);
    const int64_t num_tokens = args.num_tokens;
    const int num_experts = params.num_experts;
    const bool sliced = router_launch_sliced(num_tokens, tuning);  // the scratch holds logits for these

    if constexpr (sizeof(T) == 2) {
        if (params.vector_rows && !sliced) {
            if (num_experts <= kTiledMaxExpertsAt64) {
                constexpr int kBlockM = 64;
                launch_router_kernel(router_tiled_kernel<T, kBlockM>, (num_tokens + kBlockM - 1) / kBlockM,
                                     TiledSharedLayout<kBlockM>(num_experts).total_bytes, params, stream,
                                     "router_tiled_kernel");
            } else {
                constexpr int kBlockM = 32;
                launch_router_kernel(router_tiled_kernel<T, kBlockM>, (num_tokens + kBlockM - 1) / kBlockM,
                                     TiledSharedLayout<kBlockM>(num_experts).total_bytes, params, stream,
                                     "router_tiled_kernel");
            }
            return;
        }
        if (params.vector_rows) {
            const int64_t num_token_blocks = (num_tokens + kSplitTokens - 1) / kSplitTokens;
            const int atoms = slice_units((num_experts + 7) / 8, num_token_blocks, kSplitMaxAtoms);
            params.slice_experts = 8 * atoms;
            params.num_slices = (num_experts + params.slice_experts - 1) / params.slice_experts;
            const size_t shared_bytes = SliceSharedLayout(num_experts, kSplitTokens, kPartialFloats).bytes();
            if (atoms == 1) {
                launch_router_kernel(router_split_kernel<T, 1>, num_token_blocks * params.num_slices, shared_bytes,
                                     params, stream, "router_split_kernel");
            } else {
                launch_router_kernel(router_split_kernel<T, kSplitMaxAtoms>, num_token_blocks * params.num_slices,
                                     shared_bytes, params, stream, "router_split_kernel");
            }
            return;
        }
    }
    const int64_t num_token_blocks = (num_tokens + kSimtTokens - 1) / kSimtTokens;
    if (sliced) {
        const int groups = slice_units((num_experts + kSimtExpertsPerWarp - 1) / kSimtExpertsPerWarp, num_token_blocks,
                                       kSimtMaxSliceGroups);
        params.slice_experts = kSimtExpertsPerWarp * groups;
        params.num_slices = (num_experts + params.slice_experts - 1) / params.slice_experts;
    }
    launch_router_kernel(router_simt_kernel<T>, num_token_blocks * params.num_slices,
                         SliceSharedLayout(num_experts, kSimtTokens, 0).bytes(), params, stream, "router_simt_kernel");
}

}  // namespace flashmoe
