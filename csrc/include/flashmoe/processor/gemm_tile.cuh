// The GEMM engines of a processor: one (kBlockM x kBlockN) fp32 tile of A · B^T, A and B both K-contiguous (A: rows
// of the workspace, B: nn.Linear [out][in] weights). MmaGemmTile runs on the tensor cores (bf16/fp16, and TF32 for
// fp32); SimtGemmTile is the exact-fp32 path (allow_tf32 = 0). Both expose the same accumulator contract below, so
// the epilogues in tasks.cuh are written once.
//
// Accumulator contract (every tile type):
//   float accumulators[kNumB][kRowsPerThread][kColumnsPerThread];
//   accumulators[b][i][j] is element (row(i), column(j)) of A · B[b]^T, tile-local;
//   kPairedColumns: column(j + 1) == column(j) + 1 for even j (the epilogue stores such pairs as one vector).
#pragma once

#include <cstdint>

#include <cute/arch/copy_sm75.hpp>
#include <cute/arch/copy_sm80.hpp>
#include <cute/arch/mma_sm80.hpp>

#include "flashmoe/common/dtype.cuh"
#include "flashmoe/common/mma_atom.cuh"
#include "flashmoe/fused/block_sync.cuh"
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
    static constexpr bool kPairedColumns = false;
    static constexpr int kSharedFloats = kBlockK * (kBlockM + kPad) + kNumB * kBlockK * (kBlockN + kPad);
    static constexpr size_t kSharedBytes = sizeof(float) * kSharedFloats;

    static_assert(kThreads % kThreadsN == 0 && kBlockM % kThreadsM == 0 && kBlockN % kThreadsN == 0, "thread map");
    static_assert(kBlockK % kVector == 0, "whole 16-byte vectors per staged row");

    // (kNumB, rows, columns) of this thread: row = m_idx + i * kThreadsM, column = n_idx + j * kThreadsN.
    float accumulators[kNumB][kRowsPerThread][kColumnsPerThread];

    __device__ __forceinline__ static int m_idx() { return static_cast<int>(threadIdx.x) / kThreadsN; }
    __device__ __forceinline__ static int n_idx() { return static_cast<int>(threadIdx.x) % kThreadsN; }
    __device__ __forceinline__ static int row(int i) { return m_idx() + i * kThreadsM; }
    __device__ __forceinline__ static int column(int j) { return n_idx() + j * kThreadsN; }

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

    // accumulators = A (valid_m x K, zero below) · B[b] (valid_n x K)^T. `shared` holds kSharedBytes.
    __device__ __forceinline__ void run(const Element* a, int64_t lda, const Element* const (&b)[kNumB], int64_t ldb,
                                       int valid_n, int k_total, float* shared, int valid_m = kBlockM) {
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
            stage<kBlockM, false>(a, lda, valid_m, k_begin, k_total, staged_a);
#pragma unroll
            for (int n = 0; n < kNumB; ++n) {
                stage<kBlockN, true>(b[n], ldb, valid_n, k_begin, k_total, staged_b + n * kBlockK * (kBlockN + kPad));
            }
            processor_sync();
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
            processor_sync();
        }
    }
};

namespace detail {

__device__ __forceinline__ uint32_t round_to_tf32(uint32_t bits) {
    uint32_t rounded;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(rounded) : "f"(__uint_as_float(bits)));
    return rounded;
}

