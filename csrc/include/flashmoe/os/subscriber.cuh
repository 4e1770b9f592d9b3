// Subscriber warps of the OS block: each watches one kind of arrival (dispatched row tiles, finished GEMM0 tiles,
// finished GEMM1 tiles) and turns it into a batch of ready tasks (all column tasks of a row tile group, or the COMBINE
// tasks of a run of token tiles) on its ring for the scheduler.
#pragma once

#include <cstdint>

#include "flashmoe/comm/ep_device.cuh"
#include "flashmoe/fused/sync.cuh"
#include "flashmoe/fused/types.cuh"
#include "flashmoe/os/task_ring.cuh"

namespace flashmoe::fused {

// Which arrivals a subscriber warp watches (warp 1 + value in the OS block).
enum class SubscriberKind : int {
    kDispatch = 0,  // row tile dispatched -> GEMM0 tasks of the row tile
    kGemm0 = 1,     // all GEMM0 tiles of a row tile done -> GEMM1 tasks of the row tile (after the last: every
                    // COMBINE task where they are released direct, combine_released_direct)
    kGemm1 = 2,     // every row a token tile needs is through GEMM1 -> COMBINE tasks of the token tile (released
                    // direct: none, the warp only reports a token tile that never completes)
    kCount = 3,
};

// Watches items [0, num_items) through a window of kRows rows of 32 (lane l checks items base + 32 r + l), and
// hands each item on once, as soon as it is ready (not in item order); the window moves on by a row once its first row
// is all out. Per row of a scan, every lane holding a ready item (with kRuns: the first item of each run of
// consecutive items of the row found ready together) calls `batch(item, count, task)` (count: the run's length, else
// 1), which returns whether the items make a batch of tasks and writes it; the row's batches then go onto the ring in
// one warp-wide push, each traced as `trace_kind` from when the scan found it ready. The wait is bounded: when nothing
// becomes ready for limit_ns, the first pending item is recorded. True once every item was handed on; false when the
// launch aborts or the wait expires (recorded). Called by a whole warp.
// NOTE: one COMBINE per call released the token tiles at ~3 per us (a ring push and a scheduler pop of ~0.3 us each),
// so at T = 16384 the 4096 combines of 35 us each kept only 43 % of 263 processors busy for 1.25 ms (in-kernel trace,
// 2026-12-01-h200-combine-release); runs cut the pushes by up to 32x.
// NOTE: a window of one row of 32 stalled the COMBINE releases behind the slowest token tile of the row: the combine
// phase took 3.6 ms of a 9.5 ms forward at T = 16384 for ~0.6 ms of work (in-kernel trace, 2026-12-01).
constexpr int kWindowRows = 4;
constexpr int kCombineWindowRows = 8;  // token tiles become ready in any order; their check is one load
template <int kRows = kWindowRows, bool kRuns = false, typename Ready, typename Batch, typename Describe>
__device__ __forceinline__ bool watch_items(const KernelParams& params, uint32_t epoch, int num_items, WaitWhat what,
                                            uint64_t limit_ns, TaskRing& ring, TraceKind trace_kind, Ready ready,
                                            Batch batch, Describe describe) {
    const int lane_idx = threadIdx.x % 32;
    int window_base = 0;   // warp-uniform: the first item of row 0
    uint32_t emitted = 0;  // this lane's: bit r = item window_base + 32 r + lane was emitted
    WaitClock clock(limit_ns);
    while (window_base < num_items) {
        uint32_t ready_now = 0;
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
            const int item = window_base + 32 * r + lane_idx;
            if (item < num_items && ((emitted >> r) & 1u) == 0 && ready(item)) ready_now |= 1u << r;
        }
        if (__any_sync(0xffffffffu, ready_now != 0)) {
            const uint64_t found_ns = trace_clock();
            // NOTE: turns the lanes' relaxed observations into acquires before the tasks go out; flags a peer GPU
            // set (expert parallelism) need the system scope.
            if (ep_enabled(params)) {
                __threadfence_system();
            } else {
                fence_acq_rel_gpu();
            }
            __syncwarp();
#pragma unroll
            for (int r = 0; r < kRows; ++r) {
                const uint32_t ready_mask = __ballot_sync(0xffffffffu, (ready_now >> r) & 1u);
                if (ready_mask == 0) continue;
                const bool mine = (ready_mask >> lane_idx) & 1u;
                // With runs, a lane whose left neighbour is not ready starts one: the first clear bit of
                // ready_mask >> lane (whose top `lane` bits are clear, so the run ends by bit 32 - lane), or all 32.
                const bool starts = mine && (!kRuns || lane_idx == 0 || ((ready_mask >> (lane_idx - 1)) & 1u) == 0);
                const uint32_t clear_from_lane = ~(ready_mask >> lane_idx);
                const int count = !kRuns ? 1 : clear_from_lane == 0u ? 32 : __ffs(clear_from_lane) - 1;
                Task task{};
                const bool has = starts && batch(window_base + 32 * r + lane_idx, count, task);
                if (!ring.push_warp(params, epoch, has, task, limit_ns)) {
                    return false;  // aborting (recorded)
                }
                if (has) trace_record(params.trace, trace_kind, task.tile, found_ns, trace_clock());
            }
            emitted |= ready_now;
            // Rows wholly out (items past the end count as out) leave the window.
            while (window_base < num_items &&
                   __all_sync(0xffffffffu, (emitted & 1u) != 0 || window_base + lane_idx >= num_items)) {
                window_base += 32;
                emitted >>= 1;
            }
            clock.restart();
            continue;
        }
        if (clock.aborted(params, epoch)) {
            return false;
        }
        if (clock.expired()) {
            int pending = -1;
#pragma unroll
            for (int r = kRows - 1; r >= 0; --r) {
                const uint32_t waiting = __ballot_sync(
                    0xffffffffu, ((emitted >> r) & 1u) == 0 && window_base + 32 * r + lane_idx < num_items);
                if (waiting != 0) pending = window_base + 32 * r + __ffs(waiting) - 1;
            }
            if (lane_idx == 0 && pending >= 0) {
                int expert = -1;
                int tile = pending;
                uint64_t observed = 0;
                uint64_t expected = 0;
                int peer = -1;
                describe(pending, expert, tile, observed, expected, peer);
                report_error_out_of_line(params, epoch, FLASHMOE_ERROR_TIMEOUT, Role::kSubscriber, what, expert, tile,
                                         observed, expected, clock.elapsed(), true, peer);
            }
            __syncwarp();
            return false;
        }
        __nanosleep(128);
    }
    return true;
}

