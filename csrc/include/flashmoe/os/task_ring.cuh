// Single-producer single-consumer ring of task batches (a Task whose n_tile is the batch's task count) in the OS
// block's shared memory: a subscriber warp's lane 0 pushes, the scheduler warp's lane 0 pops. Head and tail only grow;
// the slot is index % kRingSize.
#pragma once

#include <cstdint>

#include "flashmoe/fused/sync.cuh"
#include "flashmoe/fused/types.cuh"

namespace flashmoe::fused {

// NOTE: every access the other side of the ring may make at the same time — head, tail and the slot words — is an
// atomic read-modify-write on shared memory (ATOMS), never a plain load or store. Two atomics on one address are not a
// data race, so compute-sanitizer racecheck sees nothing to report, and the hand-off needs no block-wide barrier.
// Ordering is the classic release/acquire through the indices, made explicit with CTA-scope fences:
//   push: read head (space?) -> fence -> write slot -> fence -> publish tail
//   pop:  read tail (ready?) -> fence -> read slot  -> fence -> publish head
// (the first fence of push keeps the slot overwrite after the consumer's release of it, a WAR hand-off).
// NOTE: 32-bit only: sm_90 has native 32-bit shared atomics (ATOMS.ADD / ATOMS.EXCH), while a 64-bit atomic add on
// shared memory becomes a plain load plus a CAS loop, and that plain load is exactly what racecheck would flag.
__device__ __forceinline__ uint32_t shared_atomic_load(uint32_t* address) { return atomicAdd(address, 0u); }
__device__ __forceinline__ void shared_atomic_store(uint32_t* address, uint32_t value) { atomicExch(address, value); }

struct TaskRing {
    uint32_t slots[TileConfig::kRingSize][4];  // a Task's four words: type, tile, n_tile, expert
    uint32_t head;  // next to pop (written by the scheduler only)
    uint32_t tail;  // next to push (written by the subscriber only)
    uint32_t padding[2];

    // Before the roles start, followed by a __syncthreads() (plain stores are fine there).
    __device__ __forceinline__ void reset() {
        head = 0;
        tail = 0;
    }

    // Bounded push by the producing lane. False when the launch aborted or the wait expired (recorded).
    __device__ __forceinline__ bool push(const KernelParams& params, uint32_t epoch, const Task& task,
                                         uint64_t limit_ns) {
        static_assert((TileConfig::kRingSize & (TileConfig::kRingSize - 1)) == 0, "ring size is a power of two");
        static_assert(sizeof(Task) == 4 * sizeof(uint32_t), "a task is four 32-bit slot words");
        const uint32_t my_tail = shared_atomic_load(&tail);
        uint32_t seen_head = shared_atomic_load(&head);
        if (my_tail - seen_head >= TileConfig::kRingSize) {
            WaitClock clock(limit_ns);
            while (my_tail - (seen_head = shared_atomic_load(&head)) >= TileConfig::kRingSize) {
                if (clock.aborted(params, epoch)) {
                    return false;
                }
                if (clock.expired()) {
                    report_error(params, epoch, FLASHMOE_ERROR_TIMEOUT, Role::kSubscriber, WaitWhat::kRingSpace,
                                 task.expert, task.tile, seen_head, my_tail, clock.elapsed(), true);
                    return false;
                }
                __nanosleep(64);
            }
        }
        __threadfence_block();  // the consumer's reads of this slot (before its head store) come first
        uint32_t* slot = slots[my_tail % TileConfig::kRingSize];
        shared_atomic_store(&slot[0], static_cast<uint32_t>(task.type));
        shared_atomic_store(&slot[1], static_cast<uint32_t>(task.tile));
        shared_atomic_store(&slot[2], static_cast<uint32_t>(task.n_tile));
        shared_atomic_store(&slot[3], static_cast<uint32_t>(task.expert));
        __threadfence_block();  // release: the slot before the tail that publishes it
        shared_atomic_store(&tail, my_tail + 1);
        return true;
    }

    // Non-blocking pop by the consuming lane.
    __device__ __forceinline__ bool try_pop(Task& task) {
        const uint32_t my_head = shared_atomic_load(&head);
        if (shared_atomic_load(&tail) == my_head) {
            return false;
        }
        __threadfence_block();  // acquire: the tail before the slot it published
        uint32_t* slot = slots[my_head % TileConfig::kRingSize];
        task.type = static_cast<int32_t>(shared_atomic_load(&slot[0]));
        task.tile = static_cast<int32_t>(shared_atomic_load(&slot[1]));
        task.n_tile = static_cast<int32_t>(shared_atomic_load(&slot[2]));
        task.expert = static_cast<int32_t>(shared_atomic_load(&slot[3]));
        __threadfence_block();  // release: the slot's reads before the head that frees it
        shared_atomic_store(&head, my_head + 1);
        return true;
    }
};

}  // namespace flashmoe::fused
