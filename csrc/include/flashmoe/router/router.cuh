// The router in one kernel launch and nothing else on the stream: logits = x · W_r^T (fp32 accumulation), softmax or
// sigmoid (+ expert bias for selection), grouped top-k, descending order with ties to the lower id, renormalise, scale,
// expert counts (exact integer sums in a router-owned scratch; the last block to finish publishes and re-zeroes it).
#pragma once

#include <cuda_runtime.h>

#include <climits>
#include <cstdint>

#include "flashmoe/common/dtype.cuh"
#include "flashmoe/common/error.h"
#include "flashmoe/router/router_launch.h"

namespace flashmoe::router {

constexpr int kRouterThreads = 256;
constexpr int kRouterWarps = kRouterThreads / 32;
constexpr int kTokensPerBlock = 4;          // tokens sharing each read of W_r
constexpr int kExpertsPerLane = kMaxExperts / 32;
static_assert(kTokensPerBlock <= kRouterWarps, "phase 2 runs one warp per token");

struct RouterParams {
    const void* x;            // [T][H]
    const void* w_router;     // [E][H]
    const float* expert_bias; // [E] optional
    int32_t* topk_ids;        // [T][k]
    float* topk_weights;      // [T][k]
    int32_t* expert_counts;   // [E] optional; written (not accumulated) by the last block of the launch
    RouterScratch* scratch;   // the handle's scratch; used only when expert_counts is set
    int num_tokens;
    int hidden_size;
    int num_experts;
    int top_k;
    int scoring;
    int renormalize;
    int num_groups;
    int top_groups;
    float routed_scaling_factor;
};

// Selection order: larger value first, ties to the lower index; an empty candidate (index INT_MAX) always loses.
__device__ __forceinline__ bool precedes(float value, int index, float best_value, int best_index) {
    return best_index == INT_MAX || value > best_value || (value == best_value && index < best_index);
}

// Warp-wide argmax under precedes(); every lane returns lane 0's answer so all agree even with NaNs.
__device__ __forceinline__ int warp_argmax(float value, int index) {
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2) {
        const float other_value = __shfl_xor_sync(0xffffffffu, value, offset);
        const int other_index = __shfl_xor_sync(0xffffffffu, index, offset);
        if (other_index != INT_MAX && precedes(other_value, other_index, value, index)) {
            value = other_value;
            index = other_index;
        }
    }
    return __shfl_sync(0xffffffffu, index, 0);
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

// Phase 2 for one token, by one warp: scoring, (grouped) top-k, weights; adds its routes to the scratch counts.
// `score`, `select` and `group_value` are this token's rows of the block's shared arrays.
__device__ __forceinline__ void route_token(const RouterParams& params, int token_idx, float* score, float* select,
                                            float* group_value) {
    const int lane_idx = threadIdx.x % 32;
    const int num_experts = params.num_experts;
    if (params.scoring == FLASHMOE_SCORING_SOFTMAX) {
        float local_max = -INFINITY;
        for (int e = lane_idx; e < num_experts; e += 32) local_max = fmaxf(local_max, score[e]);
        const float max_logit = warp_max(local_max);
        float local_sum = 0.0f;
        for (int e = lane_idx; e < num_experts; e += 32) {
            const float value = expf(score[e] - max_logit);
            score[e] = value;
            local_sum += value;
        }
        const float inverse_sum = 1.0f / warp_sum(local_sum);
        for (int e = lane_idx; e < num_experts; e += 32) {
            score[e] *= inverse_sum;
            select[e] = score[e];
        }
    } else {
        for (int e = lane_idx; e < num_experts; e += 32) {
            score[e] = 1.0f / (1.0f + expf(-score[e]));
            select[e] = score[e] + (params.expert_bias != nullptr ? params.expert_bias[e] : 0.0f);
        }
    }
    __syncwarp();

    // Lane-local mask of experts that may not be chosen (outside kept groups, or already chosen); bit i is expert
    // lane_idx + 32 * i.
    uint32_t blocked = 0;
    if (params.num_groups > 1) {
        const int group_size = num_experts / params.num_groups;
        for (int group_idx = lane_idx; group_idx < params.num_groups; group_idx += 32) {
            float top1 = -INFINITY, top2 = -INFINITY;
            for (int e = group_idx * group_size; e < (group_idx + 1) * group_size; ++e) {
                const float value = select[e];
                if (value > top1) {
                    top2 = top1;
                    top1 = value;
                } else if (value > top2) {
                    top2 = value;
                }
            }
            group_value[group_idx] = group_size >= 2 ? top1 + top2 : top1;
        }
        __syncwarp();
        uint32_t kept_groups = 0;  // bit i: group lane_idx + 32 * i kept
        for (int round = 0; round < params.top_groups; ++round) {
            float best_value = 0.0f;
            int best_index = INT_MAX;
            for (int i = 0, g = lane_idx; g < params.num_groups; ++i, g += 32) {
                if (!(kept_groups >> i & 1u) && precedes(group_value[g], g, best_value, best_index)) {
                    best_value = group_value[g];
                    best_index = g;
                }
            }
            const int chosen = warp_argmax(best_value, best_index);
            if (chosen % 32 == lane_idx) kept_groups |= 1u << (chosen / 32);
        }
        // The values are no longer needed: reuse them as kept flags (lanes own different groups).
        for (int i = 0, g = lane_idx; g < params.num_groups; ++i, g += 32) {
            group_value[g] = (kept_groups >> i & 1u) ? 1.0f : 0.0f;
        }
        __syncwarp();
        for (int i = 0, e = lane_idx; e < num_experts; ++i, e += 32) {
            if (group_value[e / group_size] == 0.0f) blocked |= 1u << i;
        }
    }

    const int64_t out_base = static_cast<int64_t>(token_idx) * params.top_k;
    float chosen_weight_sum = 0.0f;
    float chosen_weights[16];
    int chosen_ids[16];
    for (int round = 0; round < params.top_k; ++round) {
        float best_value = 0.0f;
        int best_index = INT_MAX;
        for (int i = 0, e = lane_idx; e < num_experts; ++i, e += 32) {
            if (!(blocked >> i & 1u) && precedes(select[e], e, best_value, best_index)) {
                best_value = select[e];
                best_index = e;
            }
        }
        const int chosen = warp_argmax(best_value, best_index);
        if (chosen % 32 == lane_idx) blocked |= 1u << (chosen / 32);
        chosen_ids[round] = chosen;
        chosen_weights[round] = score[chosen];
        chosen_weight_sum += chosen_weights[round];  // in j order, as the reference sums
    }
    if (lane_idx == 0) {
        for (int round = 0; round < params.top_k; ++round) {
            float weight = chosen_weights[round];
            if (params.renormalize) weight /= chosen_weight_sum;
            weight *= params.routed_scaling_factor;
            params.topk_ids[out_base + round] = chosen_ids[round];
            params.topk_weights[out_base + round] = weight;
            if (params.expert_counts != nullptr) atomicAdd(&params.scratch->expert_counts[chosen_ids[round]], 1);
        }
    }
}

template <typename T>
__global__ void __launch_bounds__(kRouterThreads) router_kernel(RouterParams params) {
    __shared__ float scores[kTokensPerBlock][kMaxExperts];     // logits, then scores
    __shared__ float selection[kTokensPerBlock][kMaxExperts];  // what top-k ranks by
    __shared__ float group_values[kTokensPerBlock][kMaxExperts];

    const int warp_idx = threadIdx.x / 32;
    const int lane_idx = threadIdx.x % 32;
    const int first_token = blockIdx.x * kTokensPerBlock;
    const int num_block_tokens = min(kTokensPerBlock, params.num_tokens - first_token);
    const T* x = static_cast<const T*>(params.x) + static_cast<int64_t>(first_token) * params.hidden_size;
    const T* w_router = static_cast<const T*>(params.w_router);

    // Phase 1: warps split experts; each lane a strided slice of H, then a fixed-order butterfly sum.
    for (int expert_idx = warp_idx; expert_idx < params.num_experts; expert_idx += kRouterWarps) {
        const T* w_row = w_router + static_cast<int64_t>(expert_idx) * params.hidden_size;
        float partial[kTokensPerBlock] = {};
        for (int feature = lane_idx; feature < params.hidden_size; feature += 32) {
            const float w = to_float(w_row[feature]);
#pragma unroll
            for (int token = 0; token < kTokensPerBlock; ++token) {
                if (token < num_block_tokens) {
                    partial[token] = fmaf(to_float(x[static_cast<int64_t>(token) * params.hidden_size + feature]), w,
                                          partial[token]);
                }
            }
        }
#pragma unroll
        for (int token = 0; token < kTokensPerBlock; ++token) {
            const float logit = warp_sum(partial[token]);
            if (lane_idx == 0) {
                scores[token][expert_idx] = logit;
            }
        }
    }
    __syncthreads();

    // Phase 2: one warp per token.
    const int token = warp_idx;
    if (token < num_block_tokens) {
        route_token(params, first_token + token, scores[token], selection[token], group_values[token]);
    }
    if (params.expert_counts == nullptr) {
        return;  // the same for every block
    }

    // Last block done: the block that completes the launch's arrivals publishes the counts and re-zeroes the scratch
    // for the next launch. NOTE: fence then arrive (release); the last block fences after seeing every arrival
    // (acquire), and atomicExch reads each counter after all other blocks' adds.
    __shared__ bool is_last_block;
    __syncthreads();
    if (threadIdx.x == 0) {
        __threadfence();
        is_last_block = atomicAdd(&params.scratch->blocks_done, 1u) == gridDim.x - 1;
    }
    __syncthreads();
    if (!is_last_block) {
        return;
    }
    __threadfence();
    for (int expert_idx = threadIdx.x; expert_idx < params.num_experts; expert_idx += kRouterThreads) {
        params.expert_counts[expert_idx] = atomicExch(&params.scratch->expert_counts[expert_idx], 0);
    }
    if (threadIdx.x == 0) {
        atomicExch(&params.scratch->blocks_done, 0u);
    }
}

}  // namespace flashmoe::router

