// (f) Combine: y[t] = sum over j = 0..k-1, in that order, of w[t][j] * expert_out[slot(t, j)], rounded once.
// Dropped (or invalid) routes contribute nothing; every row of y is written, all-dropped rows as zeros.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "flashmoe/common/dtype.cuh"

namespace flashmoe::unfused {

constexpr int kCombineThreads = 256;

// One block per token; each thread owns 4 consecutive features (H % 8 == 0), so loads of expert_out are float4.
template <typename T>
__global__ void __launch_bounds__(kCombineThreads)
combine_kernel(const float* __restrict__ expert_out, const int32_t* __restrict__ route_slot,
               const float* __restrict__ topk_weights, int top_k, int hidden_size, T* __restrict__ y) {
    const int64_t token_idx = blockIdx.x;
    const int32_t* slots = route_slot + token_idx * top_k;
    const float* weights = topk_weights + token_idx * top_k;
    T* y_row = y + token_idx * hidden_size;
    for (int feature = threadIdx.x * 4; feature < hidden_size; feature += kCombineThreads * 4) {
        float sum[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        for (int route = 0; route < top_k; ++route) {
            const int32_t slot = slots[route];
            if (slot < 0) {
                continue;
            }
            const float weight = weights[route];
            const float4 out = *reinterpret_cast<const float4*>(expert_out + static_cast<int64_t>(slot) * hidden_size + feature);
            sum[0] = fmaf(weight, out.x, sum[0]);
            sum[1] = fmaf(weight, out.y, sum[1]);
            sum[2] = fmaf(weight, out.z, sum[2]);
            sum[3] = fmaf(weight, out.w, sum[3]);
        }
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            y_row[feature + i] = from_float<T>(sum[i]);
        }
    }
}

}  // namespace flashmoe::unfused
