// The OS block (block 0): all warps assign slots, then warp 0 schedules and warps 1..3 subscribe.
// Shared memory: the subscribers' task rings, then the slot assignment's scratch.
#pragma once

#include <cstdint>

#include "flashmoe/comm/ep_device.cuh"
#include "flashmoe/fused/sync.cuh"
#include "flashmoe/fused/types.cuh"
#include "flashmoe/os/routing.cuh"
#include "flashmoe/os/scheduler.cuh"
#include "flashmoe/os/subscriber.cuh"
#include "flashmoe/os/task_ring.cuh"

namespace flashmoe::fused {

// Dynamic shared memory of the OS block for E experts.
__host__ __device__ constexpr size_t os_shared_bytes(int64_t num_experts) {
    const size_t rings = sizeof(TaskRing) * static_cast<size_t>(SubscriberKind::kCount);
    const size_t routing = sizeof(int32_t) * static_cast<size_t>(routing_shared_words(num_experts));
    return rings + routing;
}

__device__ inline void run_os_block(const KernelParams& params, uint32_t epoch, char* shared) {
    static_assert(TileConfig::kWarps == 1 + static_cast<int>(SubscriberKind::kCount),
                  "the OS block is one scheduler warp plus one warp per subscriber kind");
    TaskRing* rings = reinterpret_cast<TaskRing*>(shared);  // [SubscriberKind::kCount]
    char* scratch = shared + sizeof(TaskRing) * static_cast<size_t>(SubscriberKind::kCount);

    const uint64_t routing_start = trace_clock();
    FLASHMOE_OS_STAMP(params.trace, 1);  // debug builds only (fused/trace.cuh)
    int num_row_tiles = assign_slots(params, epoch, reinterpret_cast<int32_t*>(scratch));
    if (num_row_tiles < 0) {
        return;  // aborted (recorded): every waiting actor sees the abort flag
    }
    processor_sync();  // the routing scratch is reused below
    if (threadIdx.x == 0) trace_record(params.trace, TraceKind::kRouting, -1, routing_start, trace_clock());
    if (ep_enabled(params)) {
        // Expert parallelism: the routing's tiles go out (processors); the GEMM row tiles are what arrives here.
        __shared__ int32_t scan[TileConfig::kThreads + 1];
        const uint64_t collect_start = trace_clock();
        ep_signal_empty_pairs(params, epoch);
        num_row_tiles = ep_collect_arrivals(params, epoch, scan);
        if (num_row_tiles < 0) {
            return;  // aborted: recorded, and every waiting actor sees the abort flag
        }
        if (threadIdx.x == 0) trace_record(params.trace, TraceKind::kCollect, -1, collect_start, trace_clock());
    }

    if (threadIdx.x < static_cast<int>(SubscriberKind::kCount)) {
        rings[threadIdx.x].reset();
    }
    // One GPU: every GEMM0 task goes into the queue now, while the processors dispatch (scheduler.cuh).
    const int queued = gemm0_released_direct(params) ? queue_gemm0_direct(params, epoch, num_row_tiles) : 0;
    processor_sync();

    const int warp_idx = threadIdx.x / 32;
    if (warp_idx == 0) {
        run_scheduler(params, epoch, num_row_tiles, rings, queued);
    } else {
        const SubscriberKind kind = static_cast<SubscriberKind>(warp_idx - 1);
        run_subscriber(params, epoch, kind, num_row_tiles, rings[warp_idx - 1]);
    }
    __syncwarp();
}

}  // namespace flashmoe::fused
