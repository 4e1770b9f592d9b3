// Slot assignment: per-expert counts, capacity drops and each route's row in the packed, tile-padded layout.
// Deterministic: ranks come from (t, j) order, never from atomics. A launch of few routes is assigned by the OS block
// alone; a larger one is cut into route chunks that processors 0 .. C-1 count and rank (two passes over their chunk)
// while the OS block scans the chunks' counts in between: the single-block version was 10 % of the kernel at large T.
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

// How many route chunks a launch's slot assignment uses (1: the OS block alone): one per KernelParams::routes_per_chunk
// routes, at most kMaxRoutingChunks and the processor count. The chunks are contiguous, in route order,
// ceil(routes / chunks) routes each; chunk c is counted and ranked by processor c.
__host__ __device__ inline int routing_chunks(const KernelParams& params) {
    const int num_routes = params.num_tokens * params.top_k;
    const int per_chunk = params.routes_per_chunk;
    int chunks = (num_routes + per_chunk - 1) / per_chunk;
    chunks = chunks < WorkspaceLayout::kMaxRoutingChunks ? chunks : WorkspaceLayout::kMaxRoutingChunks;
    chunks = chunks < params.num_processors ? chunks : params.num_processors;
    return chunks > 1 ? chunks : 1;
}

// Routes [begin, end) of chunk c of `chunks`. NOTE: 32-bit arithmetic (a 64-bit division is an out-of-line call).
__device__ __forceinline__ void routing_chunk_range(int num_routes, int chunks, int c, int& begin, int& end) {
    const int size = (num_routes + chunks - 1) / chunks;
    begin = min(num_routes, c * size);
    end = min(num_routes, begin + size);
}

