// The unfused layer's grouped GEMM: for each expert's segment of packed rows, out = A · W[e]^T (+ bias) with an
// fp32 shared-memory tiled FMA kernel and a fused epilogue (gated product / activation / fp32 store).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "flashmoe/common/activation.cuh"
#include "flashmoe/common/dtype.cuh"
#include "flashmoe/unfused/grouped_gemm_config.h"

namespace flashmoe::unfused {

// What the epilogue does with the fp32 accumulators.
enum class Epilogue {
    kGatedActivation,  // h = act(acc_gate + b_gate) * (acc_up + b_up), stored in T   (two weight matrices)
    kActivation,       // h = act(acc + b), stored in T                                (conventional GEMM0)
    kBiasToFloat,      // out = acc + b, stored in fp32                                (GEMM1)
};

struct GroupedGemmParams {
    const void* a;             // [rows][K] packed, layer dtype
    const void* weight0;       // [E][N][K]  (W_gate, or W_up / W1 / W_down)
    const void* weight1;       // [E][N][K]  W_up of a gated GEMM0, else unused
    const void* bias0;         // [E][N] optional
    const void* bias1;         // [E][N] optional
    void* out;                 // [rows][N], T or fp32 by epilogue
    const int32_t* row_offsets;   // [E + 1]
    const int32_t* tile_offsets;  // [E + 1]
    int num_experts;
    int n;
    int k;
    int activation;
    bool vector_loads;         // every matrix base is 16-byte aligned (rows are, as K % 8 == 0)
};

// Loads a (kGemmTileRows x kGemmTileDepth) tile of a row-major [rows][k] matrix into shared memory transposed
// as [depth][rows] fp32, zero-filling outside [row_begin, row_end) x [0, k).
template <typename T, int kTileRows>
__device__ __forceinline__ void load_tile_transposed(const T* __restrict__ matrix, int64_t row_begin, int64_t row_end,
                                                     int k, int k_begin, bool vector_loads,
                                                     float (*tile)[kTileRows + 4]) {
    constexpr int kVector = kElementsPer16Bytes<T>;
    constexpr int kVectorsPerRow = kGemmTileDepth / kVector;
    constexpr int kNumVectors = kTileRows * kVectorsPerRow;
    static_assert(kGemmTileDepth % kVector == 0, "depth holds whole vectors");
    for (int vector_idx = threadIdx.x; vector_idx < kNumVectors; vector_idx += kGemmThreads) {
        const int row_in_tile = vector_idx / kVectorsPerRow;
        const int depth_in_tile = (vector_idx % kVectorsPerRow) * kVector;
        const int64_t row = row_begin + row_in_tile;
        const int depth = k_begin + depth_in_tile;
        alignas(16) T values[kVector];  // written as one uint4 below
        // NOTE: k % 8 == 0 and vectors start at multiples of kVector <= 8, so a vector is all in or all out.
        if (row < row_end && depth < k) {
            const T* source = matrix + row * k + depth;
            if (vector_loads) {
                *reinterpret_cast<uint4*>(values) = __ldg(reinterpret_cast<const uint4*>(source));
            } else {
#pragma unroll
                for (int i = 0; i < kVector; ++i) {
                    values[i] = source[i];
                }
            }
#pragma unroll
            for (int i = 0; i < kVector; ++i) {
                tile[depth_in_tile + i][row_in_tile] = to_float(values[i]);
            }
        } else {
#pragma unroll
            for (int i = 0; i < kVector; ++i) {
                tile[depth_in_tile + i][row_in_tile] = 0.0f;
            }
        }
    }
}

// Grid: x = row tiles (an upper bound over all experts; surplus blocks exit), y = column tiles of N.
template <typename T, Epilogue kEpilogue>
__global__ void __launch_bounds__(kGemmThreads) grouped_gemm_kernel(GroupedGemmParams params) {
    constexpr int kNumWeights = kEpilogue == Epilogue::kGatedActivation ? 2 : 1;
    static_assert(kGemmThreads == (kGemmTileRows / kGemmMicroRows) * (kGemmTileCols / kGemmMicroCols),
                  "one micro tile per thread");
    static_assert(kGemmMicroRows == 4 && kGemmMicroCols == 4, "the inner loop reads float4 from shared memory");

    const int tile_idx = blockIdx.x;
    if (tile_idx >= params.tile_offsets[params.num_experts]) {
        return;
    }
    // The expert owning this row tile: the last e with tile_offsets[e] <= tile_idx (binary search, E <= 512).
    int low = 0, high = params.num_experts - 1;
    while (low < high) {
        const int middle = (low + high + 1) / 2;
        if (params.tile_offsets[middle] <= tile_idx) {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    const int expert_idx = low;
    const int64_t row_begin =
        params.row_offsets[expert_idx] + static_cast<int64_t>(tile_idx - params.tile_offsets[expert_idx]) * kGemmTileRows;
    const int64_t row_end = params.row_offsets[expert_idx + 1];
    const int col_begin = blockIdx.y * kGemmTileCols;
    const int64_t expert_weight_offset = static_cast<int64_t>(expert_idx) * params.n * params.k;

    __shared__ __align__(16) float a_tile[kGemmTileDepth][kGemmTileRows + 4];                // (BLK_K, BLK_M)
    __shared__ __align__(16) float w_tile[kNumWeights][kGemmTileDepth][kGemmTileCols + 4];  // (w, BLK_K, BLK_N)

    const int thread_row = threadIdx.x / (kGemmTileCols / kGemmMicroCols);
    const int thread_col = threadIdx.x % (kGemmTileCols / kGemmMicroCols);
    float accumulators[kNumWeights][kGemmMicroRows][kGemmMicroCols] = {};

    const T* a = static_cast<const T*>(params.a);
    const T* weights[2] = {static_cast<const T*>(params.weight0) + expert_weight_offset,
                           kNumWeights == 2 ? static_cast<const T*>(params.weight1) + expert_weight_offset : nullptr};
    for (int k_begin = 0; k_begin < params.k; k_begin += kGemmTileDepth) {
        load_tile_transposed<T, kGemmTileRows>(a, row_begin, row_end, params.k, k_begin, true, a_tile);
#pragma unroll
        for (int w = 0; w < kNumWeights; ++w) {
            load_tile_transposed<T, kGemmTileCols>(weights[w], col_begin, params.n, params.k, k_begin,
                                                   params.vector_loads, w_tile[w]);
        }
        __syncthreads();
#pragma unroll 8
        for (int depth = 0; depth < kGemmTileDepth; ++depth) {
            const float4 a_values = *reinterpret_cast<const float4*>(&a_tile[depth][thread_row * kGemmMicroRows]);
            const float a_array[4] = {a_values.x, a_values.y, a_values.z, a_values.w};
#pragma unroll
            for (int w = 0; w < kNumWeights; ++w) {
                const float4 w_values = *reinterpret_cast<const float4*>(&w_tile[w][depth][thread_col * kGemmMicroCols]);
                const float w_array[4] = {w_values.x, w_values.y, w_values.z, w_values.w};
#pragma unroll
                for (int i = 0; i < kGemmMicroRows; ++i) {
#pragma unroll
                    for (int j = 0; j < kGemmMicroCols; ++j) {
                        accumulators[w][i][j] = fmaf(a_array[i], w_array[j], accumulators[w][i][j]);
                    }
                }
            }
        }
        __syncthreads();
    }

    const T* bias0 = static_cast<const T*>(params.bias0);
    const T* bias1 = static_cast<const T*>(params.bias1);
#pragma unroll
    for (int i = 0; i < kGemmMicroRows; ++i) {
        const int64_t row = row_begin + thread_row * kGemmMicroRows + i;
        if (row >= row_end) {
            continue;
        }
#pragma unroll
        for (int j = 0; j < kGemmMicroCols; ++j) {
            const int col = col_begin + thread_col * kGemmMicroCols + j;
            if (col >= params.n) {
                continue;
            }
            const int64_t bias_idx = static_cast<int64_t>(expert_idx) * params.n + col;
            float value = accumulators[0][i][j] + (bias0 != nullptr ? to_float(bias0[bias_idx]) : 0.0f);
            const int64_t out_idx = row * params.n + col;
            if constexpr (kEpilogue == Epilogue::kGatedActivation) {
                const float up = accumulators[kNumWeights - 1][i][j] + (bias1 != nullptr ? to_float(bias1[bias_idx]) : 0.0f);
                static_cast<T*>(params.out)[out_idx] = from_float<T>(apply_activation(params.activation, value) * up);
            } else if constexpr (kEpilogue == Epilogue::kActivation) {
                static_cast<T*>(params.out)[out_idx] = from_float<T>(apply_activation(params.activation, value));
            } else {
                static_cast<float*>(params.out)[out_idx] = value;
            }
        }
    }
}

}  // namespace flashmoe::unfused