// ldmatrix.x4 of a 16-row x 32-byte block at `block` (row stride kRowBytes): lane l points at row l % 16, byte
// 16 · (l / 16). Registers: r0 = rows 0-7 bytes 0-15, r1 = rows 8-15 bytes 0-15, r2 = rows 0-7 bytes 16-31,
// r3 = rows 8-15 bytes 16-31 — the m16 A fragment {a0..a3} of the atom, or two n8 B fragments {r0, r2}, {r1, r3}.
template <int kRowBytes, bool kRoundToTf32>
__device__ __forceinline__ void load_16x32_bytes(const char* block, int lane_idx, uint32_t (&r)[4]) {
    const char* address = block + (lane_idx & 15) * kRowBytes + (lane_idx >> 4) * 16;
    cute::SM75_U32x4_LDSM_N::copy(*reinterpret_cast<const cute::uint128_t*>(address), r[0], r[1], r[2], r[3]);
    if constexpr (kRoundToTf32) {
#pragma unroll
        for (int q = 0; q < 4; ++q) r[q] = round_to_tf32(r[q]);
    }
}

}  // namespace detail

// Tensor-core tile: cp.async (16-byte, L2 only — the workspace A is written by this launch, so never through L1)
// into a kStages-deep shared-memory ring, ldmatrix from padded rows (no bank conflicts), SM80 mma.sync atoms with
// fp32 accumulators. 4 warps as 2 (M) x 2 (N), each a 32 x 32 sub-tile of every B. Fixed K order: deterministic.
template <typename Element, int kNumB>
struct MmaGemmTile {
    using Atom = typename MmaAtomOf<Element>::Atom;
    static constexpr bool kRoundToTf32 = MmaAtomOf<Element>::kRoundToTf32;
    static constexpr int kBlockM = TileConfig::kBlockM;
    static constexpr int kBlockN = TileConfig::kBlockN;
    static constexpr int kThreads = TileConfig::kThreads;
    static constexpr int kStageBytesK = 128;                 // K bytes per stage: 64 bf16/fp16 or 32 fp32
    static constexpr int kStages = 3;                        // cp.async ring depth (kStages - 1 loads in flight)
    static constexpr int kRowBytes = kStageBytesK + 16;      // NOTE: +16 B pad: ldmatrix's 8 rows hit 8 bank groups
    static constexpr int kAtomBytesK = 32;                   // K bytes per MMA atom
    static constexpr int kChunksPerRow = kStageBytesK / 16;  // 16-byte cp.async chunks per staged row
    static constexpr int kWarpsM = 2;
    static constexpr int kWarpsN = 2;
    static constexpr int kWarpM = kBlockM / kWarpsM;         // 32
    static constexpr int kWarpN = kBlockN / kWarpsN;         // 32
    static constexpr int kAtomsM = kWarpM / 16;              // 2
    static constexpr int kAtomsN = kWarpN / 8;               // 4
    static constexpr int kRowsPerThread = 2 * kAtomsM;       // 4: (atom m, upper/lower 8 rows)
    static constexpr int kColumnsPerThread = 2 * kAtomsN;    // 8: (atom n, column pair)
    static constexpr bool kPairedColumns = true;
    static constexpr int kStageBytes = (kBlockM + kNumB * kBlockN) * kRowBytes;
    static constexpr size_t kSharedBytes = static_cast<size_t>(kStages) * kStageBytes;

    // Preconditions of the thread and fragment maps.
    static_assert(kThreads == 32 * kWarpsM * kWarpsN, "one warp per (M, N) sub-tile");
    static_assert(kWarpM % 16 == 0 && kWarpN % 16 == 0, "whole m16 atoms and ldmatrix.x4 pairs of n8 atoms");
    static_assert(kStageBytesK % kAtomBytesK == 0 && kRowBytes % 16 == 0, "16-byte aligned staged rows");
    static_assert((kBlockM * kChunksPerRow) % kThreads == 0 && (kBlockN * kChunksPerRow) % kThreads == 0,
                  "whole cp.async rounds per stage");
    static_assert(kStages >= 2, "a ring");

    float accumulators[kNumB][kRowsPerThread][kColumnsPerThread];

