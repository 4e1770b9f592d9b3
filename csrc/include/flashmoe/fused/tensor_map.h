// Host side of the wgmma tiles' TMA tensor maps: cuTensorMapEncodeTiled reached through the CUDA runtime (the
// library links no libcuda), and the one map shape the tiles use. Host code only (fused_layer.cu, tests).
#pragma once

#include <cuda.h>  // CUtensorMap and its enums; the encoder itself comes from the runtime's driver entry point
#include <cuda_runtime_api.h>

#include <cstdint>
#include <string>

#include "flashmoe/capi/flashmoe_c.h"
#include "flashmoe/common/error.h"
#include "flashmoe/fused/types.cuh"

namespace flashmoe::fused {

static_assert(sizeof(TmaDescriptor) == sizeof(CUtensorMap) && alignof(TmaDescriptor) >= alignof(CUtensorMap),
              "TmaDescriptor stands in for CUtensorMap");

using TensorMapEncoder = CUresult (*)(CUtensorMap*, CUtensorMapDataType, cuuint32_t, void*, const cuuint64_t*,
                                      const cuuint64_t*, const cuuint32_t*, const cuuint32_t*, CUtensorMapInterleave,
                                      CUtensorMapSwizzle, CUtensorMapL2promotion, CUtensorMapFloatOOBfill);

// cuTensorMapEncodeTiled of the installed driver; null when the driver lacks it (then the SM80 tiles run).
inline TensorMapEncoder tensor_map_encoder() {
    static const TensorMapEncoder encoder = [] {
        void* function = nullptr;
        cudaDriverEntryPointQueryResult found = cudaDriverEntryPointSymbolNotFound;
        if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &function, 12000, cudaEnableDefault, &found) !=
                cudaSuccess ||
            found != cudaDriverEntryPointSuccess) {
            cudaGetLastError();  // NOTE: not sticky, but leave no error behind for the caller's next check
            return static_cast<TensorMapEncoder>(nullptr);
        }
        return reinterpret_cast<TensorMapEncoder>(function);
    }();
    return encoder;
}

// The L2 promotion of a map for a size in bytes: 0 (none: the fused layer's weight maps), 64, 128 or 256 (the default,
// the workspace's maps). Other sizes are refused by the caller (fused_layer.cu's setting), so they map to 256 here.
inline CUtensorMapL2promotion l2_promotion(int32_t bytes) {
    switch (bytes) {
        case 0: return CU_TENSOR_MAP_L2_PROMOTION_NONE;
        case 64: return CU_TENSOR_MAP_L2_PROMOTION_L2_64B;
        case 128: return CU_TENSOR_MAP_L2_PROMOTION_L2_128B;
        default: return CU_TENSOR_MAP_L2_PROMOTION_L2_256B;
    }
}

// The map of a row-major [rows][inner] matrix of 16-bit elements for the wgmma tiles: boxes of box_rows (64, or 32
// for GEMM0's narrow pieces) rows x 64 elements (128 bytes, the swizzle span), 128-byte swizzle, zeros outside the
// matrix, L2 promotion of promotion_bytes (see l2_promotion). Throws flashmoe::Error if refused.
// NOTE: base must be 16-byte aligned and inner a multiple of 8 (TMA's stride rule); callers validate both.
inline void encode_box_map(TmaDescriptor& map, int32_t dtype, const void* base, int64_t rows, int64_t inner,
                           const char* what, uint32_t box_rows = 64, int32_t promotion_bytes = 256) {
    const TensorMapEncoder encode = tensor_map_encoder();
    if (encode == nullptr) throw Error(FLASHMOE_ERROR_UNSUPPORTED, "the driver has no cuTensorMapEncodeTiled");
    const cuuint64_t dims[2] = {static_cast<cuuint64_t>(inner), static_cast<cuuint64_t>(rows)};
    const cuuint64_t strides[1] = {static_cast<cuuint64_t>(inner) * 2};
    const cuuint32_t box[2] = {64, box_rows};
    const cuuint32_t element_strides[2] = {1, 1};
    const CUresult result =
        encode(reinterpret_cast<CUtensorMap*>(&map),
               dtype == FLASHMOE_DTYPE_BF16 ? CU_TENSOR_MAP_DATA_TYPE_BFLOAT16 : CU_TENSOR_MAP_DATA_TYPE_FLOAT16, 2,
               const_cast<void*>(base), dims, strides, box, element_strides, CU_TENSOR_MAP_INTERLEAVE_NONE,
               CU_TENSOR_MAP_SWIZZLE_128B, l2_promotion(promotion_bytes), CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
    if (result != CUDA_SUCCESS)
        throw Error(FLASHMOE_ERROR_CUDA, std::string("cuTensorMapEncodeTiled refused the map of ") + what +
                                             " (CUresult " + std::to_string(static_cast<int>(result)) + ")");
}

}  // namespace flashmoe::fused
