// Definitions of the per-dtype entry points declared in fused_layer.cuh; included by one TU per dtype only.
#pragma once

#include <cuda_runtime_api.h>

#include "flashmoe/fused/fused_layer.cuh"
#include "flashmoe/fused/moe_kernel.cuh"

namespace flashmoe::fused {

template <typename Element>
size_t moe_forward_shared_bytes(int64_t num_experts, bool wgmma) {
    return kernel_shared_bytes<Element>(num_experts, wgmma);
}

template <typename Element>
cudaError_t moe_forward_occupancy(size_t shared_bytes, int* blocks_per_sm) {
    cudaError_t error = cudaFuncSetAttribute(moe_forward_kernel<Element>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                             static_cast<int>(shared_bytes));
    if (error != cudaSuccess) return error;
    return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks_per_sm, moe_forward_kernel<Element>,
                                                         TileConfig::kThreads, shared_bytes);
}

template <typename Element>
cudaError_t launch_moe_forward(const KernelParams& params, int num_blocks, size_t shared_bytes, cudaStream_t stream) {
    moe_forward_kernel<Element><<<num_blocks, TileConfig::kThreads, shared_bytes, stream>>>(params);
    return cudaGetLastError();
}

#define FLASHMOE_FUSED_INSTANTIATE(Element)                                                                   \
    template size_t moe_forward_shared_bytes<Element>(int64_t, bool);                                         \
    template cudaError_t moe_forward_occupancy<Element>(size_t, int*);                                        \
    template cudaError_t launch_moe_forward<Element>(const KernelParams&, int, size_t, cudaStream_t);

}  // namespace flashmoe::fused