    __device__ __forceinline__ static int lane_idx() { return static_cast<int>(threadIdx.x) % 32; }
    __device__ __forceinline__ static int warp_m() { return static_cast<int>(threadIdx.x) / 32 % kWarpsM; }
    __device__ __forceinline__ static int warp_n() { return static_cast<int>(threadIdx.x) / 32 / kWarpsM; }
    // Atom D layout: d0, d1 = (row g, columns 2t, 2t+1), d2, d3 = (row g + 8, same columns); g = lane / 4, t = lane % 4.
    __device__ __forceinline__ static int row(int i) {
        return warp_m() * kWarpM + (i / 2) * 16 + (i % 2) * 8 + lane_idx() / 4;
    }
    __device__ __forceinline__ static int column(int j) {
        return warp_n() * kWarpN + (j / 2) * 8 + (lane_idx() % 4) * 2 + j % 2;
    }

    // Issues the cp.async of k tile `k_tile` into `stage`: A rows [0, valid_m), B rows [0, valid_n); bytes beyond K
    // and rows beyond valid_m / valid_n are zero-filled (never read from global memory).
    __device__ __forceinline__ static void load_stage(char* stage, const Element* a, int64_t lda, int valid_m,
                                                      const Element* const (&b)[kNumB], int64_t ldb, int valid_n,
                                                      int k_tile, int k_total_bytes) {
        const int byte_begin = k_tile * kStageBytesK;
#pragma unroll
        for (int round = 0; round < kBlockM * kChunksPerRow / kThreads; ++round) {
            const int chunk = static_cast<int>(threadIdx.x) + round * kThreads;
            const int row = chunk / kChunksPerRow;
            const int byte = byte_begin + (chunk % kChunksPerRow) * 16;
            const bool inside = byte < k_total_bytes && row < valid_m;
            const char* source = reinterpret_cast<const char*>(a + (inside ? row * lda : 0)) + (inside ? byte : 0);
            char* destination = stage + row * kRowBytes + (chunk % kChunksPerRow) * 16;
            cute::SM80_CP_ASYNC_CACHEGLOBAL_ZFILL<cute::uint128_t>::copy(
                *reinterpret_cast<const cute::uint128_t*>(source), *reinterpret_cast<cute::uint128_t*>(destination),
                inside);
        }
#pragma unroll
        for (int n = 0; n < kNumB; ++n) {
            char* staged_b = stage + (kBlockM + n * kBlockN) * kRowBytes;
#pragma unroll
            for (int round = 0; round < kBlockN * kChunksPerRow / kThreads; ++round) {
                const int chunk = static_cast<int>(threadIdx.x) + round * kThreads;
                const int row = chunk / kChunksPerRow;
                const int byte = byte_begin + (chunk % kChunksPerRow) * 16;
                const bool inside = byte < k_total_bytes && row < valid_n;
                const char* source =
                    reinterpret_cast<const char*>(b[n] + (inside ? row * ldb : 0)) + (inside ? byte : 0);
                char* destination = staged_b + row * kRowBytes + (chunk % kChunksPerRow) * 16;
                cute::SM80_CP_ASYNC_CACHEGLOBAL_ZFILL<cute::uint128_t>::copy(
                    *reinterpret_cast<const cute::uint128_t*>(source),
                    *reinterpret_cast<cute::uint128_t*>(destination), inside);
            }
        }
    }

