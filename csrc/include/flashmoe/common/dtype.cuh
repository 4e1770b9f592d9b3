// Element types of a layer (fp32, fp16, bf16) and their conversions to and from the fp32 we compute in.
// One trait per type so kernels are written once over T.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "flashmoe/capi/flashmoe_c.h"

namespace flashmoe {

template <typename T>
struct DtypeTraits;

template <>
struct DtypeTraits<float> {
    static constexpr flashmoe_dtype kDtype = FLASHMOE_DTYPE_FP32;
    static constexpr const char* kName = "fp32";
    __device__ __forceinline__ static float to_float(float v) { return v; }
    __device__ __forceinline__ static float from_float(float v) { return v; }
};

template <>
struct DtypeTraits<__half> {
    static constexpr flashmoe_dtype kDtype = FLASHMOE_DTYPE_FP16;
    static constexpr const char* kName = "fp16";
    __device__ __forceinline__ static float to_float(__half v) { return __half2float(v); }
    __device__ __forceinline__ static __half from_float(float v) { return __float2half_rn(v); }
};

template <>
struct DtypeTraits<__nv_bfloat16> {
    static constexpr flashmoe_dtype kDtype = FLASHMOE_DTYPE_BF16;
    static constexpr const char* kName = "bf16";
    __device__ __forceinline__ static float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }
    __device__ __forceinline__ static __nv_bfloat16 from_float(float v) { return __float2bfloat16_rn(v); }
};

template <typename T>
__device__ __forceinline__ float to_float(T v) {
    return DtypeTraits<T>::to_float(v);
}

template <typename T>
__device__ __forceinline__ T from_float(float v) {
    return DtypeTraits<T>::from_float(v);
}

// Elements per 16-byte vector: rows are multiples of 8 elements (InitArgs.ALIGNMENT), so whole vectors tile them.
template <typename T>
constexpr int kElementsPer16Bytes = 16 / static_cast<int>(sizeof(T));

}  // namespace flashmoe