// Row tile groups (docs/perf-notes.md item 31): the GEMM subscribers release up to params.group_tiles row tiles of one
// expert together, and the scheduler interleaves their column tasks piece by piece (queue order: task 0 of every tile
// of the group, then task 1, ...), so the tasks that stream one weight box are claimed at about the same time and its
// re-reads hit L2. The routing records each group in tile_group_end (os/routing.cuh). watch_items' callbacks over row
// tiles for a per-tile condition `tile_ready`: a group's first tile is ready when all the group's tiles are, and makes
// one batch of the group's tasks; any other tile is ready at once and makes none.
// One past the group's last tile when `tile` leads a group, else 0.
__device__ __forceinline__ int tile_group_end(const KernelParams& params, int tile, int group_size) {
    return group_size == 1 ? tile + 1 : params.layout.get_tile_group_end_ptr()[tile];
}
template <typename TileReady>
__device__ __forceinline__ bool tile_group_ready(const KernelParams& params, int tile, int group_size,
                                                 TileReady tile_ready) {
    const int end = tile_group_end(params, tile, group_size);
    const bool first_ready = tile_ready(tile);  // NOTE: loaded beside `end`, not after it (decode: one tile a group)
    if (end == 0) return true;
    // NOTE: the tiles' flags in chunks of four loads in flight together, stopping after the first chunk with a tile not
    // ready: a ready group of 16 costs 4 round trips (not 15), a waiting one mostly 1 (not 15: the GEMM0-done check
    // polls for the whole GEMM0 phase).
    bool all_ready = first_ready;
    for (int t = tile + 1; t < end && all_ready; t += 4) {
#pragma unroll
        for (int u = 0; u < 4; ++u) {
            if (t + u < end) all_ready = tile_ready(t + u) && all_ready;
        }
    }
    return all_ready;
}
// The batch of a group's tasks (`per_tile` column tasks of `type` per row tile), made by the group's first tile; any
// other tile makes none (its group's batch holds its tasks): false.
__device__ __forceinline__ bool tile_group_batch(const KernelParams& params, TaskType type, int tile, int group_size,
                                                 int per_tile, Task& batch) {
    const int end = tile_group_end(params, tile, group_size);
    if (end == 0) return false;
    batch = Task{static_cast<int32_t>(type), tile, (end - tile) * per_tile, gemm_tile_expert(params, tile)};
    return true;
}
// For a timeout's report: the first tile of `leader`'s group that is not ready (the leader when all are).
template <typename TileReady>
__device__ __forceinline__ int first_unready_tile(const KernelParams& params, int leader, int group_size,
                                                  TileReady tile_ready) {
    const int end = tile_group_end(params, leader, group_size);
    for (int t = leader; t < end; ++t) {
        if (!tile_ready(t)) return t;
    }
    return leader;
}