    // The MMAs of one staged k tile; m atoms wholly at or beyond valid_m (zero rows) are skipped, warp-uniformly.
    __device__ __forceinline__ void compute_stage(const char* stage, int valid_m) {
        const int lane = lane_idx();
        const char* staged_a = stage + warp_m() * kWarpM * kRowBytes;
#pragma unroll
        for (int step = 0; step < kStageBytesK / kAtomBytesK; ++step) {
            uint32_t a_fragment[kAtomsM][4];
#pragma unroll
            for (int m = 0; m < kAtomsM; ++m) {
                if (warp_m() * kWarpM + m * 16 >= valid_m) continue;
                detail::load_16x32_bytes<kRowBytes, kRoundToTf32>(staged_a + m * 16 * kRowBytes + step * kAtomBytesK,
                                                                   lane, a_fragment[m]);
            }
#pragma unroll
            for (int n = 0; n < kNumB; ++n) {
                const char* staged_b = stage + (kBlockM + n * kBlockN + warp_n() * kWarpN) * kRowBytes;
                uint32_t b_fragment[kAtomsN][2];
#pragma unroll
                for (int pair = 0; pair < kAtomsN / 2; ++pair) {
                    uint32_t r[4];
                    detail::load_16x32_bytes<kRowBytes, kRoundToTf32>(
                        staged_b + pair * 16 * kRowBytes + step * kAtomBytesK, lane, r);
                    b_fragment[2 * pair][0] = r[0];
                    b_fragment[2 * pair][1] = r[2];
                    b_fragment[2 * pair + 1][0] = r[1];
                    b_fragment[2 * pair + 1][1] = r[3];
                }
#pragma unroll
                for (int m = 0; m < kAtomsM; ++m) {
                    if (warp_m() * kWarpM + m * 16 >= valid_m) continue;
#pragma unroll
                    for (int an = 0; an < kAtomsN; ++an) {
                        float(&upper)[kColumnsPerThread] = accumulators[n][2 * m];
                        float(&lower)[kColumnsPerThread] = accumulators[n][2 * m + 1];
                        Atom::fma(upper[2 * an], upper[2 * an + 1], lower[2 * an], lower[2 * an + 1],
                                  a_fragment[m][0], a_fragment[m][1], a_fragment[m][2], a_fragment[m][3],
                                  b_fragment[an][0], b_fragment[an][1],
                                  upper[2 * an], upper[2 * an + 1], lower[2 * an], lower[2 * an + 1]);
                    }
                }
            }
        }
    }

    // accumulators = A (valid_m x K, zero below) · B[b] (valid_n x K)^T. `shared` holds kSharedBytes, 16-byte
    // aligned. Leaves no cp.async in flight and shared memory free for the next task.
    __device__ __forceinline__ void run(const Element* a, int64_t lda, const Element* const (&b)[kNumB], int64_t ldb,
                                       int valid_n, int k_total, float* shared, int valid_m = kBlockM) {
#pragma unroll
        for (int n = 0; n < kNumB; ++n)
#pragma unroll
            for (int i = 0; i < kRowsPerThread; ++i)
#pragma unroll
                for (int j = 0; j < kColumnsPerThread; ++j) accumulators[n][i][j] = 0.0f;

        char* ring = reinterpret_cast<char*>(shared);  // (kStages, kBlockM + kNumB * kBlockN, kRowBytes)
        const int k_total_bytes = k_total * static_cast<int>(sizeof(Element));
        const int num_k_tiles = (k_total_bytes + kStageBytesK - 1) / kStageBytesK;
        // Prologue: kStages - 1 tiles in flight. One commit group per tile, empty ones included, so the wait count
        // below is the same on every iteration.
#pragma unroll
        for (int s = 0; s < kStages - 1; ++s) {
            if (s < num_k_tiles) load_stage(ring + s * kStageBytes, a, lda, valid_m, b, ldb, valid_n, s, k_total_bytes);
            cute::cp_async_fence();
        }
        for (int k_tile = 0; k_tile < num_k_tiles; ++k_tile) {
            cute::cp_async_wait<kStages - 2>();
            // NOTE: after this barrier tile k_tile is visible to all, and every warp is done with the slot of
            // k_tile - 1, which the load below reuses.
            processor_sync();
            const int next = k_tile + kStages - 1;
            if (next < num_k_tiles) {
                load_stage(ring + (next % kStages) * kStageBytes, a, lda, valid_m, b, ldb, valid_n, next, k_total_bytes);
            }
            cute::cp_async_fence();
            compute_stage(ring + (k_tile % kStages) * kStageBytes, valid_m);
        }
        cute::cp_async_wait<0>();
        processor_sync();
    }
};

}  // namespace flashmoe::fused
