// Routing stages of the unfused layer: count routes per expert, assign each kept route a packed row in (t, j)
// order with the capacity rule, and gather x rows into the packed buffer. Deterministic: no position depends on
// the order in which atomics land (integer counts do not).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "flashmoe/common/capacity.h"
#include "flashmoe/unfused/workspace.h"
#include "flashmoe/common/route_check.cuh"

namespace flashmoe::unfused {

constexpr int kRoutingThreads = kRoutesPerChunk;  // one thread per route of a chunk
constexpr int kRoutingWarps = kRoutingThreads / 32;
constexpr int kPlanThreads = 512;                  // one thread per expert (E <= 512)
static_assert(kRoutingThreads % 32 == 0, "chunks are whole warps");

// (a) Per-chunk histogram of expert ids; invalid routes (id outside [0, E) or non-finite weight) are counted in the
// status word and otherwise ignored.
__global__ void __launch_bounds__(kRoutingThreads)
count_chunk_routes_kernel(const int32_t* __restrict__ topk_ids, const float* __restrict__ topk_weights,
                          int num_routes, int num_experts,
                          int32_t* __restrict__ chunk_counts, int32_t* __restrict__ status) {
    __shared__ int32_t counts[kPlanThreads];
    for (int expert_idx = threadIdx.x; expert_idx < num_experts; expert_idx += blockDim.x) {
        counts[expert_idx] = 0;
    }
    __syncthreads();
    const int route_idx = blockIdx.x * kRoutesPerChunk + threadIdx.x;
    if (route_idx < num_routes) {
        const int expert_idx = checked_route_expert(topk_ids, topk_weights, route_idx, num_experts);
        if (expert_idx >= 0) {
            atomicAdd(&counts[expert_idx], 1);
        } else {
            atomicAdd(&status[kStatusInvalidRoutes], 1);
        }
    }
    __syncthreads();
    for (int expert_idx = threadIdx.x; expert_idx < num_experts; expert_idx += blockDim.x) {
        chunk_counts[static_cast<int64_t>(blockIdx.x) * num_experts + expert_idx] = counts[expert_idx];
    }
}

// (b, first half) One block: per expert, the exclusive prefix of its chunk counts (in place), its total, its kept
// count under the capacity, and the packed-row and row-tile offsets of every expert.
__global__ void __launch_bounds__(kPlanThreads)
plan_experts_kernel(int32_t* __restrict__ chunk_prefix, int num_chunks, int num_experts, int capacity, int tile_rows,
                    int32_t* __restrict__ expert_counts, int32_t* __restrict__ row_offsets,
                    int32_t* __restrict__ tile_offsets, int32_t* __restrict__ status,
                    int32_t* __restrict__ user_expert_counts, int32_t* __restrict__ user_dropped_routes) {
    __shared__ int32_t kept[kPlanThreads];
    __shared__ int32_t tiles[kPlanThreads];
    const int expert_idx = threadIdx.x;
    int32_t total = 0;
    if (expert_idx < num_experts) {
        // Coalesced across experts; chunks in ascending order is what makes slots follow (t, j).
        for (int chunk_idx = 0; chunk_idx < num_chunks; ++chunk_idx) {
            int32_t* cell = chunk_prefix + static_cast<int64_t>(chunk_idx) * num_experts + expert_idx;
            const int32_t count = *cell;
            *cell = total;
            total += count;
        }
        expert_counts[expert_idx] = total;
        if (user_expert_counts != nullptr) {
            user_expert_counts[expert_idx] = total;
        }
        kept[expert_idx] = min(total, capacity);
        tiles[expert_idx] = (kept[expert_idx] + tile_rows - 1) / tile_rows;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        // E <= 512 additions: a serial scan is cheaper than being clever, and fixed in order.
        int32_t row = 0, tile = 0, dropped = 0;
        for (int e = 0; e < num_experts; ++e) {
            row_offsets[e] = row;
            tile_offsets[e] = tile;
            row += kept[e];
            tile += tiles[e];
            dropped += expert_counts[e] - kept[e];
        }
        row_offsets[num_experts] = row;
        tile_offsets[num_experts] = tile;
        status[kStatusDroppedRoutes] = dropped;
        if (user_dropped_routes != nullptr) {
            *user_dropped_routes = dropped;
        }
    }
}

// (b, second half) The rank of a route among its expert's routes = routes of that expert in earlier chunks
// + in earlier warps of this chunk + in earlier lanes of this warp (__match_any_sync). Ranks >= capacity drop.
__global__ void __launch_bounds__(kRoutingThreads)
assign_slots_kernel(const int32_t* __restrict__ topk_ids, const float* __restrict__ topk_weights, int num_routes, int num_experts, int top_k, int capacity,
                    const int32_t* __restrict__ chunk_prefix, const int32_t* __restrict__ row_offsets,
                    int32_t* __restrict__ route_slot, int32_t* __restrict__ row_token) {
    __shared__ int32_t warp_counts[kRoutingWarps][kPlanThreads];  // (warp, expert) routes in this chunk
    const int warp_idx = threadIdx.x / 32;
    const int lane_idx = threadIdx.x % 32;
    for (int index = threadIdx.x; index < kRoutingWarps * num_experts; index += blockDim.x) {
        warp_counts[index / num_experts][index % num_experts] = 0;
    }
    __syncthreads();
    const int route_idx = blockIdx.x * kRoutesPerChunk + threadIdx.x;
    int expert_idx = -1;  // -1: past the end or invalid id; such lanes match each other and are skipped
    if (route_idx < num_routes) {
        expert_idx = checked_route_expert(topk_ids, topk_weights, route_idx, num_experts);
    }
    const unsigned peers = __match_any_sync(0xffffffffu, expert_idx);
    const int rank_in_warp = __popc(peers & ((1u << lane_idx) - 1u));
    if (expert_idx >= 0 && rank_in_warp == 0) {
        warp_counts[warp_idx][expert_idx] = __popc(peers);
    }
    __syncthreads();
    if (route_idx >= num_routes) {
        return;
    }
    int32_t slot = -1;
    if (expert_idx >= 0) {
        int32_t rank = chunk_prefix[static_cast<int64_t>(blockIdx.x) * num_experts + expert_idx] + rank_in_warp;
        for (int earlier_warp = 0; earlier_warp < warp_idx; ++earlier_warp) {
            rank += warp_counts[earlier_warp][expert_idx];
        }
        if (rank < capacity) {
            slot = row_offsets[expert_idx] + rank;
            row_token[slot] = route_idx / top_k;
        }
    }
    route_slot[route_idx] = slot;
}

// (c) Copies x[row_token[row]] into packed row `row`; one block per packed row, 16-byte vectors when aligned.
__global__ void gather_rows_kernel(const void* __restrict__ x, int64_t row_bytes, const int32_t* __restrict__ row_offsets,
                                   int num_experts, const int32_t* __restrict__ row_token, void* __restrict__ x_packed,
                                   bool vector_copy) {
    const int row_idx = blockIdx.x;
    if (row_idx >= row_offsets[num_experts]) {
        return;  // the grid is sized for every route; drops leave fewer rows
    }
    const char* source = static_cast<const char*>(x) + static_cast<int64_t>(row_token[row_idx]) * row_bytes;
    char* destination = static_cast<char*>(x_packed) + static_cast<int64_t>(row_idx) * row_bytes;
    if (vector_copy) {
        const auto* source_vectors = reinterpret_cast<const uint4*>(source);
        auto* destination_vectors = reinterpret_cast<uint4*>(destination);
        for (int64_t index = threadIdx.x; index < row_bytes / 16; index += blockDim.x) {
            destination_vectors[index] = source_vectors[index];
        }
    } else {
        for (int64_t index = threadIdx.x; index < row_bytes; index += blockDim.x) {
            destination[index] = source[index];
        }
    }
}

}  // namespace flashmoe::unfused
