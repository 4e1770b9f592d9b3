// The scheduler warp of the OS block: drains the subscribers' rings (later stages first) and releases their tasks
// into the task queue in global memory, a lane per task, with one release of the queue's published count per drain.
// Processors claim queue tickets in order (ControlBlock::task_next) and run the task released under their ticket.
#pragma once

#include <cstdint>

#include "flashmoe/fused/sync.cuh"
#include "flashmoe/fused/types.cuh"
#include "flashmoe/os/task_ring.cuh"

namespace flashmoe::fused {

// Batches gathered before one release: bounds the time the first of them waits for the release.
constexpr int kMaxBatchesPerRelease = 32;

// Pops the next ready batch, later stages first (they free rows and bring the end closer). One lane.
__device__ __forceinline__ bool next_batch(TaskRing* rings, Task& batch) {
    return rings[2].try_pop(batch) || rings[1].try_pop(batch) || rings[0].try_pop(batch);
}

// Runs the scheduler warp until every task of the launch is in the queue (or the launch aborts, or nothing becomes
// ready within its bound). NOTE: the queue's order is the release order, so the task with ordinal
// params.withhold_task (debug fault injection) is released as a no-op: its tile never completes and the subscriber
// waiting for it reports the tile.
__device__ inline void run_scheduler(const KernelParams& params, uint32_t epoch, int num_row_tiles, TaskRing* rings) {
    const int lane_idx = threadIdx.x % 32;
    const int num_tasks = total_tasks(params, num_row_tiles);
    const ColumnSplit gemm0 = gemm0_split(params, num_row_tiles);
    const ColumnSplit gemm1 = gemm1_split(params, num_row_tiles);
    const int gemm0_per_tile = gemm0.num_tasks;
    const int gemm1_per_tile = gemm1.num_tasks;
    const bool paired0 = gemm0_paired(params, gemm0);
    const bool paired1 = gemm1_paired(params, gemm1);
    Task* queue = params.layout.get_task_queue_ptr<Task>();
    uint64_t* published_word = &params.layout.get_control_ptr()->tasks_published;
    // NOTE: 1.5x the subscribers' bound, so that a stalled pipeline is reported by the subscriber that knows which
    // tile is missing, and the scheduler speaks only when it is itself the one stuck.
    WaitClock clock(params.timeout_ns + params.timeout_ns / 2);

    int published = 0;  // warp-uniform
    while (published < num_tasks) {
        if (clock.aborted(params, epoch)) {  // NOTE: restarted at every release: never read while tasks flow
            return;
        }
        int released = published;
        for (int batches = 0; batches < kMaxBatchesPerRelease; ++batches) {
            Task batch{};
            const bool popped = lane_idx == 0 && next_batch(rings, batch);
            if (!__shfl_sync(0xffffffffu, popped, 0)) {
                break;
            }
            batch.type = __shfl_sync(0xffffffffu, batch.type, 0);
            batch.tile = __shfl_sync(0xffffffffu, batch.tile, 0);
            batch.n_tile = __shfl_sync(0xffffffffu, batch.n_tile, 0);  // the batch's task count
            batch.expert = __shfl_sync(0xffffffffu, batch.expert, 0);
            // A GEMM batch is the column tasks of a group of row tiles (os/subscriber.cuh tile_group_end), queued
            // column task by column task: entry n is column task n / tiles of row tile batch.tile + n % tiles. A
            // COMBINE batch is a run of token tiles.
            const bool run_of_tiles = batch.type == static_cast<int32_t>(TaskType::kCombine);
            const bool gemm0_batch = batch.type == static_cast<int32_t>(TaskType::kGemm0);
            const int tiles = run_of_tiles ? 1 : batch.n_tile / (gemm0_batch ? gemm0_per_tile : gemm1_per_tile);
            // Paired GEMM0 / GEMM1 (gemm0_paired, gemm1_paired, group_paired): tiles 2p and 2p + 1 of the group form
            // pair p, with 2 x per_tile column tasks of half the pieces each; a group of odd size leaves its last tile
            // alone. Queued in rounds d = 0 .. per_tile - 1: column tasks 2d of every pair, 2d + 1 of every pair, then
            // the lone tile's column task d (the same pieces), so the tasks that read one weight box stay adjacent:
            // `tiles` entries per round, as unpaired.
            const bool paired = gemm0_batch ? paired0 : !run_of_tiles && paired1;
            const int pairs = paired && group_paired(tiles, gemm0_per_tile, params.tma.pair_group_tasks) ? tiles / 2 : 0;
            const int pair_type = static_cast<int32_t>(gemm0_batch ? TaskType::kGemm0Pair : TaskType::kGemm1Pair);
            for (int n = lane_idx; n < batch.n_tile; n += 32) {
                const int ordinal = released + n;
                const bool withheld = ordinal == params.withhold_task;
                int4 entry;
                if (run_of_tiles) {
                    entry = make_int4(batch.type, batch.tile + n, 0, batch.expert);
                } else if (pairs == 0) {
                    entry = make_int4(batch.type, batch.tile + n % tiles, n / tiles, batch.expert);
                } else {
                    const int d = n / tiles;
                    const int r = n - d * tiles;
                    entry = r < 2 * pairs
                                ? make_int4(pair_type, batch.tile + 2 * (r % pairs), 2 * d + r / pairs, batch.expert)
                                : make_int4(batch.type, batch.tile + tiles - 1, d, batch.expert);
                }
                if (withheld) entry.x = static_cast<int32_t>(TaskType::kNone);
                *reinterpret_cast<int4*>(queue + ordinal) = entry;
            }
            released += batch.n_tile;
        }
        if (released == published) {
            if (clock.expired()) {
                if (lane_idx == 0) {
                    report_error(params, epoch, FLASHMOE_ERROR_TIMEOUT, Role::kScheduler, WaitWhat::kReadyTask, -1,
                                 published, published, num_tasks, clock.elapsed(), true);
                }
                __syncwarp();
                return;
            }
            __nanosleep(64);
            continue;
        }
        // Every lane fences its own queue entries (and what the subscribers observed) before lane 0's release.
        __threadfence();
        __syncwarp();
        if (lane_idx == 0) {
            store_release(published_word, epoch_tag(epoch, static_cast<uint32_t>(released)));
        }
        published = released;
        clock.restart();
    }
}

}  // namespace flashmoe::fused
