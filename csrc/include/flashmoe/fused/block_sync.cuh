// The barriers of the fused kernel's blocks. A processor (and the OS block) is one warpgroup: a block of 128 threads
// (TileConfig::kThreads) that synchronises on __syncthreads and its votes. The named barrier below serves WgmmaTile's
// two-warpgroup tile (kWarpgroups = 2, gemm_tile_test only), whose block is both warpgroups.
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

// Both warpgroups of a two-warpgroup tile's block (named barrier 2 over 256 threads), from the same instruction: the
// aligned bar.sync, on which every participating thread must arrive at the same instruction, a warp together (a warp
// counts as 32 arrivals). Where a warp diverged before it (a lane still spinning in a wait loop, a lane-0-only branch)
// the barrier can open early; __syncthreads() is reconverged by the compiler, an inline barrier is not, so each
// reconverges its warp first (__syncwarp). bar.sync orders the participants' memory accesses as __syncthreads does.
constexpr int kCoopBarrier = 2;
__device__ __forceinline__ void coop_sync() {
    __syncwarp();
    asm volatile("bar.sync %0, 256;" ::"n"(kCoopBarrier) : "memory");
}
// ... with a vote: whether every participant's predicate is true.
__device__ __forceinline__ bool coop_sync_and(bool predicate) {
    uint32_t result;
    __syncwarp();
    asm volatile(
        "{\n.reg .pred p, q;\nsetp.ne.u32 p, %1, 0;\nbar.red.and.pred q, %2, 256, p;\nselp.u32 %0, 1, 0, q;\n}\n"
        : "=r"(result)
        : "r"(static_cast<uint32_t>(predicate)), "n"(kCoopBarrier)
        : "memory");
    return result != 0;
}

}  // namespace flashmoe::fused
