// Single-producer single-consumer ring of tasks in the OS block's shared memory: a subscriber warp's lane 0 pushes,
// the scheduler warp's lane 0 pops. Head and tail only grow; the slot is index % kRingSize.
#pragma once

#include <cstdint>

#include "flashmoe/fused/sync.cuh"
#include "flashmoe/fused/types.cuh"

namespace flashmoe::fused {

struct TaskRing {
    Task tasks[TileConfig::kRingSize];
    uint32_t head;  // next to pop (scheduler)
    uint32_t tail;  // next to push (subscriber)
    uint32_t padding[2];

    __device__ __forceinline__ void reset() {
        head = 0;
        tail = 0;
    }

    // Bounded push by the producing lane. False when the launch aborted or the wait expired (recorded).
    __device__ __forceinline__ bool push(const KernelParams& params, uint32_t epoch, const Task& task,
                                         uint64_t limit_ns) {
        static_assert((TileConfig::kRingSize & (TileConfig::kRingSize - 1)) == 0, "ring size is a power of two");
        const uint32_t my_tail = tail;  // only this lane writes tail
        volatile uint32_t* volatile_head = &head;
        if (my_tail - *volatile_head >= TileConfig::kRingSize) {
            WaitClock clock(limit_ns);
            while (my_tail - *volatile_head >= TileConfig::kRingSize) {
                if (is_aborted(params, epoch)) {
                    return false;
                }
                if (clock.expired()) {
                    report_error(params, epoch, FLASHMOE_ERROR_TIMEOUT, Role::kSubscriber, WaitWhat::kRingSpace,
                                 task.expert, task.tile, *volatile_head, my_tail, clock.elapsed(), true);
                    return false;
                }
                __nanosleep(64);
            }
        }
        volatile Task* slot = &tasks[my_tail % TileConfig::kRingSize];
        slot->type = task.type;
        slot->tile = task.tile;
        slot->n_tile = task.n_tile;
        slot->expert = task.expert;
        __threadfence_block();
        *reinterpret_cast<volatile uint32_t*>(&tail) = my_tail + 1;
        return true;
    }

    // Non-blocking pop by the consuming lane.
    __device__ __forceinline__ bool try_pop(Task& task) {
        const uint32_t my_head = head;  // only this lane writes head
        if (*reinterpret_cast<volatile uint32_t*>(&tail) == my_head) {
            return false;
        }
        __threadfence_block();
        const volatile Task* slot = &tasks[my_head % TileConfig::kRingSize];
        task.type = slot->type;
        task.tile = slot->tile;
        task.n_tile = slot->n_tile;
        task.expert = slot->expert;
        __threadfence_block();
        *reinterpret_cast<volatile uint32_t*>(&head) = my_head + 1;
        return true;
    }
};

}  // namespace flashmoe::fused
