// The first GEMM engine of a processor: one (kBlockM x kBlockN) output tile of A · B^T in fp32 on the SIMT cores,
// with A and B both K-contiguous (A: rows of the workspace, B: nn.Linear [out][in] weights), staged through shared
// memory. It is the piece that Hopper wgmma + TMA replaces later; its interface (pointers, leading dims, valid N, K,
// fp32 accumulators per thread) stays.
#pragma once

#include <cstdint>

#include "flashmoe/common/dtype.cuh"
#include "flashmoe/fused/types.cuh"

namespace flashmoe::fused {

// kNumB weight matrices share one A tile (gated GEMM0: gate and up), so A is staged once.
template <typename Element, int kNumB>
struct SimtGemmTile {
    static constexpr int kBlockM = TileConfig::kBlockM;
    static constexpr int kBlockN = TileConfig::kBlockN;
    static constexpr int kBlockK = TileConfig::kBlockK;
    static constexpr int kThreads = TileConfig::kThreads;
    static constexpr int kPad = 4;                       // floats per staged row, against bank conflicts
    static constexpr int kVector = kElementsPer16Bytes<Element>;
    static constexpr int kThreadsN = 8;                  // threads along N
    static constexpr int kThreadsM = kThreads / kThreadsN;
    static constexpr int kRowsPerThread = kBlockM / kThreadsM;     // 4, strided by kThreadsM
    static constexpr int kColumnsPerThread = kBlockN / kThreadsN;  // 8, strided by kThreadsN
    static constexpr int kSharedFloats = kBlockK * (kBlockM + kPad) + kNumB * kBlockK * (kBlockN + kPad);

    static_assert(kThreads % kThreadsN == 0 && kBlockM % kThreadsM == 0 && kBlockN % kThreadsN == 0, "thread map");
    static_assert(kBlockK % kVector == 0, "whole 16-byte vectors per staged row");

    // (kNumB, rows, columns) of this thread: row = m_idx + i * kThreadsM, column = n_idx + j * kThreadsN.
    float accumulators[kNumB][kRowsPerThread][kColumnsPerThread];

    __device__ __forceinline__ static int m_idx() { return static_cast<int>(threadIdx.x) / kThreadsN; }
    __device__ __forceinline__ static int n_idx() { return static_cast<int>(threadIdx.x) % kThreadsN; }

    // Stages rows [0, valid_rows) x [k_begin, k_begin + kBlockK) of a K-contiguous matrix, transposed to (K, rows),
    // zero beyond valid_rows and K. `read_only` selects the non-coherent path for weights (never for the workspace,
    // which this launch writes).
    template <int kRows, bool kReadOnly>
    __device__ __forceinline__ static void stage(const Element* matrix, int64_t leading_dim, int valid_rows,
                                                 int k_begin, int k_total, float* staged) {
        constexpr int kVectorsPerRow = kBlockK / kVector;
        for (int v = threadIdx.x; v < kRows * kVectorsPerRow; v += kThreads) {
            const int row = v / kVectorsPerRow;
            const int k_local = (v % kVectorsPerRow) * kVector;
            const int k = k_begin + k_local;
            Element values[kVector];
            uint4 raw = make_uint4(0, 0, 0, 0);
            // NOTE: K is a multiple of 8 elements, so a 16-byte vector is wholly inside or wholly outside.
            if (row < valid_rows && k < k_total) {
                const uint4* source = reinterpret_cast<const uint4*>(matrix + row * leading_dim + k);
                if constexpr (kReadOnly) {
                    raw = __ldg(source);
                } else {
                    raw = *source;
                }
            }
            *reinterpret_cast<uint4*>(values) = raw;
#pragma unroll
            for (int q = 0; q < kVector; ++q) {
                staged[(k_local + q) * (kRows + kPad) + row] = to_float(values[q]);
            }
        }
    }

    // accumulators = A (kBlockM x K) · B[b] (valid_n x K)^T. `shared` holds kSharedFloats.
    __device__ __forceinline__ void run(const Element* a, int64_t lda, const Element* const (&b)[kNumB], int64_t ldb,
                                       int valid_n, int k_total, float* shared) {
#pragma unroll
        for (int n = 0; n < kNumB; ++n)
#pragma unroll
            for (int i = 0; i < kRowsPerThread; ++i)
#pragma unroll
                for (int j = 0; j < kColumnsPerThread; ++j) accumulators[n][i][j] = 0.0f;

        float* staged_a = shared;                                 // (kBlockK, kBlockM + kPad)
        float* staged_b = shared + kBlockK * (kBlockM + kPad);    // (kNumB, kBlockK, kBlockN + kPad)
        const int m0 = m_idx();
        const int n0 = n_idx();
        for (int k_begin = 0; k_begin < k_total; k_begin += kBlockK) {
            stage<kBlockM, false>(a, lda, kBlockM, k_begin, k_total, staged_a);
#pragma unroll
            for (int n = 0; n < kNumB; ++n) {
                stage<kBlockN, true>(b[n], ldb, valid_n, k_begin, k_total, staged_b + n * kBlockK * (kBlockN + kPad));
            }
            __syncthreads();
#pragma unroll 4
            for (int kk = 0; kk < kBlockK; ++kk) {
                float a_values[kRowsPerThread];
#pragma unroll
                for (int i = 0; i < kRowsPerThread; ++i) a_values[i] = staged_a[kk * (kBlockM + kPad) + m0 + i * kThreadsM];
#pragma unroll
                for (int n = 0; n < kNumB; ++n) {
                    const float* row = staged_b + n * kBlockK * (kBlockN + kPad) + kk * (kBlockN + kPad);
#pragma unroll
                    for (int j = 0; j < kColumnsPerThread; ++j) {
                        const float b_value = row[n0 + j * kThreadsN];
#pragma unroll
                        for (int i = 0; i < kRowsPerThread; ++i) {
                            accumulators[n][i][j] = fmaf(a_values[i], b_value, accumulators[n][i][j]);
                        }
                    }
                }
            }
            __syncthreads();
        }
    }
};

}  // namespace flashmoe::fused