namespace flashmoe {

template <typename T>
void launch_router(const flashmoe_router_config& config, const flashmoe_router_args& args, router::RouterScratch* scratch,
                   cudaStream_t stream) {
    using namespace router;
    RouterParams params{};
    params.x = args.x;
    params.w_router = args.w_router;
    params.expert_bias = args.expert_bias;
    params.topk_ids = args.topk_ids;
    params.topk_weights = args.topk_weights;
    params.expert_counts = args.expert_counts;
    params.scratch = scratch;
    params.num_tokens = static_cast<int>(args.num_tokens);
    params.hidden_size = static_cast<int>(config.hidden_size);
    params.num_experts = static_cast<int>(config.num_experts);
    params.top_k = static_cast<int>(config.top_k);
    params.scoring = config.scoring;
    params.renormalize = config.renormalize;
    params.num_groups = config.num_groups;
    params.top_groups = config.top_groups;
    params.routed_scaling_factor = config.routed_scaling_factor;
    const auto blocks = static_cast<unsigned>((args.num_tokens + kTokensPerBlock - 1) / kTokensPerBlock);
    router_kernel<T><<<blocks, kRouterThreads, 0, stream>>>(params);
    FLASHMOE_CHECK_LAUNCH("router_kernel");
}

}  // namespace flashmoe
