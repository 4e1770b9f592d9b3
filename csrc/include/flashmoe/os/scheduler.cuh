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

// Writes `task` into processor `processor_idx`'s task slot; its doorbell rings after one fence for the whole scan.
// One lane.
__device__ __forceinline__ void write_task(const KernelParams& params, int processor_idx, const Task& task) {
    volatile Task* slot = params.layout.get_task_ptr<Task>() + processor_idx;
    slot->type = task.type;
    slot->tile = task.tile;
    slot->n_tile = task.n_tile;
    slot->expert = task.expert;
}

// Pops the next ready task, later stages first (they free rows and bring the end closer), skipping the task that
// fault injection withholds. One lane.
__device__ __forceinline__ bool next_task(const KernelParams& params, TaskRing* rings, int total_tasks,
                                          int& tasks_issued, Task& task) {
    while (tasks_issued < total_tasks) {
        if (!rings[2].try_pop(task) && !rings[1].try_pop(task) && !rings[0].try_pop(task)) {
            return false;
        }
        if (tasks_issued == params.withhold_task) {
            ++tasks_issued;  // NOTE: debug fault injection: this task is never sent
            continue;
        }
        return true;
    }
    return false;
}

// Runs the scheduler warp. `processor_state` is shared memory of num_processors words, zeroed by the caller.
// One scan = every lane loads the done words of its processors (all loads in flight together), the warp ballots
// the idle ones chunk by chunk, lane 0 assigns tasks and writes the task slots, then one fence and the doorbells.
__device__ inline void run_scheduler(const KernelParams& params, uint32_t epoch, int num_row_tiles,
                                     TaskRing* rings, uint32_t* processor_state) {
    constexpr int kMaxChunks = 32;  // processors per lane in one scan: num_processors <= 32 * 32
    static_assert(TileConfig::kMaxProcessors <= 32 * kMaxChunks, "one bit per chunk in a lane's idle mask");
    const int lane_idx = threadIdx.x % 32;
    const int num_processors = params.num_processors;
    const int num_chunks = (num_processors + 31) / 32;
    const int gemm0_n_tiles = gemm0_split(params.intermediate, num_row_tiles, params.num_processors).num_tasks;
    const int gemm1_n_tiles = gemm1_split(params.hidden, num_row_tiles, params.num_processors).num_tasks;
    const int num_token_tiles = (params.num_tokens + TileConfig::kTokensPerCombine - 1) / TileConfig::kTokensPerCombine;
    const int total_tasks = num_row_tiles * (gemm0_n_tiles + gemm1_n_tiles) + num_token_tiles;
    const volatile uint64_t* done = params.layout.get_done_ptr();
    volatile uint64_t* doorbell = params.layout.get_doorbell_ptr();
    // NOTE: 1.5x the subscribers' bound, so that a stalled pipeline is reported by the subscriber that knows which
    // tile is missing, and the scheduler speaks only when it is itself the one stuck.
    WaitClock clock(params.timeout_ns + params.timeout_ns / 2);

    int tasks_issued = 0;  // lane 0's; broadcast after each scan
    int exits_sent = 0;
    while (exits_sent < num_processors) {
        if (is_aborted(params, epoch)) {
            return;
        }
        // Bit c of `idle_mask`: processor c * 32 + lane is idle (or may be told to exit without having reported).
        // NOTE: relaxed loads: the scheduler reads none of a processor's results, it only needs to know it is idle.
        uint32_t idle_mask = 0;
#pragma unroll 4
        for (int chunk = 0; chunk < num_chunks; ++chunk) {
            const int processor_idx = chunk * 32 + lane_idx;
            if (processor_idx < num_processors) {
                const uint32_t state = processor_state[processor_idx];
                const bool idle = (state & kProcessorExited) == 0 &&
                                  (done[processor_idx] == epoch_tag(epoch, state) ||
                                   (state == 0 && tasks_issued == total_tasks));
                idle_mask |= static_cast<uint32_t>(idle) << chunk;
            }
        }
        bool progress = false;
        bool sent_any = false;
        uint32_t sent[kMaxChunks];  // lane 0: processors sent a task or EXIT in this scan, per chunk
        for (int chunk = 0; chunk < num_chunks; ++chunk) {
            const uint32_t candidates = __ballot_sync(0xffffffffu, (idle_mask >> chunk) & 1u);
            if (lane_idx != 0) continue;
            sent[chunk] = 0;
            for (uint32_t mask = candidates; mask != 0; mask &= mask - 1) {
                const int target = chunk * 32 + __ffs(mask) - 1;
                const uint32_t state = processor_state[target];
                Task task;
                if (next_task(params, rings, total_tasks, tasks_issued, task)) {
                    write_task(params, target, task);
                    processor_state[target] = state + 1;
                    ++tasks_issued;
                } else if (tasks_issued == total_tasks) {
                    // Every task is out: this processor is idle (or never started) and gets EXIT.
                    write_task(params, target, Task{static_cast<int32_t>(TaskType::kExit), -1, -1, -1});
                    processor_state[target] = (state + 1) | kProcessorExited;
                    ++exits_sent;
                } else {
                    break;  // nothing ready now; idle processors stay idle until the next scan
                }
                sent[chunk] |= mask & (~mask + 1);  // the lowest bit: this target
                sent_any = true;
                progress = true;
            }
        }
        if (lane_idx == 0 && sent_any) {
            // One fence orders every task slot above (and what the subscribers observed) before any doorbell:
            // fence + relaxed store is a release, paired with the processor's acquire of its doorbell.
            __threadfence();
        }
        __syncwarp();
        // Ring the doorbells of this scan: lane 0, after its fence.
        if (lane_idx == 0 && sent_any) {
            for (int chunk = 0; chunk < num_chunks; ++chunk) {
                for (uint32_t mask = sent[chunk]; mask != 0; mask &= mask - 1) {
                    const int target = chunk * 32 + __ffs(mask) - 1;
                    doorbell[target] = epoch_tag(epoch, processor_state[target] & ~kProcessorExited);
                }
            }
        }
        tasks_issued = __shfl_sync(0xffffffffu, tasks_issued, 0);
        exits_sent = __shfl_sync(0xffffffffu, exits_sent, 0);
        progress = __shfl_sync(0xffffffffu, progress, 0);
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
