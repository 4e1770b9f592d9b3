// Single-producer single-consumer ring of task batches (a Task whose n_tile is the batch's task count) in the OS
// block's shared memory: a subscriber warp pushes, the scheduler warp pops, each a whole warp at a time (up to 32
// batches per push or pop, a lane per batch). Head and tail only grow; the slot is index % kRingSize.
// NOTE: one batch per push and pop, on lane 0, cost ~1 us a batch under load (the lane's loads of the group's end and
// expert, the ring's atomics and fences, in series): 128 row tile groups reached the scheduler over ~120 us after they
// were all dispatched, and GEMM0 started tens of us late at T = 64-1024 (docs/perf-notes.md item 40).
#pragma once

#include <cstdint>

#include "flashmoe/fused/sync.cuh"
#include "flashmoe/fused/types.cuh"

namespace flashmoe::fused {

// NOTE: every access the other side of the ring may make at the same time — head, tail and the slot words — is an
// atomic read-modify-write on shared memory (ATOMS), never a plain load or store. Two atomics on one address are not a
// data race, so compute-sanitizer racecheck sees nothing to report, and the hand-off needs no block-wide barrier.
// Ordering is the classic release/acquire through the indices, made explicit with CTA-scope fences, and the lanes'
// slot accesses gathered under lane 0 by the warp's barrier (shfl / __syncwarp) on either side:
//   push: lane 0 reads head (space?) -> fence -> lanes write their slots -> fence -> barrier -> lane 0 publishes tail
//   pop:  lane 0 reads tail (ready?) -> fence -> lanes read their slots  -> fence -> barrier -> lane 0 publishes head
// (the first fence of push keeps the slot overwrites after the consumer's release of them, a WAR hand-off).
// NOTE: 32-bit only: sm_90 has native 32-bit shared atomics (ATOMS.ADD / ATOMS.EXCH), while a 64-bit atomic add on
// shared memory becomes a plain load plus a CAS loop, and that plain load is exactly what racecheck would flag.
__device__ __forceinline__ uint32_t shared_atomic_load(uint32_t* address) { return atomicAdd(address, 0u); }
__device__ __forceinline__ void shared_atomic_store(uint32_t* address, uint32_t value) { atomicExch(address, value); }

struct TaskRing {
    uint32_t slots[TileConfig::kRingSize][4];  // a Task's four words: type, tile, n_tile, expert
    uint32_t head;  // next to pop (written by the scheduler only)
    uint32_t tail;  // next to push (written by the subscriber only)
    uint32_t padding[2];

    // Before the roles start, followed by a processor_sync() (plain stores are fine there).
    __device__ __forceinline__ void reset() {
        head = 0;
        tail = 0;
    }

    // Pushes the batches of the lanes with `has`, in lane order, as one reservation of slots. Called by the whole
    // warp; false (on every lane) when the launch aborted or the wait for space expired (recorded).
    __device__ __forceinline__ bool push_warp(const KernelParams& params, uint32_t epoch, bool has, const Task& task,
                                              uint64_t limit_ns) {
        static_assert((TileConfig::kRingSize & (TileConfig::kRingSize - 1)) == 0, "ring size is a power of two");
        static_assert(TileConfig::kRingSize >= 32, "a warp's batches fit the ring");
        static_assert(sizeof(Task) == 4 * sizeof(uint32_t), "a task is four 32-bit slot words");
        const uint32_t lanes = __ballot_sync(0xffffffffu, has);
        if (lanes == 0) {
            return true;
        }
        const int lane_idx = threadIdx.x % 32;
        const uint32_t count = __popc(lanes);
        // For a timeout's report: the first batch.
        const int first_lane = __ffs(lanes) - 1;
        const int first_tile = __shfl_sync(0xffffffffu, task.tile, first_lane);
        const int first_expert = __shfl_sync(0xffffffffu, task.expert, first_lane);
        uint32_t my_tail = 0;
        bool ok = true;
        if (lane_idx == 0) {
            my_tail = shared_atomic_load(&tail);
            uint32_t seen_head = shared_atomic_load(&head);
            if (my_tail + count - seen_head > TileConfig::kRingSize) {
                WaitClock clock(limit_ns);
                while (ok && my_tail + count - (seen_head = shared_atomic_load(&head)) > TileConfig::kRingSize) {
                    if (clock.aborted(params, epoch)) {
                        ok = false;
                    } else if (clock.expired()) {
                        report_error_out_of_line(params, epoch, FLASHMOE_ERROR_TIMEOUT, Role::kSubscriber,
                                                 WaitWhat::kRingSpace, first_expert, first_tile, seen_head,
                                                 my_tail + count, clock.elapsed(), true);
                        ok = false;
                    } else {
                        __nanosleep(64);
                    }
                }
            }
            __threadfence_block();  // the consumer's reads of the slots (before its head store) come first
        }
        if (!__shfl_sync(0xffffffffu, ok, 0)) {
            return false;
        }
        my_tail = __shfl_sync(0xffffffffu, my_tail, 0);
        if (has) {
            const uint32_t rank = __popc(lanes & ((1u << lane_idx) - 1u));
            uint32_t* slot = slots[(my_tail + rank) % TileConfig::kRingSize];
            shared_atomic_store(&slot[0], static_cast<uint32_t>(task.type));
            shared_atomic_store(&slot[1], static_cast<uint32_t>(task.tile));
            shared_atomic_store(&slot[2], static_cast<uint32_t>(task.n_tile));
            shared_atomic_store(&slot[3], static_cast<uint32_t>(task.expert));
            __threadfence_block();  // release: this lane's slot before the tail that publishes it
        }
        __syncwarp();
        if (lane_idx == 0) {
            __threadfence_block();  // cumulative: the other lanes' slots, gathered by the warp barrier
            shared_atomic_store(&tail, my_tail + count);
        }
        return true;
    }

    // Non-blocking pop of up to 32 batches by the whole warp: lane l < the returned count (the same on every lane) gets
    // the ring's next batch l in `task`.
    __device__ __forceinline__ int pop_warp(Task& task) {
        const int lane_idx = threadIdx.x % 32;
        uint32_t my_head = 0;
        int count = 0;
        if (lane_idx == 0) {
            my_head = shared_atomic_load(&head);
            count = min(static_cast<int>(shared_atomic_load(&tail) - my_head), 32);
            __threadfence_block();  // acquire: the tail before the slots it published
        }
        count = __shfl_sync(0xffffffffu, count, 0);
        if (count == 0) {
            return 0;
        }
        my_head = __shfl_sync(0xffffffffu, my_head, 0);
        if (lane_idx < count) {
            uint32_t* slot = slots[(my_head + lane_idx) % TileConfig::kRingSize];
            task.type = static_cast<int32_t>(shared_atomic_load(&slot[0]));
            task.tile = static_cast<int32_t>(shared_atomic_load(&slot[1]));
            task.n_tile = static_cast<int32_t>(shared_atomic_load(&slot[2]));
            task.expert = static_cast<int32_t>(shared_atomic_load(&slot[3]));
            __threadfence_block();  // release: this lane's reads before the head that frees its slot
        }
        __syncwarp();
        if (lane_idx == 0) {
            __threadfence_block();
            shared_atomic_store(&head, my_head + static_cast<uint32_t>(count));
        }
        return count;
    }
};

}  // namespace flashmoe::fused
