// The scheduler warp of the OS block: hands ready tasks (from the subscribers' rings, later stages first) to idle
// processors through per-processor doorbells, then sends each processor EXIT once every task is out.
#pragma once

#include <cstdint>

#include "flashmoe/fused/sync.cuh"
#include "flashmoe/fused/types.cuh"
#include "flashmoe/os/task_ring.cuh"

namespace flashmoe::fused {

// Per-processor scheduler state in shared memory: the sequence number of the last task sent, and an exit bit.
constexpr uint32_t kProcessorExited = 0x80000000u;

// Writes `task` into processor `processor_idx`'s task slot; its doorbell rings later (ring_doorbells), after one
// fence for the whole batch. One lane.
__device__ __forceinline__ void write_task(const KernelParams& params, int processor_idx, const Task& task) {
    volatile Task* slot = params.layout.get_task_ptr<Task>() + processor_idx;
    slot->type = task.type;
    slot->tile = task.tile;
    slot->n_tile = task.n_tile;
    slot->expert = task.expert;
}

// Rings the doorbells of the processors in `sent` (bits over chunk..chunk+31) with their new sequence numbers.
// NOTE: one fence orders every task slot written above (and the data the subscribers observed) before the doorbells;
// fence + relaxed store is a release, paired with the processor's acquire of its doorbell.
__device__ __forceinline__ void ring_doorbells(const KernelParams& params, uint32_t epoch, int chunk, uint32_t sent,
                                               const uint32_t* processor_state) {
    if (sent == 0) return;
    __threadfence();
    volatile uint64_t* doorbell = params.layout.get_doorbell_ptr();
    for (uint32_t mask = sent; mask != 0; mask &= mask - 1) {
        const int target = chunk + __ffs(mask) - 1;
        doorbell[target] = epoch_tag(epoch, processor_state[target] & ~kProcessorExited);
    }
}

// Runs the scheduler warp. `processor_state` is shared memory of num_processors words, zeroed by the caller.
__device__ inline void run_scheduler(const KernelParams& params, uint32_t epoch, int num_row_tiles,
                                     TaskRing* rings, uint32_t* processor_state) {
    constexpr int kBlockN = TileConfig::kBlockN;
    const int lane_idx = threadIdx.x % 32;
    const int num_processors = params.num_processors;
    const int gemm0_n_tiles = (params.intermediate + kBlockN - 1) / kBlockN;
    const int gemm1_n_tiles = (params.hidden + kBlockN - 1) / kBlockN;
    const int num_token_tiles = (params.num_tokens + TileConfig::kTokensPerCombine - 1) / TileConfig::kTokensPerCombine;
    const int total_tasks = num_row_tiles * (gemm0_n_tiles + gemm1_n_tiles) + num_token_tiles;
    const uint64_t* done = params.layout.get_done_ptr();
    // NOTE: 1.5x the subscribers' bound, so that a stalled pipeline is reported by the subscriber that knows which
    // tile is missing, and the scheduler speaks only when it is itself the one stuck.
    WaitClock clock(params.timeout_ns + params.timeout_ns / 2);

    int tasks_issued = 0;  // uniform across the warp (lane 0 decides, then broadcasts)
    int exits_sent = 0;
    while (exits_sent < num_processors) {
        if (is_aborted(params, epoch)) {
            return;
        }
        bool progress = false;
        for (int chunk = 0; chunk < num_processors; chunk += 32) {
            const int processor_idx = chunk + lane_idx;
            bool candidate = false;
            if (processor_idx < num_processors) {
                const uint32_t state = processor_state[processor_idx];
                if ((state & kProcessorExited) == 0) {
                    // NOTE: relaxed: the scheduler reads none of the processor's results, it only needs to know it is idle.
                    const bool idle = *reinterpret_cast<const volatile uint64_t*>(done + processor_idx) ==
                                      epoch_tag(epoch, state);
                    // A processor that never got a task needs no report of readiness to be told to exit: it may not
                    // even be resident yet, and it will find the EXIT when it starts.
                    const bool never_used = state == 0 && tasks_issued == total_tasks;
                    candidate = idle || never_used;
                }
            }
            const uint32_t candidates = __ballot_sync(0xffffffffu, candidate);
            if (lane_idx == 0) {
                uint32_t sent = 0;
                for (uint32_t mask = candidates; mask != 0; mask &= mask - 1) {
                    const int target = chunk + __ffs(mask) - 1;
                    const uint32_t state = processor_state[target];
                    if (tasks_issued < total_tasks) {
                        Task task;
                        bool found = false;
                        while (!found && tasks_issued < total_tasks) {
                            // Later stages first: they free rows and bring the end closer.
                            if (!rings[2].try_pop(task) && !rings[1].try_pop(task) && !rings[0].try_pop(task)) {
                                break;
                            }
                            if (tasks_issued == params.withhold_task) {
                                ++tasks_issued;  // NOTE: debug fault injection: this task is never sent
                                continue;
                            }
                            found = true;
                        }
                        if (!found) {
                            if (tasks_issued < total_tasks) {
                                break;  // nothing ready now; idle processors stay idle
                            }
                        } else {
                            write_task(params, target, task);
                            sent |= 1u << (target - chunk);
                            processor_state[target] = state + 1;
                            ++tasks_issued;
                            progress = true;
                            continue;
                        }
                    }
                    // Every task is out: this processor is idle (or never started) and gets EXIT.
                    const Task exit_task{static_cast<int32_t>(TaskType::kExit), -1, -1, -1};
                    write_task(params, target, exit_task);
                    sent |= 1u << (target - chunk);
                    processor_state[target] = (state + 1) | kProcessorExited;
                    ++exits_sent;
                    progress = true;
                }
                ring_doorbells(params, epoch, chunk, sent, processor_state);
            }
            __syncwarp();
            tasks_issued = __shfl_sync(0xffffffffu, tasks_issued, 0);
            exits_sent = __shfl_sync(0xffffffffu, exits_sent, 0);
            progress = __shfl_sync(0xffffffffu, progress, 0);
        }
        if (progress) {
            clock.restart();
        } else if (clock.expired()) {
            if (lane_idx == 0) {
                const bool tasks_left = tasks_issued < total_tasks;
                report_error(params, epoch, FLASHMOE_ERROR_TIMEOUT, Role::kScheduler,
                             tasks_left ? WaitWhat::kReadyTask : WaitWhat::kIdleProcessor, -1,
                             tasks_left ? tasks_issued : exits_sent, tasks_left ? tasks_issued : exits_sent,
                             tasks_left ? total_tasks : num_processors, clock.elapsed(), true);
            }
            __syncwarp();
            return;
        } else {
            __nanosleep(64);
        }
    }
}

}  // namespace flashmoe::fused
