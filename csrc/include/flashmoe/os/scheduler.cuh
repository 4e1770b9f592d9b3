// The scheduler warp of the OS block: drains the subscribers' rings (later stages first) and releases their tasks
// into the task queue in global memory, a lane per task, with one release of the queue's published count per
// warp-wide pop (up to 32 batches of one ring).
// Processors claim queue tickets in order (ControlBlock::task_next) and run the task released under their ticket.
#pragma once

#include <cstdint>

#include "flashmoe/comm/ep_device.cuh"
#include "flashmoe/fused/sync.cuh"
#include "flashmoe/fused/types.cuh"
#include "flashmoe/os/task_ring.cuh"

namespace flashmoe::fused {

// Pops up to 32 ready batches of one ring, later stages first (they free rows and bring the end closer): lane l of the
// returned count (the same on every lane) gets batch l. With `gemm0_only`, only the GEMM0 ring. Whole warp.
__device__ __forceinline__ int next_batches(TaskRing* rings, Task& batch, bool gemm0_only) {
    int count = gemm0_only ? 0 : rings[2].pop_warp(batch);
    if (count == 0 && !gemm0_only) count = rings[1].pop_warp(batch);
    if (count == 0) count = rings[0].pop_warp(batch);
    return count;
}

// What a launch's batches expand to in the queue: column tasks per row tile, whether each GEMM pairs its groups' row
// tiles (gemm0_paired, gemm1_paired), and COMBINE tasks per token tile (combine_slices). The same for every batch of
// the launch.
struct QueueShape {
    int gemm0_per_tile;
    int gemm1_per_tile;
    bool paired0;
    bool paired1;
    int combine_per_tile;
};
__device__ __forceinline__ QueueShape queue_shape(const KernelParams& params, int num_row_tiles) {
    const ColumnSplit gemm0 = gemm0_split(params, num_row_tiles);
    const ColumnSplit gemm1 = gemm1_split(params, num_row_tiles);
    return QueueShape{gemm0.num_tasks, gemm1.num_tasks, gemm0_paired(params, gemm0), gemm1_paired(params, gemm1),
                      combine_slices(params)};
}

// The queue entry of column task n of one batch. A GEMM batch is the column tasks of a group of row tiles
// (os/subscriber.cuh tile_group_end), queued column task by column task: entry n is column task n / tiles of row tile
// batch.tile + n % tiles. A COMBINE batch is a run of token tiles: entry n is column slice n % slices of token tile
// batch.tile + n / slices.
__device__ __forceinline__ int4 queue_entry(const KernelParams& params, const QueueShape& shape, const Task& batch,
                                            int n) {
    const bool run_of_tiles = batch.type == static_cast<int32_t>(TaskType::kCombine);
    if (run_of_tiles) {
        const int tile = n / shape.combine_per_tile;
        return make_int4(batch.type, batch.tile + tile, n - tile * shape.combine_per_tile, batch.expert);
    }
    const bool gemm0_batch = batch.type == static_cast<int32_t>(TaskType::kGemm0);
    const int tiles = batch.n_tile / (gemm0_batch ? shape.gemm0_per_tile : shape.gemm1_per_tile);
    // Paired GEMM0 / GEMM1 (gemm0_paired, gemm1_paired, group_paired): tiles 2p and 2p + 1 of the group form pair p,
    // with 2 x per_tile column tasks of half the pieces each; a group of odd size leaves its last tile alone. Queued in
    // rounds d = 0 .. per_tile - 1: column tasks 2d of every pair, 2d + 1 of every pair, then the lone tile's column
    // task d (the same pieces), so the tasks that read one weight box stay adjacent: `tiles` entries per round, as
    // unpaired.
    const bool paired = gemm0_batch ? shape.paired0 : shape.paired1;
    const int pairs = paired && group_paired(tiles, shape.gemm0_per_tile, params.tma.pair_group_tasks,
                                             params.tma.pair_group_rows,
                                             [&] { return gemm_tile_rows(params, batch.tile + tiles - 1); })
                          ? tiles / 2
                          : 0;
    const int d = n / tiles;
    const int r = n - d * tiles;
    if (pairs == 0) {
        return make_int4(batch.type, batch.tile + r, d, batch.expert);
    }
    const int pair_type = static_cast<int32_t>(gemm0_batch ? TaskType::kGemm0Pair : TaskType::kGemm1Pair);
    return r < 2 * pairs ? make_int4(pair_type, batch.tile + 2 * (r % pairs), 2 * d + r / pairs, batch.expert)
                         : make_int4(batch.type, batch.tile + tiles - 1, d, batch.expert);
}

// Writes queue entry `ordinal`: column task n of `batch`, or a no-op where it is the withheld task (debug fault
// injection: params.withhold_task).
__device__ __forceinline__ void write_queue_entry(const KernelParams& params, const QueueShape& shape, Task* queue,
                                                  const Task& batch, int n, int ordinal) {
    int4 task = queue_entry(params, shape, batch, n);
    if (ordinal == params.withhold_task) task.x = static_cast<int32_t>(TaskType::kNone);
    *reinterpret_cast<int4*>(queue + ordinal) = task;
}

// Writes the tasks of `count` popped batches (lane b holds batch b) into the queue from ordinal `released`, in batch
// order, a lane per entry across all of them; returns their task count. Some entries are published (`publish(count)`,
// lane 0, after the warp barrier) as soon as they are written, before the rest: in the launch's first release
// (`released` 0, every processor waiting), when it holds more entries than processors, the first 32; in a release of
// GEMM1 tasks followed by the direct COMBINE batch (combine_released_direct), the GEMM1 tasks. Whole warp.
// NOTE: batch by batch (the lanes striding over one batch's tasks, then the next) took ~0.4 us a batch whatever its
// size: a release of 32 batches of 5 tasks took 10-12 us at T = 64-1024, and the first GEMM0 tasks waited for it
// (perf-notes item 40, call4).
template <typename Publish>
__device__ __forceinline__ int queue_batches(const KernelParams& params, const QueueShape& shape, Task* queue,
                                             const Task& popped, int count, int released, Publish publish) {
    const int lane_idx = threadIdx.x % 32;
    // Lane b's batch covers entries [start, start + own) of this release.
    const int own = lane_idx < count ? popped.n_tile : 0;
    int inclusive = own;
#pragma unroll
    for (int offset = 1; offset < 32; offset <<= 1) {
        const int below = __shfl_up_sync(0xffffffffu, inclusive, offset);
        if (lane_idx >= offset) inclusive += below;
    }
    const int start = inclusive - own;
    const int total = __shfl_sync(0xffffffffu, inclusive, 31);
    // The first entry of a COMBINE batch (total when none). NOTE: the direct COMBINE batch (every COMBINE task of the
    // launch, at Qwen3 T = 1024 256 of them: ~3 us of writes) may come in one pop with the last GEMM1 batches, whose
    // tasks are the launch's critical path; they go out first.
    const int combine_from = __reduce_min_sync(
        0xffffffffu, lane_idx < count && popped.type == static_cast<int32_t>(TaskType::kCombine) ? start : total);
    int first_batch = 0;  // warp-uniform: the batch of entry `base`
    for (int base = 0; base < total; base += 32) {
        // Bit j: a batch starts at entry base + j, j > 0 (batches are never empty, so no two start together).
        const uint32_t starts = __reduce_or_sync(
            0xffffffffu, lane_idx < count && start > base && start < base + 32 ? 1u << (start - base) : 0u);
        // This lane's entry base + lane lies in the batch after every start at or below it (2u << 31 wraps to 0).
        const int b = first_batch + __popc(starts & ((2u << lane_idx) - 1u));
        Task batch;
        batch.type = __shfl_sync(0xffffffffu, popped.type, b);
        batch.tile = __shfl_sync(0xffffffffu, popped.tile, b);
        batch.n_tile = __shfl_sync(0xffffffffu, popped.n_tile, b);
        batch.expert = __shfl_sync(0xffffffffu, popped.expert, b);
        const int batch_start = __shfl_sync(0xffffffffu, start, b);
        const int entry = base + lane_idx;
        if (entry < total) write_queue_entry(params, shape, queue, batch, entry - batch_start, released + entry);
        // NOTE: the launch's first release at T = 8 is 352 GEMM0 tasks, written for ~4.6 us before one publish while
        // every processor waited (perf-notes item 45; since item 54 only without direct GEMM0, whose tasks the OS
        // block queues itself). With more tasks than processors, the processors that take the
        // first tickets also take the phase's last ones, so their early start ends the phase earlier; with fewer
        // (T = 1: 192), the publish would only delay the rest.
        const bool first_of_launch = released == 0 && base == 0 && total > params.num_processors;
        const bool before_combine = combine_from > 0 && combine_from < total && base < combine_from &&
                                    combine_from <= base + 32;
        if (first_of_launch || before_combine) {
            __syncwarp();
            if (lane_idx == 0) publish(released + min(base + 32, total));
        }
        // The next pass starts in lane 31's batch, or in the one after it when that ends here.
        const int last = __shfl_sync(0xffffffffu, b, 31);
        const int last_end = __shfl_sync(0xffffffffu, start + own, last);
        first_batch = base + 32 >= last_end ? last + 1 : last;
    }
    return total;
}

// One GPU with direct GEMM0 (gemm0_released_direct): the launch's GEMM0 tasks are the first entries of the queue, group
// by group in tile order (a group of tiles [g, e) holds entries [g, e) x gemm0_per_tile), a function of the slot
// assignment alone. The whole OS block writes them right after it, during the processors' dispatch (each entry as the
// scheduler would: queue_entry), and thread 0 publishes them; returns their count. A team of threads per row tile
// (as many as the block has for each tile, at least one): the team of a group's first tile looks the group up once
// and its threads write the group's entries in turn, so a launch of few tiles spreads each group over many threads.
// NOTE: with a single thread per tile, each entry took ~100-145 ns in turn, so a launch of few large groups waited for
// one thread's loop (paper T = 1: 2 groups of 64 entries, 7.4 us; Qwen3 T = 1: 8 of 24, 3.5 us). Contiguous runs of
// entries per thread instead needed a group lookup (dependent global loads) per run, which cost Qwen3 T = 8 (52 groups
// of 24 entries) +2 us (perf-notes item 96). Before item 54, the dispatch subscriber's push and the scheduler's
// one-warp release took ~4 us at T = 1 and ~12 us at T = 8.
__device__ inline int queue_gemm0_direct(const KernelParams& params, uint32_t epoch, int num_row_tiles) {
    const uint64_t start_ns = trace_clock();
    const QueueShape shape = queue_shape(params, num_row_tiles);
    const int group_size = tile_group_size(params);
    Task* queue = params.layout.get_task_queue_ptr<Task>();
    const int threads = TileConfig::kThreads;
    const int team = num_row_tiles > 0 && num_row_tiles < threads ? threads / num_row_tiles : 1;
    const int member = static_cast<int>(threadIdx.x) % team;
    for (int tile = static_cast<int>(threadIdx.x) / team; tile < num_row_tiles; tile += threads / team) {
        const int end = group_size == 1 ? tile + 1 : params.layout.get_tile_group_end_ptr()[tile];
        if (end == 0) continue;  // not a group's first tile
        const Task batch{static_cast<int32_t>(TaskType::kGemm0), tile, (end - tile) * shape.gemm0_per_tile,
                         gemm_tile_expert(params, tile)};
        const int first = tile * shape.gemm0_per_tile;
        for (int n = member; n < batch.n_tile; n += team) write_queue_entry(params, shape, queue, batch, n, first + n);
        if (member == 0) trace_record(params.trace, TraceKind::kPushGemm0, tile, start_ns, trace_clock());
    }
    const int count = num_row_tiles * shape.gemm0_per_tile;
    // NOTE: the barrier gathers every thread's entries under thread 0, whose release (cumulative) publishes them.
    processor_sync();
    if (threadIdx.x == 0) {
        store_release(&params.layout.get_control_ptr()->tasks_published, epoch_tag(epoch, static_cast<uint32_t>(count)));
        trace_record(params.trace, TraceKind::kRelease, count, start_ns, trace_clock());
    }
    return count;
}

// Runs the scheduler warp until every task of the launch is in the queue (or the launch aborts, or nothing becomes
// ready within its bound). NOTE: the queue's order is the release order, so the task with ordinal
// params.withhold_task (debug fault injection) is released as a no-op: its tile never completes and the subscriber
// waiting for it reports the tile.
// `queued`: the entries queue_gemm0_direct published already.
__device__ inline void run_scheduler(const KernelParams& params, uint32_t epoch, int num_row_tiles, TaskRing* rings,
                                     int queued) {
    const int lane_idx = threadIdx.x % 32;
    const int num_tasks = total_tasks(params, num_row_tiles);
    const QueueShape shape = queue_shape(params, num_row_tiles);
    // Direct GEMM1 (gemm1_released_direct): its batches are on the GEMM1 ring from the launch's start, and its tasks wait
    // for GEMM0 tasks, so the queue takes every GEMM0 task first (until then nothing else can be on the rings: COMBINE
    // waits for GEMM1). NOTE: GEMM1 tickets ahead of GEMM0 ones would hold the processors that GEMM0 needs.
    const int gemm0_tasks = gemm1_released_direct(params, num_row_tiles) ? num_row_tiles * shape.gemm0_per_tile : 0;
    Task* queue = params.layout.get_task_queue_ptr<Task>();
    uint64_t* published_word = &params.layout.get_control_ptr()->tasks_published;
    // Lane 0: publishes the queue's first `count` entries (st.release: cumulative over what the warp barrier gathered).
    auto publish = [&](int count) { store_release(published_word, epoch_tag(epoch, static_cast<uint32_t>(count))); };
    // NOTE: 1.5x the subscribers' bound, so that a stalled pipeline is reported by the subscriber that knows which
    // tile is missing, and the scheduler speaks only when it is itself the one stuck.
    WaitClock clock(params.timeout_ns + params.timeout_ns / 2);

    int published = queued;  // warp-uniform
    while (published < num_tasks) {
        if (clock.aborted(params, epoch)) {  // NOTE: restarted at every release: never read while tasks flow
            return;
        }
        // One release per pop: the batches a subscriber pushed together go out together, and none waits for later
        // ones. NOTE: gathering pops up to 32 batches per release held the first GEMM0 tasks ~12 us at T = 64-1024
        // while the subscriber's later rows came in (perf-notes item 40).
        Task popped{};
        const int count = next_batches(rings, popped, published < gemm0_tasks);
        if (count == 0) {
            if (clock.expired()) {
                if (lane_idx == 0) {
                    report_error_out_of_line(params, epoch, FLASHMOE_ERROR_TIMEOUT, Role::kScheduler,
                                             WaitWhat::kReadyTask, -1, published, published, num_tasks,
                                             clock.elapsed(), true);
                }
                __syncwarp();
                return;
            }
            __nanosleep(64);
            continue;
        }
        const uint64_t popped_ns = trace_clock();
        const int released = published + queue_batches(params, shape, queue, popped, count, published, publish);
        // The warp barrier gathers every lane's queue entries under lane 0, whose release (cumulative) publishes them
        // with what the subscribers acquired: one fence per release, as a processor's bar.sync + red.release.
        // NOTE: a __threadfence() on every lane before it took 0.3-3 us under load (perf-notes item 40, call4).
        __syncwarp();
        if (lane_idx == 0) {
            publish(released);
            trace_record(params.trace, TraceKind::kRelease, released, popped_ns, trace_clock());
        }
        published = released;
        clock.restart();
    }
}

}  // namespace flashmoe::fused
