// Fused MoE forward kernel, fp32 instantiation (one TU per dtype so builds parallelise).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "flashmoe/fused/fused_launch.cuh"

namespace flashmoe::fused {
FLASHMOE_FUSED_INSTANTIATE(float)
}  // namespace flashmoe::fused