namespace detail {

// Routes per lane a warp loads at once (kRouteBatch x 32 per warp): one batch covers a warp's quarter of a 512-route
// chunk (WorkspaceLayout::kRoutesPerChunk), and a launch of at most kWarps x 32 routes (the OS block alone, T <= 16 at
// k = 8) takes batches of one. NOTE: this code runs once per forward from cold instruction caches, where its size,
// not its few loads, set its time (perf-notes items 50, 52): batches of 8 were twice the code for no fewer round trips
// below T = 4096 (k = 8).
constexpr int kRouteBatch = 4;
template <int kBatch>
constexpr int kRouteBatchRoutes = kBatch * 32 * TileConfig::kWarps;  // a block's routes in one batch

// Records a bad route (id out of range, or a weight that is not finite) as a ROUTING error. Out of line: the loops
// that check every route stay small (see kRouteBatch).
__device__ __noinline__ inline void report_bad_route(const KernelParams& params, uint32_t epoch, int route) {
    const int32_t id = params.topk_ids[route];
    const bool id_ok = id >= 0 && id < params.num_experts;
    const uint32_t weight_bits = __float_as_uint(params.topk_weights[route]);
    report_error(params, epoch, FLASHMOE_ERROR_ROUTING, Role::kOs,
                 id_ok ? WaitWhat::kBadRouteWeight : WaitWhat::kBadRoute, id, route / params.top_k,
                 id_ok ? weight_bits : static_cast<uint64_t>(static_cast<uint32_t>(id)),
                 static_cast<uint64_t>(params.num_experts), 0, false);
}

// Loads the experts of kBatch chunks of 32 routes at once, so their latencies overlap; a bad route (reported once, in
// pass 1) reads as -1, i.e. dropped.
template <int kBatch>
__device__ __forceinline__ void load_route_batch(const KernelParams& params, uint32_t epoch, int base, int range_end,
                                                 int (&experts)[kBatch], bool report) {
    const int lane_idx = threadIdx.x % 32;
    // NOTE: every id and weight of the batch is loaded before any is checked. checked_route_expert reads a route's
    // weight only once its id is in range, so the batch cost two dependent round trips per route: a pass over 2048
    // routes took ~15 us in one block (perf-notes item 43).
    int32_t ids[kBatch];
    float weights[kBatch];
#pragma unroll
    for (int u = 0; u < kBatch; ++u) {
        const int route = base + u * 32 + lane_idx;
        ids[u] = route < range_end ? params.topk_ids[route] : -1;
        weights[u] = route < range_end ? params.topk_weights[route] : 0.0f;
    }
#pragma unroll
    for (int u = 0; u < kBatch; ++u) {
        experts[u] = route_expert_if_valid(ids[u], weights[u], params.num_experts);
    }
    if (!report) return;
#pragma unroll
    for (int u = 0; u < kBatch; ++u) {
        const int route = base + u * 32 + lane_idx;
        // NOTE: treated as a dropped route so nothing reads out of bounds and no NaN reaches y
        if (route < range_end && experts[u] < 0) report_bad_route(params, epoch, route);
    }
}

// The warp's contiguous part of routes [begin, end): each warp of the block one quarter, so ranks across warps follow
// route order.
__device__ __forceinline__ void warp_route_range(int begin, int end, int& range_begin, int& range_end) {
    const int per_warp = (end - begin + TileConfig::kWarps - 1) / TileConfig::kWarps;
    range_begin = min(end, begin + static_cast<int>(threadIdx.x / 32) * per_warp);
    range_end = min(end, range_begin + per_warp);
}

// Each warp's first rank of `expert`: `first` plus the routes of the warps before it (warp_counts of pass 1, into
// warp_ranks). Returns first plus the block's routes of the expert.
__device__ __forceinline__ int warp_first_ranks(const int32_t* warp_counts, int32_t* warp_ranks, int num_experts,
                                                int expert, int first) {
    int rank = first;
    for (int w = 0; w < TileConfig::kWarps; ++w) {
        warp_ranks[w * num_experts + expert] = rank;
        rank += warp_counts[w * num_experts + expert];
    }
    return rank;
}

// Pass 1 by one block over routes [begin, end): warp_counts[w][e] = routes of expert e in warp w's part (shared
// memory, zeroed here). Bad routes are reported (ROUTING) and not counted. Ends with a barrier.
template <int kBatch>
__device__ inline void count_routes(const KernelParams& params, uint32_t epoch, int begin, int end,
                                    int32_t* warp_counts) {
    const int num_experts = params.num_experts;
    const int warp_idx = threadIdx.x / 32;
    const int lane_idx = threadIdx.x % 32;
    for (int i = threadIdx.x; i < TileConfig::kWarps * num_experts; i += TileConfig::kThreads) {
        warp_counts[i] = 0;
    }
    processor_sync();
    int range_begin, range_end;
    warp_route_range(begin, end, range_begin, range_end);
    for (int base = range_begin; base < range_end; base += 32 * kBatch) {
        int experts[kBatch];
        load_route_batch<kBatch>(params, epoch, base, range_end, experts, true);
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
    processor_sync();
}

// Pass 2 by one block over the same routes: route (t, j)'s rank in its expert is warp_ranks[w][e] (the warp's first
// rank, advanced as it goes) plus its place among the warp's 32; the first `capacity` routes of an expert are kept, at
// row expert_offset(e) + rank. Writes route_row and row_route. Ends with every writer fenced and a barrier.
template <int kBatch, typename ExpertOffset>
__device__ inline void rank_routes(const KernelParams& params, uint32_t epoch, int begin, int end,
                                   int32_t* warp_ranks, ExpertOffset expert_offset) {
    const int num_experts = params.num_experts;
    const int warp_idx = threadIdx.x / 32;
    const int lane_idx = threadIdx.x % 32;
    int32_t* route_row = params.layout.get_route_row_ptr();
    int32_t* row_route = params.layout.get_row_route_ptr();
    const uint32_t lower_lanes = (1u << lane_idx) - 1u;
    int range_begin, range_end;
    warp_route_range(begin, end, range_begin, range_end);
    for (int base = range_begin; base < range_end; base += 32 * kBatch) {
        int experts[kBatch];
        load_route_batch<kBatch>(params, epoch, base, range_end, experts, false);
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
            int row = -1;
            if (route < range_end) {
                if (expert >= 0 && rank < params.capacity) {
                    row = expert_offset(expert) + rank;
                    row_route[row] = route;
                }
                route_row[route] = row;
            }
            if constexpr (!ep_enabled(KernelParams{})) {
                // A dropped route (capacity, or a bad id / weight) is done for its token tile's COMBINE already.
                count_routes_done(params.layout.get_token_done_ptr(), epoch, token_tile_of_route(params, route),
                                  route < range_end && row < 0);
            }
            __syncwarp();
        }
    }
    __threadfence();  // every writer fences before the release that follows the barrier
    processor_sync();
}

}  // namespace detail

