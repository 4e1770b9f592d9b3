// The fused MoE forward kernel: one persistent launch. The entry reads the launch's epoch, dispatches each block to
// its role and, at the end, lets the last block to leave advance the epoch for the next launch (no host reset).
#pragma once

#include <cstdint>

#include "flashmoe/fused/sync.cuh"
#include "flashmoe/fused/types.cuh"
#include "flashmoe/os/os_block.cuh"
#include "flashmoe/processor/processor.cuh"

namespace flashmoe::fused {

// Dynamic shared memory of a launch: the larger of the OS block's and a processor block's needs.
template <typename Element>
__host__ __device__ constexpr size_t kernel_shared_bytes(int64_t num_experts, bool wgmma, int warpgroups = 1) {
    const size_t processor = processor_shared_bytes<Element>(wgmma, warpgroups);
    return os_shared_bytes(num_experts) > processor ? os_shared_bytes(num_experts) : processor;
}

__device__ __forceinline__ Role role_of_block() { return blockIdx.x == 0 ? Role::kOs : Role::kProcessor; }

// kWarpgroups = 2: the two-warpgroup kernel (docs/perf-notes.md item 98; one block per SM, 16-bit Hopper launches
// only): the OS block and the processors are warpgroup 0 of their blocks (block_sync.cuh); a processor's warpgroup 1
// joins its paired GEMM tasks (processor.cuh), the OS block's leaves at once.
template <typename Element, int kWarpgroups = 1>
__global__ void __launch_bounds__(TileConfig::kThreads * kWarpgroups)
    moe_forward_kernel(const __grid_constant__ KernelParams params) {
    // Preconditions: one OS block (scheduler + subscribers) of the same width as a processor.
    static_assert(TileConfig::kThreads == 128 && TileConfig::kWarps == 4, "one scheduler warp + three subscribers");
    static_assert(sizeof(Task) == 16, "task descriptors are 16 bytes");
    extern __shared__ __align__(16) char shared[];
    __shared__ uint32_t shared_epoch;

    ControlBlock* control = params.layout.get_control_ptr();
    if (threadIdx.x == 0) {
        shared_epoch = *reinterpret_cast<volatile uint32_t*>(&control->sequence);
    }
    __syncthreads();
    const uint32_t epoch = shared_epoch;

    switch (role_of_block()) {
        case Role::kOs:
            if (threadIdx.x < TileConfig::kThreads) run_os_block(params, epoch, shared);
            break;
        case Role::kProcessor:
            run_processor<Element, kWarpgroups>(params, epoch, shared);
            break;
        default:
            __trap();
    }

    // Every block has read `sequence` before it counts itself out, so the last one may advance it.
    __syncthreads();
    if (threadIdx.x == 0) {
        __threadfence();
        if (epoch_counter_add(&control->exit_count, epoch) == gridDim.x) {
            const uint32_t next = epoch + 1 == 0 ? 1 : epoch + 1;  // NOTE: 0 is never an epoch
            store_release(&control->sequence, next);
        }
    }
}

}  // namespace flashmoe::fused
