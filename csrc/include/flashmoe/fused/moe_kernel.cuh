// The fused MoE forward kernel: one persistent launch. The entry reads the launch's epoch, dispatches each block to
// its role and, at the end, lets the last block to leave advance the epoch for the next launch (no host reset).
#pragma once

#include <cstdint>

#include "flashmoe/fused/sync.cuh"
#include "flashmoe/fused/types.cuh"
#include "flashmoe/os/os_block.cuh"
#include "flashmoe/processor/processor.cuh"

namespace flashmoe::fused {

// Dynamic shared memory of a launch: the larger of the OS block's and a processor's needs.
template <typename Element>
__host__ __device__ constexpr size_t kernel_shared_bytes(int64_t num_experts, bool wgmma) {
    const size_t os = os_shared_bytes(num_experts);
    const size_t processor = processor_shared_bytes<Element>(wgmma);
    return os > processor ? os : processor;
}

__device__ __forceinline__ Role role_of_block() { return blockIdx.x == 0 ? Role::kOs : Role::kProcessor; }

template <typename Element>
__global__ void __launch_bounds__(TileConfig::kThreads) moe_forward_kernel(const __grid_constant__ KernelParams params) {
    // Preconditions: one OS block (scheduler + subscribers) of the same width as a processor.
    static_assert(TileConfig::kThreads == 128 && TileConfig::kWarps == 4, "one scheduler warp + three subscribers");
    static_assert(sizeof(Task) == 16, "task descriptors are 16 bytes");
    extern __shared__ __align__(16) char shared[];
    __shared__ uint32_t shared_epoch;

    ControlBlock* control = params.layout.get_control_ptr();
    if (blockIdx.x == 0) FLASHMOE_OS_STAMP(params.trace, 0);  // debug builds only (fused/trace.cuh)
    if (threadIdx.x == 0) {
        shared_epoch = *reinterpret_cast<volatile uint32_t*>(&control->sequence);
    }
    __syncthreads();
    const uint32_t epoch = shared_epoch;

    switch (role_of_block()) {
        case Role::kOs:
            run_os_block(params, epoch, shared);
            break;
        case Role::kProcessor:
            run_processor<Element>(params, epoch, shared);
            if (threadIdx.x == 0) flush_timeout_note(params, epoch);  // a GEMM task's noted timeout (item 124)
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