// A processor's part of a chunked slot assignment (routing_chunks(...) > 1 and processor_idx below it): pass 1 over
// its chunk, its counts out, then (once the OS block has scanned every chunk's counts) pass 2. False when the launch
// is aborting. `shared` holds routing_shared_words(E) int32 (the processor's dynamic shared memory, unused until its
// tasks; the kernel's is at least the OS block's, which holds as many). Out of line: launches of at most
// routes_per_chunk routes (512 by default) never run it, and inlined it sat in the processors' loop, whose code a
// decode launch fetches cold (item 123).
__device__ __noinline__ inline bool rank_routing_chunk(const KernelParams& params, uint32_t epoch, int chunk,
                                                       int chunks, int32_t* shared, uint64_t limit_ns) {
    const int num_experts = params.num_experts;
    const WorkspaceLayout& layout = params.layout;
    ControlBlock* control = layout.get_control_ptr();
    int32_t* warp_counts = shared;                                      // (kWarps, E)
    int32_t* warp_ranks = shared + TileConfig::kWarps * num_experts;    // (kWarps, E)
    int32_t* expert_offset = shared + 2 * TileConfig::kWarps * num_experts;  // (E): the OS block's segment offsets
    int begin, end;
    routing_chunk_range(params.num_tokens * params.top_k, chunks, chunk, begin, end);
    detail::count_routes<detail::kRouteBatch>(params, epoch, begin, end, warp_counts);
    int32_t* chunk_counts = layout.get_routing_counts_ptr() + static_cast<int64_t>(chunk) * num_experts;
    for (int expert = threadIdx.x; expert < num_experts; expert += TileConfig::kThreads) {
        // The warps' first ranks within the chunk; pass 2 adds the chunk's first rank (the OS block's scan) below.
        chunk_counts[expert] = detail::warp_first_ranks(warp_counts, warp_ranks, num_experts, expert, 0);
    }
    __threadfence();
    processor_sync();
    __shared__ int bases_ready;
    if (threadIdx.x == 0) {
        epoch_counter_publish(&control->routing_counted, epoch);
        bases_ready = wait_equals(params, epoch, &control->routing_bases_epoch, epoch, limit_ns, Role::kProcessor,
                                  WaitWhat::kRouting, -1, chunk);
    }
    processor_sync();
    if (!bases_ready) {
        return false;
    }
    // The chunk's first rank per expert (the OS block's scan), then each warp's.
    // NOTE: the offsets are copied to shared memory: read from global memory in pass 2, each route's offset load
    // waited behind the previous route's row stores (a round trip per route; perf-notes item 43).
    const int32_t* chunk_base = layout.get_routing_bases_ptr() + static_cast<int64_t>(chunk) * num_experts;
    const int32_t* expert_offsets = layout.get_routing_offsets_ptr();
    for (int expert = threadIdx.x; expert < num_experts; expert += TileConfig::kThreads) {
        const int first = chunk_base[expert];
        expert_offset[expert] = expert_offsets[expert];
        for (int w = 0; w < TileConfig::kWarps; ++w) warp_ranks[w * num_experts + expert] += first;
    }
    processor_sync();
    detail::rank_routes<detail::kRouteBatch>(params, epoch, begin, end, warp_ranks,
                                             [&](int expert) { return expert_offset[expert]; });
    if (threadIdx.x == 0) {
        epoch_counter_publish(&control->routing_ranked, epoch);
    }
    return true;
}

