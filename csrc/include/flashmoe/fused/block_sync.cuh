// The barriers of the fused kernel's blocks. A processor (and the OS block) is one warpgroup: a block of 128 threads
// (TileConfig::kThreads) that synchronises on __syncthreads and its votes. The named-barrier forms below serve
// WgmmaTile's two-warpgroup tile (kWarpgroups = 2, gemm_tile_test only), whose block is both warpgroups.
//
// NOTE: docs/perf-notes.md items 98-100 and 103. Session 23's experimental two-warpgroup kernel made every barrier of
// the shared mechanism a named barrier over warpgroup 0 (an inline bar.sync with a __syncwarp first); that cost the
// one-warpgroup kernel 2.6-3.9 % at decode (item 100). The kernel was removed in item 103 and these are
// __syncthreads again: the compiler knows it as a convergence point and schedules around it; an inline barrier it
// does not.
#pragma once

#include <cstdint>

namespace flashmoe::fused {

// All of the block (one warpgroup in the fused kernel).
__device__ __forceinline__ void processor_sync() { __syncthreads(); }
__device__ __forceinline__ bool processor_sync_and(bool predicate) { return __syncthreads_and(predicate) != 0; }
__device__ __forceinline__ bool processor_sync_or(bool predicate) { return __syncthreads_or(predicate) != 0; }

// NOTE: bar.sync is the aligned barrier: every participating thread must reach the same instruction, a warp together,
// and a warp counts as 32 arrivals. Where a warp diverged before it (a lane still spinning in a wait loop, a
// lane-0-only branch) the barrier can open early. __syncthreads() is reconverged by the compiler; these inline
// barriers are not, so each reconverges its warp first (__syncwarp). bar.sync orders the participants' memory
// accesses as __syncthreads does.
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

constexpr int kCoopBarrier = 2;  // both warpgroups of a two-warpgroup tile's block

// Both warpgroups of a two-warpgroup tile's block, from the same instruction (the aligned barrier).
__device__ __forceinline__ void coop_sync() { named_barrier_sync<kCoopBarrier, 256>(); }
__device__ __forceinline__ bool coop_sync_and(bool predicate) {
    return named_barrier_vote<kCoopBarrier, 256, true>(predicate);
}

}  // namespace flashmoe::fused
