// The barriers of the fused kernel's blocks. A processor (and the OS block) is warpgroup 0 of its block: 128 threads
// that synchronise on named barrier 1, never on __syncthreads. In the one-warpgroup kernel that is the whole block; in
// the two-warpgroup kernel (docs/perf-notes.md item 98) warpgroup 1 of a processor waits for cooperative tiles on
// barrier 2 (both warpgroups, 256 threads), and the kernel's entry and exit alone use barrier 0 (__syncthreads).
#pragma once

#include <cstdint>

namespace flashmoe::fused {

constexpr int kProcessorBarrier = 1;  // warpgroup 0: the processor's own 128 threads
constexpr int kCoopBarrier = 2;       // both warpgroups of a two-warpgroup block: hand-offs and cooperative tiles

// NOTE: bar.sync is the aligned barrier: every participating thread must reach the same instruction, a warp together,
// and a warp counts as 32 arrivals. Where a warp diverged before it (a lane still spinning in a wait loop, a
// lane-0-only branch) the barrier can open early. __syncthreads() is reconverged by the compiler; these inline
// barriers are not, so each reconverges its warp first (__syncwarp). (Without it, session 23's first two-warpgroup
// check failed: synccheck "Divergent thread(s) in block", then races on the shared job and task slots, timeouts.)
// bar.sync orders the participants' memory accesses as __syncthreads does.
template <int kBarrier, int kCount>
__device__ __forceinline__ void named_barrier_sync() {
    __syncwarp();
    asm volatile("bar.sync %0, %1;" ::"n"(kBarrier), "n"(kCount) : "memory");
}

// The barrier with a vote: whether every participant's (kAll) or any participant's predicate is true.
template <int kBarrier, int kCount, bool kAll>
__device__ __forceinline__ bool named_barrier_vote(bool predicate) {
    uint32_t result;
    __syncwarp();
    if constexpr (kAll) {
        asm volatile(
            "{\n.reg .pred p, q;\nsetp.ne.u32 p, %1, 0;\nbar.red.and.pred q, %2, %3, p;\nselp.u32 %0, 1, 0, q;\n}\n"
            : "=r"(result)
            : "r"(static_cast<uint32_t>(predicate)), "n"(kBarrier), "n"(kCount)
            : "memory");
    } else {
        asm volatile(
            "{\n.reg .pred p, q;\nsetp.ne.u32 p, %1, 0;\nbar.red.or.pred q, %2, %3, p;\nselp.u32 %0, 1, 0, q;\n}\n"
            : "=r"(result)
            : "r"(static_cast<uint32_t>(predicate)), "n"(kBarrier), "n"(kCount)
            : "memory");
    }
    return result != 0;
}

// All of warpgroup 0.
__device__ __forceinline__ void processor_sync() { named_barrier_sync<kProcessorBarrier, 128>(); }
__device__ __forceinline__ bool processor_sync_and(bool predicate) {
    return named_barrier_vote<kProcessorBarrier, 128, true>(predicate);
}
__device__ __forceinline__ bool processor_sync_or(bool predicate) {
    return named_barrier_vote<kProcessorBarrier, 128, false>(predicate);
}

// Both warpgroups of a two-warpgroup block, from the same instruction (the aligned barrier; processor.cuh's hand-off
// is one out-of-line function for that reason).
__device__ __forceinline__ void coop_sync() { named_barrier_sync<kCoopBarrier, 256>(); }
__device__ __forceinline__ bool coop_sync_and(bool predicate) {
    return named_barrier_vote<kCoopBarrier, 256, true>(predicate);
}

}  // namespace flashmoe::fused