// Fills route_row, row_route, tile_expert, tile_rows, the control block's num_row_tiles / dropped_routes and the
// caller's expert_counts / dropped_routes, then publishes routing_epoch. Returns the number of row tiles, or -1 when
// the launch is aborting. Called by every thread of the OS block.
__device__ inline int assign_slots(const KernelParams& params, uint32_t epoch, int32_t* shared) {
    constexpr int kWarps = TileConfig::kWarps;
    constexpr int kBlockM = TileConfig::kBlockM;
    const int num_experts = params.num_experts;
    const int num_routes = params.num_tokens * params.top_k;
    const int chunks = routing_chunks(params);
    const WorkspaceLayout& layout = params.layout;
    ControlBlock* control = layout.get_control_ptr();
    int32_t* warp_counts = shared;                             // (kWarps, E): routes per expert in a warp's range
    int32_t* warp_ranks = shared + kWarps * num_experts;       // (kWarps, E): first rank of the warp, then running
    int32_t* expert_offset = shared + 2 * kWarps * num_experts;  // (E): first row of the expert's segment
    int32_t* totals = expert_offset + num_experts;             // [0] row tiles, [1] dropped routes
    __shared__ int waited;

    // The OS block alone with at most one route per lane: batches of one (detail::kRouteBatch).
    const bool single_batch = num_routes <= detail::kRouteBatchRoutes<1>;
    if (chunks == 1) {
        if (single_batch) {
            detail::count_routes<1>(params, epoch, 0, num_routes, warp_counts);
        } else {
            detail::count_routes<detail::kRouteBatch>(params, epoch, 0, num_routes, warp_counts);
        }
        // Per expert: the warps' first ranks, the total before drops.
        for (int expert = threadIdx.x; expert < num_experts; expert += TileConfig::kThreads) {
            // NOTE: row 0 of warp_counts now holds the per-expert totals
            warp_counts[expert] = detail::warp_first_ranks(warp_counts, warp_ranks, num_experts, expert, 0);
        }
        // The one-token launch's prefetches may start now (processor.cuh; docs/perf-notes.md item 116): the count pass,
        // whose cold code fetches they would slow, is over. (Thread 0's own counts are in; a relaxed flag, nothing is
        // read through it.)
        if (params.decode_prefetch_hold != 0 && threadIdx.x == 0) {
            *reinterpret_cast<volatile uint32_t*>(&control->routes_counted_epoch) = epoch;
        }
    } else {
        // The processors' counts of every chunk: then per expert the total and each chunk's first rank.
        if (threadIdx.x == 0) {
            waited = wait_equals(params, epoch, &control->routing_counted, epoch_tag(epoch, chunks), params.timeout_ns,
                                 Role::kOs, WaitWhat::kRouting, -1, -1);
        }
        processor_sync();
        if (!waited) {
            return -1;
        }
        const int32_t* chunk_counts = layout.get_routing_counts_ptr();
        int32_t* chunk_bases = layout.get_routing_bases_ptr();
        // NOTE: a batch of counts loaded before any base is stored: loads and stores interleaved one chunk at a time
        // cost a round trip per chunk (the compiler cannot move a load above a store that may alias it). Batches of 8,
        // not 32: this code runs once per forward from cold instruction caches, and the smaller unrolled block took
        // ~4-6 us off T = 256-1024 (docs/perf-notes.md item 50).
        constexpr int kLoadBatch = 8;
        for (int expert = threadIdx.x; expert < num_experts; expert += TileConfig::kThreads) {
            int total = 0;
            for (int first = 0; first < chunks; first += kLoadBatch) {
                int counts[kLoadBatch];
#pragma unroll
                for (int u = 0; u < kLoadBatch; ++u) {
                    counts[u] = first + u < chunks
                                    ? chunk_counts[static_cast<int64_t>(first + u) * num_experts + expert]
                                    : 0;
                }
#pragma unroll
                for (int u = 0; u < kLoadBatch; ++u) {
                    if (first + u < chunks) chunk_bases[static_cast<int64_t>(first + u) * num_experts + expert] = total;
                    total += counts[u];
                }
            }
            warp_counts[expert] = total;
        }
    }
    for (int expert = threadIdx.x; expert < num_experts; expert += TileConfig::kThreads) {
        if (params.expert_counts != nullptr) {
            params.expert_counts[expert] = warp_counts[expert];
        }
    }
    processor_sync();
    if (chunks == 1) FLASHMOE_OS_STAMP(params.trace, 2);  // debug builds only (fused/trace.cuh)

    // Segment offsets: each expert's kept routes padded to the row tile. A block-wide exclusive scan: each thread a
    // contiguous chunk of experts, then a scan of the per-thread sums across the block.
    {
        __shared__ int32_t chunk_rows[kWarps];
        __shared__ int32_t chunk_dropped[kWarps];
        const int chunk = (num_experts + TileConfig::kThreads - 1) / TileConfig::kThreads;
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
        // NOTE: a warp-shuffle scan; thread 0 walking all 128 sums was ~3 us of a 15 us slot assignment at T = 1.
        const int lane_idx = threadIdx.x % 32;
        const int warp_idx = threadIdx.x / 32;
        int inclusive = rows;
        int dropped_sum = dropped;
#pragma unroll
        for (int step = 1; step < 32; step *= 2) {
            const int below = __shfl_up_sync(0xffffffffu, inclusive, step);
            if (lane_idx >= step) inclusive += below;
            dropped_sum += __shfl_xor_sync(0xffffffffu, dropped_sum, step);
        }
        if (lane_idx == 31) chunk_rows[warp_idx] = inclusive;  // the warps' row sums
        if (lane_idx == 0) chunk_dropped[warp_idx] = dropped_sum;
        processor_sync();
        int offset = inclusive - rows;
        int running = 0;
        int dropped_total = 0;
        for (int w = 0; w < kWarps; ++w) {
            if (w < warp_idx) offset += chunk_rows[w];
            running += chunk_rows[w];
            dropped_total += chunk_dropped[w];
        }
        if (threadIdx.x == 0) {
            totals[0] = running / kBlockM;
            totals[1] = dropped_total;
        }
        for (int expert = first; expert < last; ++expert) {
            expert_offset[expert] = offset;
            offset += (min(warp_counts[expert], params.capacity) + kBlockM - 1) / kBlockM * kBlockM;
        }
    }
    processor_sync();
    if (chunks == 1) FLASHMOE_OS_STAMP(params.trace, 3);

    // Tile metadata, one expert per thread.
    int32_t* tile_expert = layout.get_tile_expert_ptr();
    int32_t* tile_rows = layout.get_tile_rows_ptr();
    // Expert parallelism also needs each tile's index within its (owner, expert) pair and each expert's kept rows.
    constexpr bool ep = ep_enabled(KernelParams{});  // compile time: see comm/ep_device.cuh
    int32_t* tile_pair_index = layout.get_tile_pair_index_ptr();
    int32_t* expert_kept = layout.get_expert_kept_ptr();
    // The groups of each expert's tiles the GEMM subscribers release together (os/subscriber.cuh): from the expert's
    // first tile, runs of group_tiles.
    int32_t* tile_group_end = layout.get_tile_group_end_ptr();
    const int group_tiles = tile_group_size(params);
    for (int expert = threadIdx.x; expert < num_experts; expert += TileConfig::kThreads) {
        const int kept = min(warp_counts[expert], params.capacity);
        const int first_tile = expert_offset[expert] / kBlockM;
        const int end_tile = first_tile + (kept + kBlockM - 1) / kBlockM;
        for (int i = 0; i * kBlockM < kept; ++i) {
            tile_expert[first_tile + i] = expert;
            tile_rows[first_tile + i] = min(kBlockM, kept - i * kBlockM);
            tile_group_end[first_tile + i] = i % group_tiles == 0 ? min(first_tile + i + group_tiles, end_tile) : 0;
            if (ep) tile_pair_index[first_tile + i] = i;
        }
        if (ep) expert_kept[expert] = kept;
    }

    if (chunks == 1) {
        auto offset_of = [&](int expert) { return expert_offset[expert]; };
        if (single_batch) {
            detail::rank_routes<1>(params, epoch, 0, num_routes, warp_ranks, offset_of);
        } else {
            detail::rank_routes<detail::kRouteBatch>(params, epoch, 0, num_routes, warp_ranks, offset_of);
        }
        FLASHMOE_OS_STAMP(params.trace, 4);
    } else {
        // The offsets go to the processors, which rank their chunks; they report back before the release below.
        int32_t* expert_offsets = layout.get_routing_offsets_ptr();
        for (int expert = threadIdx.x; expert < num_experts; expert += TileConfig::kThreads) {
            expert_offsets[expert] = expert_offset[expert];
        }
        __threadfence();
        processor_sync();
        if (threadIdx.x == 0) {
            store_release(&control->routing_bases_epoch, epoch);
            waited = wait_equals(params, epoch, &control->routing_ranked, epoch_tag(epoch, chunks), params.timeout_ns,
                                 Role::kOs, WaitWhat::kRouting, -1, -1);
        }
        processor_sync();
        if (!waited) {
            return -1;
        }
    }

    const int num_row_tiles = totals[0];
    if constexpr (!ep_enabled(KernelParams{})) {
        // The row tiles' GEMM0 and GEMM1 counts at this launch's epoch already (no task bumps them before the release
        // below), so that a finished task's bump is one add with no load of the count first (processor.cuh; perf-notes
        // item 131). The token tiles' done counts are not: the slot assignment counts dropped routes in them above.
        uint64_t* gemm0_count = layout.get_gemm0_count_ptr();
        uint64_t* gemm1_count = layout.get_gemm1_count_ptr();
        for (int tile = threadIdx.x; tile < num_row_tiles; tile += TileConfig::kThreads) {
            gemm0_count[tile] = epoch_tag(epoch, 0);
            gemm1_count[tile] = epoch_tag(epoch, 0);
        }
        processor_sync();  // NOTE: thread 0's fence and release below publish every thread's stores (bar.sync)
    }
    if (threadIdx.x == 0) {
        control->num_row_tiles = num_row_tiles;
        control->dropped_routes = totals[1];
        control->dispatch_next = 0;  // processors claim tiles from it only after the release below
        control->task_next = 0;      // and queue tickets from this one
        // at this launch's epoch already, so that each processor's bump is one fire-and-forget add (processor.cuh)
        control->processors_dispatched = epoch_tag(epoch, 0);
        if (params.dropped_routes != nullptr) {
            *params.dropped_routes = totals[1];
        }
        __threadfence();
        store_release(&control->routing_epoch, epoch);
    }
    if (chunks == 1) FLASHMOE_OS_STAMP(params.trace, 5);
    return num_row_tiles;
}

}  // namespace flashmoe::fused