// Runs one subscriber warp until all its items are emitted, the launch aborts, or its wait expires.
__device__ inline void run_subscriber(const KernelParams& params, uint32_t epoch, SubscriberKind kind,
                                      int num_row_tiles, TaskRing& ring) {
    constexpr int kBlockM = TileConfig::kBlockM;
    // Column tasks per row tile; the row tile's counter counts finished tasks.
    const int gemm0_n_tiles = gemm0_split(params, num_row_tiles).num_tasks;
    const int gemm1_n_tiles = gemm1_split(params, num_row_tiles).num_tasks;
    const int combine_per_tile = combine_slices(params);  // COMBINE tasks per token tile
    const int group_size = tile_group_size(params);
    const WorkspaceLayout& layout = params.layout;
    // NOTE: later stages wait a little longer, so a stall is reported by the earliest stage that sees it.
    const uint64_t limit_ns = params.timeout_ns + params.timeout_ns / 10 * static_cast<uint64_t>(kind);

    switch (kind) {
        case SubscriberKind::kDispatch: {
            // Expert parallelism: a group's GEMM0 tasks once the arrival flags of its owner tiles are set. One GPU
            // (params.direct_gemm0): nothing; the OS block queued every GEMM0 task right after the slot assignment
            // (scheduler.cuh `queue_gemm0_direct`, perf-notes item 54), and the processor that runs one waits for its
            // tiles' dispatch flags itself (processor.cuh `wait_dispatched`), so that no hand-off through this warp and
            // the scheduler stands between a row tile's copy and its GEMM0 (perf-notes item 44); without it (A/B runs)
            // once the group's dispatch flags are set.
            if (gemm0_released_direct(params)) break;
            const uint32_t* dispatch_flag = layout.get_dispatch_flag_ptr();
            const bool ep = ep_enabled(params);
            auto arrival = [&](int tile) -> uint64_t {
                return ep ? load_relaxed(ep_arrival_flag(params, tile)) : load_relaxed(dispatch_flag + tile);
            };
            auto arrived = [&](int tile) {
                return ep ? comm::SymmetricLayout::flag_epoch(arrival(tile)) == epoch : arrival(tile) == epoch;
            };
            watch_items(
                params, epoch, num_row_tiles, ep ? WaitWhat::kPeerDispatch : WaitWhat::kDispatch, limit_ns, ring,
                TraceKind::kPushGemm0, [&](int tile) { return tile_group_ready(params, tile, group_size, arrived); },
                [&](int tile, int, Task& batch) {
                    return tile_group_batch(params, TaskType::kGemm0, tile, group_size, gemm0_n_tiles, batch);
                },
                [&](int leader, int& expert, int& tile_out, uint64_t& observed, uint64_t& expected, int& peer) {
                    const int tile = first_unready_tile(params, leader, group_size, arrived);
                    expert = gemm_tile_expert(params, tile);
                    tile_out = tile;
                    observed = arrival(tile);
                    expected = epoch;
                    if (ep) {
                        peer = layout.get_owner_tile_ptr(0)[tile];
                        expert = ep_global_expert(params, expert);
                        tile_out = layout.get_owner_tile_ptr(2)[tile];
                    }
                });
            break;
        }
        case SubscriberKind::kGemm0: {
            const uint64_t* gemm0_count = layout.get_gemm0_count_ptr();
            auto gemm0_done = [&](int tile) {
                return epoch_count(load_relaxed(gemm0_count + tile), epoch) == static_cast<uint32_t>(gemm0_n_tiles);
            };
            // Direct GEMM1 (gemm1_released_direct): a first pass pushes every group's GEMM1 tasks at once (their
            // processors wait for the GEMM0 counts, processor.cuh `wait_gemm0_done`), a second only watches, so that a
            // row tile whose GEMM0 never completes is still reported here. One watch_items instantiation for both.
            const bool direct = gemm1_released_direct(params, num_row_tiles);
            bool first_pass = true;
            auto watch = [&]() {
                return watch_items(
                    params, epoch, num_row_tiles, WaitWhat::kGemm0Done, limit_ns, ring, TraceKind::kPushGemm1,
                    [&](int tile) {
                        return (direct && first_pass) || tile_group_ready(params, tile, group_size, gemm0_done);
                    },
                    [&](int tile, int, Task& batch) {
                        return first_pass &&
                               tile_group_batch(params, TaskType::kGemm1, tile, group_size, gemm1_n_tiles, batch);
                    },
                    [&](int leader, int& expert, int& tile_out, uint64_t& observed, uint64_t& expected, int&) {
                        const int tile = first_unready_tile(params, leader, group_size, gemm0_done);
                        expert = gemm_tile_expert(params, tile);
                        tile_out = tile;
                        observed = epoch_count(load_relaxed(gemm0_count + tile), epoch);
                        expected = gemm0_n_tiles;
                    });
            };
            const bool all_pushed = watch();
            // Direct COMBINE (combine_released_direct): every COMBINE task of the launch, one batch behind the last
            // GEMM1 batch on this ring, so that the queue holds it after every GEMM entry; its processors wait for
            // their token tiles (tasks.cuh run_combine). NOTE: the GEMM1 subscriber's hand-offs (scan, push, release
            // per run of ready token tiles) took ~13 us between the last GEMM1 task and the last COMBINE start at
            // Qwen3 T = 1024 (perf-notes item 51).
            if (all_pushed && combine_released_direct(params)) {
                const uint64_t found_ns = trace_clock();
                const bool lead = threadIdx.x % 32 == 0;
                const Task batch{static_cast<int32_t>(TaskType::kCombine), 0,
                                 num_token_tiles(params.num_tokens) * combine_per_tile, -1};
                if (ring.push_warp(params, epoch, lead, batch, limit_ns) && lead) {
                    trace_record(params.trace, TraceKind::kPushCombine, 0, found_ns, trace_clock());
                }
            }
            if (all_pushed && direct) {
                first_pass = false;
                watch();
            }
            break;
        }
        case SubscriberKind::kGemm1: {
            // One GPU: the GEMM1 counter of the route's row tile. Expert parallelism: the combine flag of the tile
            // its owner returns (the route's row in this rank's routing layout names the pair and tile).
            const uint64_t* gemm1_count = layout.get_gemm1_count_ptr();
            const int32_t* route_row = layout.get_route_row_ptr();
            const int32_t* tile_expert = layout.get_tile_expert_ptr();
            const bool ep = ep_enabled(params);
            auto row_done = [&](int row) {
                return ep ? comm::SymmetricLayout::flag_epoch(load_relaxed(ep_return_flag(params, row))) == epoch
                          : epoch_count(load_relaxed(gemm1_count + row / kBlockM), epoch) ==
                                static_cast<uint32_t>(gemm1_n_tiles);
            };
            // First route of the token tile whose row is not back yet; -1 when none. Expert parallelism's readiness
            // check, and on one GPU only the timeout's description.
            auto first_missing_route = [&](int token_tile) {
                int route_begin, route_end;
                token_tile_routes(params, token_tile, route_begin, route_end);
                for (int route = route_begin; route < route_end; ++route) {
                    const int row = route_row[route];
                    if (row >= 0 && !row_done(row)) {
                        return route;
                    }
                }
                return -1;
            };
            // One GPU: the token tile's done count (routes dropped at routing, plus every route of a row tile
            // whose last GEMM1 task finished) against its route count: one load per token tile.
            const uint64_t* token_done = layout.get_token_done_ptr();
            auto token_tile_ready = [&](int token_tile) {
                if (ep) return first_missing_route(token_tile) < 0;
                int route_begin, route_end;
                token_tile_routes(params, token_tile, route_begin, route_end);
                return epoch_count(load_relaxed(token_done + token_tile), epoch) ==
                       static_cast<uint32_t>(route_end - route_begin);
            };
            // Direct COMBINE (combine_released_direct): the GEMM0 subscriber queued the COMBINE tasks; this warp only
            // watches the token tiles, so that a stalled one is reported here, naming its missing row tile.
            const bool direct = combine_released_direct(params);
            watch_items<kCombineWindowRows, true>(
                params, epoch, num_token_tiles(params.num_tokens), ep ? WaitWhat::kPeerCombine : WaitWhat::kGemm1Done,
                limit_ns, ring, TraceKind::kPushCombine, token_tile_ready,
                [&](int first_token_tile, int count, Task& batch) {
                    // n_tile: the run's COMBINE tasks (os/scheduler.cuh queue_entry)
                    batch = Task{static_cast<int32_t>(TaskType::kCombine), first_token_tile, count * combine_per_tile,
                                 -1};
                    return !direct;
                },
                [&](int token_tile, int& expert, int& tile_out, uint64_t& observed, uint64_t& expected, int& peer) {
                    // Name the row tile (and its expert) the token tile still waits for.
                    const int route = first_missing_route(token_tile);
                    const int row = route >= 0 ? route_row[route] : -1;
                    const int row_tile = row >= 0 ? row / kBlockM : -1;
                    expert = row_tile >= 0 ? tile_expert[row_tile] : -1;
                    tile_out = row_tile;
                    expected = gemm1_n_tiles;  // NOTE: a tile of a paired group (gemm1_paired) counts to twice this
                    observed = row_tile >= 0 ? epoch_count(load_relaxed(gemm1_count + row_tile), epoch) : 0;
                    if (ep && row >= 0) {
                        int pair_tile = -1;
                        observed = load_relaxed(ep_return_flag(params, row, &peer, &expert, &pair_tile));
                        tile_out = pair_tile;
                        expected = comm::SymmetricLayout::flag_value(epoch, 0);
                    }
                });
            break;
        }
        default:
            __trap();
    }
}

}  // namespace flashmoe::fused
