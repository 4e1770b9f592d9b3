// Fused MoE forward kernel, bf16 instantiation (one TU per dtype so builds parallelise).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "flashmoe/fused/fused_launch.cuh"

namespace flashmoe::fused {
FLASHMOE_FUSED_INSTANTIATE(__nv_bfloat16)
}  // namespace flashmoe::fused
