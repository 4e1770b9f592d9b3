// A processor block: waits for the slot assignment, dispatches row tiles it claims, then loops: claim a ticket of the
// task queue, wait for the scheduler to release the task behind it, run it, publish the tile's completion.
#pragma once

#include <cstdint>

#include "flashmoe/comm/ep_device.cuh"
#include "flashmoe/fused/sync.cuh"
#include "flashmoe/fused/types.cuh"
#include "flashmoe/os/routing.cuh"
#include "flashmoe/processor/tasks.cuh"

namespace flashmoe::fused {

// Debug only (off by default): -DFLASHMOE_PROCESSOR_PROFILE=<epoch> makes every processor of that launch print where
// its time went (thread 0's %globaltimer deltas, ns): routing wait, dispatch, task waits, GEMM0, GEMM1, COMBINE
// (each including the barrier after it), and reporting (counter bump).
#if defined(FLASHMOE_PROCESSOR_PROFILE)
__device__ __forceinline__ uint64_t profile_clock() {
    uint64_t now;
    asm volatile("mov.u64 %0, %globaltimer;" : "=l"(now));
    return now;
}
#define FLASHMOE_PROFILE_MARK(slot)                         \
    do {                                                    \
        if (threadIdx.x == 0) {                             \
            const uint64_t now_ = profile_clock();          \
            profile_ns[slot] += now_ - profile_mark;        \
            profile_mark = now_;                            \
        }                                                   \
    } while (0)
#else
#define FLASHMOE_PROFILE_MARK(slot) \
    do {                            \
    } while (0)
#endif

template <typename Element>
__device__ inline void run_processor(const KernelParams& params, uint32_t epoch, char* shared) {
    __shared__ Task current_task;
    __shared__ int shared_value;
    // An early launch's row tiles (expert, valid rows), from the routes (tasks.cuh early_gemm0_task; item 147).
    __shared__ int2 early_tile_meta[kMaxEarlyTiles];
    const int processor_idx = static_cast<int>(blockIdx.x) - 1;
    const WorkspaceLayout& layout = params.layout;
    ControlBlock* control = layout.get_control_ptr();
    // NOTE: processors wait twice as long as the OS, so the OS, which knows which tile is missing, reports first.
    const uint64_t limit_ns = 2 * params.timeout_ns;
    if (threadIdx.x == 0) timeout_note().claimed = 0u;  // before the first barrier below (sync.cuh note_timeout)
#if defined(FLASHMOE_PROCESSOR_PROFILE)
    uint64_t profile_ns[7] = {};
    uint32_t profile_tasks[3] = {};
    const uint64_t profile_start = profile_clock();
    uint64_t profile_mark = profile_start;
#endif

    uint64_t trace_mark = trace_clock();  // thread 0's: the start of the phase or wait being traced
    // A launch of many routes: processors 0 .. C-1 count and rank one route chunk each (os/routing.cuh).
    const int routing_chunk_count = routing_chunks(params);
    if (routing_chunk_count > 1 && processor_idx < routing_chunk_count) {
        if (!rank_routing_chunk(params, epoch, processor_idx, routing_chunk_count, reinterpret_cast<int32_t*>(shared),
                                limit_ns)) {
            return;  // aborting: recorded
        }
    }
    // A GEMM0 task of one row tile (the task loop's, and a one-token launch's early task): false when the launch is
    // aborting (recorded). `num_row_tiles`: the launch's.
    const auto run_gemm0 = [&](const Task& task, const GemmTaskSetup& setup, const InputWait& wait,
                               int num_row_tiles) {
        const ColumnSplit split = gemm0_split(params, num_row_tiles);
        const int begin = split.piece_begin(task.n_tile);
        const int end = split.piece_end(task.n_tile);
        const bool narrow = split.piece_columns != TileConfig::kBlockN;
        if (swap_ab_task(params, setup, num_row_tiles)) {
            if (params.gemm1_l2_prefetch != 0 && threadIdx.x == 32) {
                prefetch_gemm1_share<Element>(params, task.expert, begin, end, split.num_pieces);
            }
            return params.gated ? run_gemm0_swap_task<Element, true>(params, epoch, task, begin, end, narrow, setup,
                                                                     wait, shared)
                                : run_gemm0_swap_task<Element, false>(params, epoch, task, begin, end, false, setup,
                                                                      wait, shared);
        }
        return params.gated
                   ? run_gemm0_task<Element, true>(params, epoch, task, begin, end, narrow, setup, wait, shared)
                   : run_gemm0_task<Element, false>(params, epoch, task, begin, end, false, setup, wait, shared);
    };

    // At most 32 routes (KernelParams::early_gemm0, docs/perf-notes.md items 144, 146): the launch's GEMM0 tasks, one a
    // processor, run before the slot assignment is out. Each processor finds its task from the routes (tasks.cuh
    // early_gemm0_task), copies its row tile's tokens into the tile's rows itself and runs the task; after the
    // routing's release thread 0 publishes it (the count's preset comes with the release), and the task loop's tickets
    // start after the GEMM0 tasks. No processor dispatches: nothing else reads the dispatched rows. `early`
    // (early.tickets: the GEMM0 tasks run so, or 0) and ring_ready are the same in every thread.
    EarlyGemm0 early = no_early_gemm0();
    bool ring_ready = false;
    if constexpr (wgmma_path_compiled<Element>()) {
        // One token: the first wave of GEMM0 tasks' weights into the L2 while the OS block assigns the slots (item 114).
        if (params.decode_prefetch_steps > 0 && threadIdx.x / 32 == 1 &&
            (params.decode_prefetch_hold == 0 || routes_counted(params, epoch))) {
            prefetch_first_gemm0<Element>(params, processor_idx);
        }
        if (params.tma.enabled != 0 && threadIdx.x == 64) prefetch_tma_maps(params.tma);
        // NOTE: the rule is checked here too (as the host sets the flag), so that no other launch takes this path.
        if ((params.early_gemm0 & kEarlyGemm0) != 0 && params.tma.enabled != 0 && gemm0_released_direct(params) &&
            early_gemm0_launch(params.num_tokens, params.top_k)) {
            __shared__ EarlyGemm0 early_shared;
            if (threadIdx.x < 32) {
                const EarlyGemm0 found = early_gemm0_task(params, processor_idx, early_tile_meta);
                if (threadIdx.x == 0) early_shared = found;
            }
            processor_sync();
            early = early_shared;
            if (static_cast<TaskType>(early.task.type) != TaskType::kExit) {
                wgmma_ring_init(shared);
                ring_ready = true;
                if (static_cast<TaskType>(early.task.type) == TaskType::kGemm0) {
                    copy_decode_rows<Element>(params, early.task.tile, early.rows, early.routes);
                    detail::fence_proxy_async_global();  // the rows go to the task's TMA loads (the async proxy)
                    processor_sync();
                    // Its setup from the routes: every expert one row tile, so each tile is its expert's first.
                    const GemmTaskSetup setup = gemm_task_setup(params, early.rows, [] { return true; });
                    if (!run_gemm0(early.task, setup, InputWait{InputWait::kNone, 0u, nullptr}, early.tiles)) {
                        return;  // aborting: recorded
                    }
                    processor_sync();  // NOTE: every thread's outputs before thread 0's release after the routing wait
                    if (threadIdx.x == 0) {
                        const uint64_t now = trace_clock();
                        trace_record(params.trace, TraceKind::kGemm0, early.task.tile, trace_mark, now);
                        trace_mark = now;
                    }
                }
            }
        }
    }
    // Thread 0's first queue ticket where it is claimed before the task loop (else ~0u): an early launch's, right
    // after its GEMM0 count's publish (item 147: the ticket's round trip then overlaps the barriers and the rest of
    // the way to the task loop). NOTE: the OS block zeroes the ticket counter before the routing's release, so no
    // ticket is claimed before its acquire; and not before the publish (item 151: the red.release would wait for the
    // contended atomic, and the tile's GEMM1 tasks for the release); an early launch dispatches nothing, so its
    // processors go straight on.
    uint32_t first_ticket = ~0u;
    if (threadIdx.x == 0) {
        const bool ok = wait_equals(params, epoch, &control->routing_epoch, epoch, limit_ns, Role::kProcessor,
                                         WaitWhat::kRouting, -1, processor_idx);
        shared_value = ok ? *reinterpret_cast<volatile int32_t*>(&control->num_row_tiles) : -1;
        if (ok && early.tickets != 0) {
            // NOTE: the slot assignment laid out the row tiles the processors found (tasks.cuh decode_tiles): their
            // count, the task's tile's expert and rows, and each row's route. A difference is a defect of this code,
            // and the results would be wrong: stop the launch loudly.
            // (Every load is issued whatever the others read, `&` not `&&`: one round trip, not a chain, before the
            // publish that the tile's GEMM1 tasks wait for.)
            bool same = shared_value == early.tiles;
            if (static_cast<TaskType>(early.task.type) == TaskType::kGemm0) {
                const int64_t first_row = static_cast<int64_t>(early.task.tile) * TileConfig::kBlockM;
                same = same & (__ldcg(layout.get_tile_expert_ptr() + early.task.tile) == early.task.expert) &
                       (__ldcg(layout.get_tile_rows_ptr() + early.task.tile) == early.rows);
                // Row r's route: the lowest set bit of the tile's routes once r of them are cleared (not __fns, item
                // 149). (Unrolled by the compiler, so that the loads go out together.)
                uint32_t routes = early.routes;
                for (int row = 0; row < early.rows; ++row) {
                    same = same & (__ldcg(layout.get_row_route_ptr() + first_row + row) ==
                                   __ffs(static_cast<int>(routes)) - 1);
                    routes &= routes - 1u;
                }
            }
            if (!same) __trap();
            // One GPU: the GEMM0 count holds this launch's epoch since the release just acquired (routing.cuh).
            if (static_cast<TaskType>(early.task.type) == TaskType::kGemm0) {
                epoch_counter_publish_current(layout.get_gemm0_count_ptr() + early.task.tile);
            }
            first_ticket = static_cast<uint32_t>(early.tickets) + atomicAdd(&control->task_next, 1u);
        }
        trace_record(params.trace, TraceKind::kRoutingWait, -1, trace_mark, trace_clock());
        trace_mark = trace_clock();
    }
    processor_sync();
    const int num_routing_tiles = shared_value;
    if (num_routing_tiles < 0) {
        return;
    }
    const bool ep = ep_enabled(params);
    if constexpr (wgmma_path_compiled<Element>()) {
        if (params.tma.enabled && !ring_ready) {
            wgmma_ring_init(shared);
        }
    }
    FLASHMOE_PROFILE_MARK(0);

    // Dispatch: claim row tiles, or (token-major) runs of kDispatchTokens tokens, one at a time (a processor that starts
    // late simply claims none). The cursor is a plain counter the OS block zeroes before it publishes the routing: one
    // atomicAdd per claim. NOTE: an epoch-tagged CAS loop here cost every processor ~38 us at T = 1 (263 contending
    // retries; the in-kernel trace showed it as 18 % of the kernel), on the path to the first GEMM0.
    const auto claim = [&] {
        processor_sync();
        if (threadIdx.x == 0) {
            shared_value = static_cast<int>(atomicAdd(&control->dispatch_next, 1u));
        }
        processor_sync();
        return shared_value;
    };
    // Token-major (item 108): no tile flag is set; GEMM0 waits for processors_dispatched (acquire_dispatched), published
    // below after every thread's fences. (Two loops on the flag, not an if / else: this form compiles to the SASS that
    // session 25 GPU-checked; the if / else lays it out differently.)
    while (early.tickets == 0 && params.token_dispatch != 0) {
        const int first = claim() * TileConfig::kDispatchTokens;
        if (first >= params.num_tokens) {
            if (params.tma.enabled) {
                detail::fence_proxy_async_global();  // the rows go to GEMM0's TMA loads (the async proxy)
            }
            __threadfence();
            processor_sync();  // NOTE: every thread's rows and fences before thread 0's release below
            break;
        }
        dispatch_token_run<Element>(params, first, min(first + TileConfig::kDispatchTokens, params.num_tokens));
    }
    uint32_t* dispatch_flag = layout.get_dispatch_flag_ptr();
    while (early.tickets == 0 && params.token_dispatch == 0) {
        const int tile = claim();
        if (tile >= num_routing_tiles) {
            break;
        }
        if (ep) {
            ep_dispatch_row_tile<Element>(params, epoch, tile);  // sends the rows and their flag to the owner
            continue;
        }
        dispatch_row_tile<Element>(params, tile);
        if (params.tma.enabled) {
            detail::fence_proxy_async_global();  // the rows go to GEMM0's TMA loads (the async proxy)
        }
        __threadfence();
        processor_sync();
        if (threadIdx.x == 0) {
            store_release(dispatch_flag + tile, epoch);
        }
    }

    if (threadIdx.x == 0) {
        // One GPU: every tile this processor claimed is dispatched (each flag released above). NOTE: the OS block set
        // the count to this epoch before routing_epoch, so no bump takes a CAS on a stale epoch: 263 of them at once
        // made the dispatch phase's median 1.9 us instead of 0.9 at T = 1 (perf-notes item 44).
        // (Not in an early launch: only GEMM0 tasks from the queue read the count, and it has none; item 147.)
        if (!ep && early.tickets == 0) epoch_counter_publish_current(&control->processors_dispatched);
        trace_record(params.trace, TraceKind::kDispatch, -1, trace_mark, trace_clock());
        trace_mark = trace_clock();
    }
    // The GEMM row tiles: on one GPU the routing's; on EP the owner tiles the OS laid out from the arrivals.
    int num_row_tiles = num_routing_tiles;
    if (ep) {
        processor_sync();
        if (threadIdx.x == 0) {
            const bool ok = wait_equals(params, epoch, &control->owner_epoch, epoch, limit_ns, Role::kProcessor,
                                        WaitWhat::kRouting, -1, processor_idx);
            shared_value = ok ? *reinterpret_cast<volatile int32_t*>(&control->num_owner_tiles) : -1;
        }
        processor_sync();
        num_row_tiles = shared_value;
        if (num_row_tiles < 0) {
            return;
        }
    }

    FLASHMOE_PROFILE_MARK(1);
    // After a GEMM1 task wrote rows of `tile`: counts the task for the tile; the tile's last one (`tasks` in all) marks
    // each of the tile's routes done for its token tile's COMBINE on one GPU (so the subscriber reads one count per
    // token tile, docs/perf-notes.md item 14), and on expert parallelism sends the tile's rows back to their source.
    // Called by the whole block.
    auto finish_gemm1_tile = [&](int tile, int tasks) {
        if (ep) __threadfence_system();
        processor_sync();
        if (threadIdx.x == 0) {
            // release: the block's outputs (gathered by the barrier) before the count
            if (ep) {
                __threadfence_system();
                shared_value = epoch_counter_add(layout.get_gemm1_count_ptr() + tile, epoch) ==
                               static_cast<uint32_t>(tasks);
                if (shared_value) __threadfence();  // acquire: every other task's outputs of the tile
            } else {
                // One GPU: the count holds this launch's epoch already (routing.cuh), so one add, no load before it.
                fence_acq_rel_gpu();
                shared_value = epoch_counter_add_current(layout.get_gemm1_count_ptr() + tile) ==
                               static_cast<uint32_t>(tasks);
                if (shared_value) fence_acq_rel_gpu();  // acquire: every other task's outputs of the tile
            }
        }
        processor_sync();
        if (shared_value) {
            if (ep) {
                ep_return_tile(params, epoch, tile);
            } else {
                count_tile_routes_done(params, epoch, tile);
            }
        }
    };

    // The task loop: claim the next queue ticket, wait until the scheduler has released the task behind it, run it.
    // NOTE: tickets are claimed in release order and every task waits only on tasks released before it, which were
    // claimed by running processors (the grid is co-resident): the smallest unfinished ticket can always proceed.
    const int num_tasks = total_tasks(params, num_row_tiles);
    const Task* queue = layout.get_task_queue_ptr<Task>();
    const uint64_t* published_word = &control->tasks_published;
    uint32_t published = 0;  // thread 0: the released count last seen
    // One GPU: GEMM0 tasks are released right after the slot assignment (os/subscriber.cuh), so thread 0 acquires its
    // task's row tiles (`tiles` from `tile`) itself before the task's loads: their dispatch flags, or the count of
    // processors through their dispatch loop, after which it checks no more. False when the launch is aborting.
    // (tasks.cuh acquire_dispatched)
    bool all_dispatched = !gemm0_released_direct(params);  // thread 0's
    // Direct GEMM1 (gemm1_released_direct): thread 0 acquires the GEMM0 outputs of its task's row tiles itself, by
    // their GEMM0 counts (tasks.cuh acquire_gemm0_done).
    const bool direct_gemm1 = gemm1_released_direct(params, num_row_tiles);
    const uint32_t gemm0_tasks_per_tile = static_cast<uint32_t>(gemm0_split(params, num_row_tiles).num_tasks);
    // Direct COMBINE in a launch of one token tile (T <= kTokensPerCombine) that never pairs GEMM1 tiles: a COMBINE
    // waits for its routes' row tiles' GEMM1 counts to reach this (tasks.cuh run_combine, docs/perf-notes.md item 137);
    // 0: for its token tile's done count. NOTE: at every T the row tiles' counts cost T = 8 +0.5 % and T = 1024 +0.2 %.
    const uint32_t combine_gemm1_tasks = [&] {
        const ColumnSplit split = gemm1_split(params, num_row_tiles);
        return combine_released_direct(params) && num_token_tiles(params.num_tokens) == 1 &&
                       !gemm1_paired(params, split)
                   ? static_cast<uint32_t>(split.num_tasks)
                   : 0u;
    }();
    // A Hopper GEMM task of one row tile takes these acquires into its run, after its first weight boxes
    // (docs/perf-notes.md item 72; tasks.cuh InputWait); pairs acquire here. FLASHMOE_DISABLE_EARLY_WEIGHTS=1: all
    // here.
    const bool defer_acquires = params.tma.enabled != 0 && params.tma.early_weights != 0;
    // An early launch (early.tickets > 0) with direct GEMM1 and direct COMBINE: every group is one row tile (so
    // unpaired: group_paired needs two), every group's GEMM1 batch goes out at once, and the COMBINE batch goes behind
    // the last of them on the same ring, so the GEMM1 tickets that follow the GEMM0 ones, [early.tickets,
    // own_gemm1_end), are column task (t - early.tickets) % per-tile of row tile (t - early.tickets) / per-tile. Thread
    // 0 makes those tasks itself: the OS block's release of their entries came ~5 us after the last GEMM0 task at Qwen3
    // T = 1 once GEMM0 ran early (docs/perf-notes.md item 145). Their processors still wait for the tiles' GEMM0 counts
    // (InputWait kGemm0Done).
    // NOTE: not without direct COMBINE (FLASHMOE_DISABLE_DIRECT_COMBINE=1): the GEMM1 subscriber then queues COMBINE
    // batches as token tiles complete, on a ring the scheduler pops first, so a COMBINE entry may come before the GEMM1
    // entries and would be lost under a ticket made here (a review of item 145 found it; fused_test early-gemm0).
    const ColumnSplit launch_gemm1_split = gemm1_split(params, num_row_tiles);
    const uint32_t gemm1_tasks_per_tile = static_cast<uint32_t>(launch_gemm1_split.num_tasks);
    // (Not with kEarlyGemm0QueueGemm1: FLASHMOE_DISABLE_OWN_GEMM1_TICKETS=1, item 150's A/B switch.)
    const bool own_gemm1 = early.tickets > 0 && direct_gemm1 && combine_released_direct(params) &&
                           (params.early_gemm0 & kEarlyGemm0QueueGemm1) == 0;
    const uint32_t own_gemm1_end =
        own_gemm1 ? static_cast<uint32_t>(early.tickets) + static_cast<uint32_t>(num_row_tiles) * gemm1_tasks_per_tile
                  : 0u;
    __shared__ InputWait current_wait;
    while (true) {
        if (threadIdx.x == 0) {
            const uint32_t ticket = first_ticket != ~0u
                                        ? first_ticket
                                        : static_cast<uint32_t>(early.tickets) + atomicAdd(&control->task_next, 1u);
            first_ticket = ~0u;
            Task task{static_cast<int32_t>(TaskType::kExit), -1, -1, -1};
            InputWait wait{InputWait::kNone, gemm0_tasks_per_tile, &all_dispatched};
            const bool own_ticket = ticket < own_gemm1_end;  // NOTE: traced as WAIT tile kTraceOwnTicket
            if (ticket < static_cast<uint32_t>(num_tasks)) {
                bool ok = true;
                if (own_ticket) {
                    // An early launch's GEMM1 ticket: the entry the OS block releases for it (one row tile a group,
                    // unpaired: queue_entry), made here (the withheld task a no-op, as write_queue_entry makes it).
                    const uint32_t j = ticket - static_cast<uint32_t>(early.tickets);
                    const int tile = static_cast<int>(j / gemm1_tasks_per_tile);
                    task = Task{static_cast<int32_t>(static_cast<int64_t>(ticket) == params.withhold_task
                                                         ? TaskType::kNone
                                                         : TaskType::kGemm1),
                                tile, static_cast<int32_t>(j - static_cast<uint32_t>(tile) * gemm1_tasks_per_tile),
                                // The routes' expert (item 147): the task waits for its tile's GEMM0 count, which
                                // only processors that found the OS block's expert there publish (the check above).
                                early_tile_meta[tile].x};
                } else {
                    ok = ticket < published ||
                         wait_released(params, epoch, published_word, ticket, limit_ns, processor_idx, published);
                    if (ok) {
                        const int4 entry = __ldcg(reinterpret_cast<const int4*>(queue + ticket));
                        task = Task{entry.x, entry.y, entry.z, entry.w};
                    }
                }
                if (ok) {
                    const TaskType type = static_cast<TaskType>(task.type);
                    const bool gemm0 = type == TaskType::kGemm0 || type == TaskType::kGemm0Pair;
                    const bool gemm1 = type == TaskType::kGemm1 || type == TaskType::kGemm1Pair;
                    if (defer_acquires && type == TaskType::kGemm0 && !all_dispatched) {
                        wait.kind = InputWait::kDispatched;
                    } else if (defer_acquires && direct_gemm1 && type == TaskType::kGemm1) {
                        wait.kind = InputWait::kGemm0Done;
                    } else if ((gemm0 && !all_dispatched) || (direct_gemm1 && gemm1)) {
                        if (!acquire_task_inputs(params, epoch, type, task.tile, gemm0_tasks_per_tile,
                                                 all_dispatched)) {
                            task.type = static_cast<int32_t>(TaskType::kExit);  // aborting: noted
                        }
                    }
                }
            }
            current_task = task;
            current_wait = wait;
            const uint64_t now = trace_clock();
            trace_record(params.trace, TraceKind::kWait, own_ticket ? kTraceOwnTicket : -1, trace_mark, now);
            trace_mark = now;
        }
        processor_sync();
        const Task task = current_task;
        const InputWait wait = current_wait;
        processor_sync();  // current_task and current_wait are rewritten by the next iteration
        FLASHMOE_PROFILE_MARK(2);
        uint64_t* finished_counter = nullptr;
        switch (static_cast<TaskType>(task.type)) {
            case TaskType::kGemm0: {
                if (!run_gemm0(task, gemm_task_setup(params, task), wait, num_row_tiles)) return;  // aborting: recorded
                finished_counter = layout.get_gemm0_count_ptr() + task.tile;
                break;
            }
            case TaskType::kGemm0Pair: {
                // Column task n_tile of the pair (task.tile, task.tile + 1): half a row tile's pieces, counted for
                // tile task.tile + n_tile % 2 (gemm0_paired).
                const ColumnSplit split = pair_split(gemm0_split(params, num_row_tiles));
                if (!run_gemm0_pair_task<Element>(params, epoch, task, split.piece_begin(task.n_tile),
                                                  split.piece_end(task.n_tile), gemm_task_setup(params, task),
                                                  gemm_tile_rows(params, task.tile + 1), shared)) {
                    return;  // aborting: recorded
                }
                finished_counter = layout.get_gemm0_count_ptr() + task.tile + task.n_tile % 2;
                break;
            }
            case TaskType::kGemm1: {
                const ColumnSplit split = gemm1_split(params, num_row_tiles);
                // An early launch's (own_gemm1_end > 0: every GEMM1 task a ticket made above) from the routes: no load
                // of the tile's metadata before the task's first weight boxes (item 147). Each expert one row tile.
                const GemmTaskSetup setup =
                    own_gemm1_end != 0 ? gemm_task_setup(params, early_tile_meta[task.tile].y, [] { return true; })
                                       : gemm_task_setup(params, task);
                const bool ok = with_row_type<Element>(params, [&](auto row) {
                    using Row = decltype(row);
                    return swap_ab_task(params, setup, num_row_tiles)
                               ? run_gemm1_swap_task<Element, Row>(params, epoch, task, split.piece_begin(task.n_tile),
                                                                   split.piece_end(task.n_tile), split.piece_columns,
                                                                   setup, wait, shared)
                               : run_gemm1_task<Element, Row>(params, epoch, task, split.piece_begin(task.n_tile),
                                                              split.piece_end(task.n_tile), split.piece_columns, setup,
                                                              wait, shared);
                });
                if (!ok) return;  // aborting: recorded
                finish_gemm1_tile(task.tile, split.num_tasks);
                break;
            }
            case TaskType::kGemm1Pair: {
                // Column task n_tile of the pair (task.tile, task.tile + 1): it wrote rows of both tiles, so it counts
                // for both, and each tile's count ends at the pair's task count (gemm1_paired).
                const ColumnSplit split = pair_split(gemm1_split(params, num_row_tiles));
                if (!with_row_type<Element>(params, [&](auto row) {
                        return run_gemm1_pair_task<Element, decltype(row)>(
                            params, epoch, task, split.piece_begin(task.n_tile), split.piece_end(task.n_tile),
                            gemm_task_setup(params, task), gemm_tile_rows(params, task.tile + 1), shared);
                    })) {
                    return;  // aborting: recorded
                }
                finish_gemm1_tile(task.tile, split.num_tasks);
                finish_gemm1_tile(task.tile + 1, split.num_tasks);
                break;
            }
            case TaskType::kCombine:
                if (!run_combine<Element>(params, epoch, task, limit_ns, trace_mark, combine_gemm1_tasks, shared)) {
                    return;  // aborting: recorded
                }
                break;
            case TaskType::kNone:
                continue;  // debug fault injection: the withheld task; nothing runs, nothing is published
            case TaskType::kExit:
                ep_quiet(params);
#if defined(FLASHMOE_PROCESSOR_PROFILE)
                if (threadIdx.x == 0 && epoch == FLASHMOE_PROCESSOR_PROFILE) {
                    printf("profile %d %llu %llu %llu %llu %llu %llu %llu %llu %llu %u %u %u\n", processor_idx,
                           (unsigned long long)profile_start, (unsigned long long)profile_clock(),
                           (unsigned long long)profile_ns[0], (unsigned long long)profile_ns[1],
                           (unsigned long long)profile_ns[2], (unsigned long long)profile_ns[3],
                           (unsigned long long)profile_ns[4], (unsigned long long)profile_ns[5],
                           (unsigned long long)profile_ns[6], profile_tasks[0], profile_tasks[1], profile_tasks[2]);
                }
#endif
                return;
            default:
                __trap();
        }
        // NOTE: the barrier gathers every thread's results under thread 0, whose release below (the counter's
        // red.release, or fence + CAS) publishes them: one fence per task, not one per thread.
        processor_sync();
#if defined(FLASHMOE_PROCESSOR_PROFILE)
        {
            const TaskType phase = task_phase(task.type);
            const int slot = phase == TaskType::kGemm0 ? 0 : phase == TaskType::kGemm1 ? 1 : 2;
            FLASHMOE_PROFILE_MARK(3 + slot);
            ++profile_tasks[slot];
        }
#endif
        if (threadIdx.x == 0) {
            if (finished_counter != nullptr) {
                // One GPU: the GEMM0 count holds this launch's epoch already (routing.cuh): the red.release alone.
                if (ep) {
                    epoch_counter_publish(finished_counter, epoch);
                } else {
                    epoch_counter_publish_current(finished_counter);
                }
            }
            const uint64_t now = trace_clock();
            const TaskType phase = task_phase(task.type);
            const TraceKind kind = phase == TaskType::kGemm0   ? TraceKind::kGemm0
                                   : phase == TaskType::kGemm1 ? TraceKind::kGemm1
                                                               : TraceKind::kCombine;
            trace_record(params.trace, kind, task.tile, trace_mark, now);
            trace_mark = now;
        }
        FLASHMOE_PROFILE_MARK(6);
    }
}

}  // namespace flashmoe::fused
