// The SM80 warp-level MMA atom per element type, shared by the processors' MMA tile (processor/gemm_tile.cuh) and
// the router (router/router.cuh). One atom consumes 32 bytes of K (k16 of 16-bit, k8 of TF32), so staging and
// ldmatrix addressing are the same for every type.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cute/arch/mma_sm80.hpp>

namespace flashmoe {

template <typename Element>
struct MmaAtomOf;
template <>
struct MmaAtomOf<__nv_bfloat16> {
    using Atom = cute::SM80_16x8x16_F32BF16BF16F32_TN;
    static constexpr bool kRoundToTf32 = false;
};
template <>
struct MmaAtomOf<__half> {
    using Atom = cute::SM80_16x8x16_F32F16F16F32_TN;
    static constexpr bool kRoundToTf32 = false;
};
template <>
struct MmaAtomOf<float> {
    using Atom = cute::SM80_16x8x8_F32TF32TF32F32_TN;
    static constexpr bool kRoundToTf32 = true;  // fp32 bits -> TF32, round to nearest (the MMA would truncate)
};

}  // namespace flashmoe
