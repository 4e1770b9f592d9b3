// Slot assignment, run by all warps of the OS block before the scheduler starts: per-expert counts, capacity drops
// and each route's row in the packed, tile-padded layout. Deterministic: ranks come from (t, j) order, not atomics.
#pragma once

#include <cstdint>

#include "flashmoe/comm/ep_device.cuh"
#include "flashmoe/fused/sync.cuh"
#include "flashmoe/fused/types.cuh"
#include "flashmoe/common/route_check.cuh"

namespace flashmoe::fused {

// Shared memory the slot assignment needs, in int32 words: per-warp counts and running ranks, then offsets.
__host__ __device__ constexpr int64_t routing_shared_words(int64_t num_experts) {
    return (2 * TileConfig::kWarps + 1) * num_experts + 2;
}

// Fills route_row, row_route, tile_expert, tile_rows, the control block's num_row_tiles / dropped_routes and the
// caller's expert_counts / dropped_routes, then publishes routing_epoch. Returns the number of row tiles.
// Called by every thread of the OS block.
__device__ inline int assign_slots(const KernelParams& params, uint32_t epoch, int32_t* shared) {
    constexpr int kWarps = TileConfig::kWarps;
    constexpr int kBlockM = TileConfig::kBlockM;
    const int num_experts = params.num_experts;
    const int num_routes = params.num_tokens * params.top_k;
    const int warp_idx = threadIdx.x / 32;
    const int lane_idx = threadIdx.x % 32;
    int32_t* warp_counts = shared;                             // (kWarps, E): routes per expert in a warp's range
    int32_t* warp_ranks = shared + kWarps * num_experts;       // (kWarps, E): first rank of the warp, then running
    int32_t* expert_offset = shared + 2 * kWarps * num_experts;  // (E): first row of the expert's segment
    int32_t* totals = expert_offset + num_experts;             // [0] row tiles, [1] dropped routes

    for (int i = threadIdx.x; i < kWarps * num_experts; i += blockDim.x) {
        warp_counts[i] = 0;
    }
    __syncthreads();

    // Each warp owns one contiguous range of routes, so ranks across warps follow route order.
    const int routes_per_warp = (num_routes + kWarps - 1) / kWarps;
    const int range_begin = min(num_routes, warp_idx * routes_per_warp);
    const int range_end = min(num_routes, range_begin + routes_per_warp);

    // Loads the experts of kBatch chunks of 32 routes at once, so their latencies overlap. NOTE: measured neutral on the
    // H100 (docs/perf-notes.md, 2026-11-23 "slot assignment"): the routing wait is not these loads.
    constexpr int kBatch = 8;
    auto load_batch = [&](int base, int (&experts)[kBatch], bool report) {
#pragma unroll
        for (int u = 0; u < kBatch; ++u) {
            const int route = base + u * 32 + lane_idx;
            experts[u] = route < range_end
                             ? checked_route_expert(params.topk_ids, params.topk_weights, route, num_experts)
                             : -1;
        }
        if (!report) return;
#pragma unroll
        for (int u = 0; u < kBatch; ++u) {
            const int route = base + u * 32 + lane_idx;
            if (route < range_end && experts[u] < 0) {
                const int32_t id = params.topk_ids[route];
                const bool id_ok = id >= 0 && id < num_experts;
                const uint32_t weight_bits = __float_as_uint(params.topk_weights[route]);
                report_error(params, epoch, FLASHMOE_ERROR_ROUTING, Role::kOs,
                             id_ok ? WaitWhat::kBadRouteWeight : WaitWhat::kBadRoute, id, route / params.top_k,
                             id_ok ? weight_bits : static_cast<uint64_t>(static_cast<uint32_t>(id)),
                             static_cast<uint64_t>(num_experts), 0, false);
                // NOTE: treated as a dropped route so nothing reads out of bounds and no NaN reaches y
            }
        }
    };

    // Pass 1: counts per (warp, expert).
    for (int base = range_begin; base < range_end; base += 32 * kBatch) {
        int experts[kBatch];
        load_batch(base, experts, true);
#pragma unroll
        for (int u = 0; u < kBatch; ++u) {
            const int expert = experts[u];
            const uint32_t peers = __match_any_sync(0xffffffffu, expert);
            if (expert >= 0 && lane_idx == __ffs(peers) - 1) {
                warp_counts[warp_idx * num_experts + expert] += __popc(peers);
            }
            __syncwarp();
        }
    }
    __syncthreads();

    // Per expert: the warps' first ranks, the total before drops, what capacity keeps.
    for (int expert = threadIdx.x; expert < num_experts; expert += blockDim.x) {
        int total = 0;
        for (int w = 0; w < kWarps; ++w) {
            warp_ranks[w * num_experts + expert] = total;
            total += warp_counts[w * num_experts + expert];
        }
        warp_counts[expert] = total;  // NOTE: row 0 of warp_counts now holds the per-expert totals
        if (params.expert_counts != nullptr) {
            params.expert_counts[expert] = total;
        }
    }
    __syncthreads();

    // Segment offsets: each expert's kept routes padded to the row tile. A block-wide exclusive scan: each thread a
    // contiguous chunk of experts, thread 0 scans the per-thread sums (the OS block has kThreads threads).
    {
        __shared__ int32_t chunk_rows[TileConfig::kThreads];
        __shared__ int32_t chunk_dropped[TileConfig::kThreads];
        const int chunk = (num_experts + blockDim.x - 1) / blockDim.x;
        const int first = min(num_experts, static_cast<int>(threadIdx.x) * chunk);
        const int last = min(num_experts, first + chunk);
        int rows = 0;
        int dropped = 0;
        for (int expert = first; expert < last; ++expert) {
            const int total = warp_counts[expert];
            const int kept = min(total, params.capacity);
            dropped += total - kept;
            rows += (kept + kBlockM - 1) / kBlockM * kBlockM;
        }
        chunk_rows[threadIdx.x] = rows;
        chunk_dropped[threadIdx.x] = dropped;
        __syncthreads();
        if (threadIdx.x == 0) {
            int running = 0;
            int dropped_total = 0;
            for (int t = 0; t < static_cast<int>(blockDim.x); ++t) {
                const int count = chunk_rows[t];
                chunk_rows[t] = running;
                running += count;
                dropped_total += chunk_dropped[t];
            }
            totals[0] = running / kBlockM;
            totals[1] = dropped_total;
        }
        __syncthreads();
        int offset = chunk_rows[threadIdx.x];
        for (int expert = first; expert < last; ++expert) {
            expert_offset[expert] = offset;
            offset += (min(warp_counts[expert], params.capacity) + kBlockM - 1) / kBlockM * kBlockM;
        }
    }
    __syncthreads();

    // Tile metadata, one expert per thread.
    int32_t* tile_expert = params.layout.get_tile_expert_ptr();
    int32_t* tile_rows = params.layout.get_tile_rows_ptr();
    // Expert parallelism also needs each tile's index within its (owner, expert) pair and each expert's kept rows.
    constexpr bool ep = ep_enabled(KernelParams{});  // compile time: see comm/ep_device.cuh
    int32_t* tile_pair_index = params.layout.get_tile_pair_index_ptr();
    int32_t* expert_kept = params.layout.get_expert_kept_ptr();
    for (int expert = threadIdx.x; expert < num_experts; expert += blockDim.x) {
        const int kept = min(warp_counts[expert], params.capacity);
        const int first_tile = expert_offset[expert] / kBlockM;
        for (int i = 0; i * kBlockM < kept; ++i) {
            tile_expert[first_tile + i] = expert;
            tile_rows[first_tile + i] = min(kBlockM, kept - i * kBlockM);
            if (ep) tile_pair_index[first_tile + i] = i;
        }
        if (ep) expert_kept[expert] = kept;
    }

    // Pass 2: ranks in (t, j) order (chunks in order, lanes in order); the first `capacity` routes of an expert are
    // kept.
    int32_t* route_row = params.layout.get_route_row_ptr();
    int32_t* row_route = params.layout.get_row_route_ptr();
    const uint32_t lower_lanes = (1u << lane_idx) - 1u;
    for (int base = range_begin; base < range_end; base += 32 * kBatch) {
        int experts[kBatch];
        load_batch(base, experts, false);
#pragma unroll
        for (int u = 0; u < kBatch; ++u) {
            const int route = base + u * 32 + lane_idx;
            const int expert = experts[u];
            const uint32_t peers = __match_any_sync(0xffffffffu, expert);
            int rank = 0;
            if (expert >= 0) {
                rank = warp_ranks[warp_idx * num_experts + expert] + __popc(peers & lower_lanes);
            }
            __syncwarp();
            if (expert >= 0 && lane_idx == __ffs(peers) - 1) {
                warp_ranks[warp_idx * num_experts + expert] += __popc(peers);
            }
            if (route < range_end) {
                int row = -1;
                if (expert >= 0 && rank < params.capacity) {
                    row = expert_offset[expert] + rank;
                    row_route[row] = route;
                }
                route_row[route] = row;
            }
            __syncwarp();
        }
    }
    __threadfence();  // every writer fences before thread 0's release below
    __syncthreads();

    const int num_row_tiles = totals[0];
    if (threadIdx.x == 0) {
        ControlBlock* control = params.layout.get_control_ptr();
        control->num_row_tiles = num_row_tiles;
        control->dropped_routes = totals[1];
        control->dispatch_next = 0;  // processors claim tiles from it only after the release below
        control->task_next = 0;      // and queue tickets from this one
        if (params.dropped_routes != nullptr) {
            *params.dropped_routes = totals[1];
        }
        __threadfence();
        store_release(&control->routing_epoch, epoch);
    }
    return num_row_tiles;
}

}  // namespace flashmoe::fused
