// Definitions of the per-dtype entry points declared in fused_layer.cuh; included by one TU per dtype only.
#pragma once

#include <cuda_runtime_api.h>

#include "flashmoe/fused/fused_layer.cuh"
#include "flashmoe/fused/moe_kernel.cuh"

namespace flashmoe::fused {

// `warpgroups` = 2: the two-warpgroup kernel (moe_kernel.cuh), 16-bit dtypes only (fp32 never runs the Hopper tiles),
// and not in libflashmoe_ep (expert parallelism keeps the SM80 tiles): elsewhere the calls answer cudaErrorNotSupported
// and the kernel is not built.
template <typename Element>
constexpr bool coop_kernel_built() {
#if defined(FLASHMOE_EP) && FLASHMOE_EP
    return false;
#else
    return sizeof(Element) == 2;
#endif
}
template <typename Element>
size_t moe_forward_shared_bytes(int64_t num_experts, bool wgmma, int warpgroups) {
    return kernel_shared_bytes<Element>(num_experts, wgmma, warpgroups);
}

template <typename Element, int kWarpgroups>
cudaError_t moe_forward_occupancy_of(size_t shared_bytes, int* blocks_per_sm) {
    const auto kernel = moe_forward_kernel<Element, kWarpgroups>;
    cudaError_t error =
        cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(shared_bytes));
    if (error != cudaSuccess) return error;
    return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks_per_sm, kernel, TileConfig::kThreads * kWarpgroups,
                                                         shared_bytes);
}

template <typename Element>
cudaError_t moe_forward_occupancy(size_t shared_bytes, int* blocks_per_sm, int warpgroups) {
    if (warpgroups == 1) return moe_forward_occupancy_of<Element, 1>(shared_bytes, blocks_per_sm);
    if constexpr (coop_kernel_built<Element>()) return moe_forward_occupancy_of<Element, 2>(shared_bytes, blocks_per_sm);
    return cudaErrorNotSupported;
}

template <typename Element>
cudaError_t launch_moe_forward(const KernelParams& params, int num_blocks, size_t shared_bytes, cudaStream_t stream,
                               int warpgroups) {
    if (warpgroups == 1) {
        moe_forward_kernel<Element, 1><<<num_blocks, TileConfig::kThreads, shared_bytes, stream>>>(params);
        return cudaGetLastError();
    }
    if constexpr (coop_kernel_built<Element>()) {
        moe_forward_kernel<Element, 2><<<num_blocks, 2 * TileConfig::kThreads, shared_bytes, stream>>>(params);
        return cudaGetLastError();
    }
    return cudaErrorNotSupported;
}

#define FLASHMOE_FUSED_INSTANTIATE(Element)                                                                   \
    template size_t moe_forward_shared_bytes<Element>(int64_t, bool, int);                                    \
    template cudaError_t moe_forward_occupancy<Element>(size_t, int*, int);                                   \
    template cudaError_t launch_moe_forward<Element>(const KernelParams&, int, size_t, cudaStream_t, int);

}  // namespace flashmoe::fused
