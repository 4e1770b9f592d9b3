// The fused kernel's tile and task shapes, on their own so that the symmetric layout (comm/) can size its row tiles
// without the rest of the kernel's types.
#pragma once

namespace flashmoe::fused {

// Tile and task shapes. Every kernel instantiation uses these; the layout pads expert segments to kBlockM rows so a
// row tile never spans two experts.
struct TileConfig {
    static constexpr int kThreads = 128;           // 4 warps per block, OS and processors alike
    static constexpr int kWarps = kThreads / 32;
    static constexpr int kBlockM = 64;             // rows (routes) per row tile
    static constexpr int kBlockN = 64;             // output columns of one tile pass (a "piece" of a GEMM task)
    static constexpr int kNarrowPieceColumns = 32; // GEMM0's pieces at decode (gemm0_narrow, types.cuh)
    static constexpr int kSwapLaunchRowsPerTile = 16;  // swap-AB only at <= this many routes per row tile
                                                       // (swap_ab_launch, types.cuh)
    static constexpr int kShortABoxes = 2;         // Hopper tiles: A boxes of 16 and 32 rows for row tiles with at
                                                   // most that many valid rows (short_a_box_rows), so that a stage
                                                   // is mostly weights at decode
    static constexpr int kMaxGemm0Pieces = 4;      // a GEMM0 task covers up to 4 x 64 columns of I
    static constexpr int kMaxGemm1Pieces = 8;      // a GEMM1 task covers up to 8 x 64 columns of H ...
    static constexpr int kGemm1TaskKBoxes = 192;   // ... or, where K = I is short, up to 16 pieces while pieces x
                                                   // K boxes of 64 stay <= 192 (gemm1_max_pieces, types.cuh;
                                                   // docs/perf-notes.md item 101)
    static constexpr int kMaxGemm1KParts = 4;      // GEMM1 split along K at decode into up to 4 parts (gemm1_k_parts,
                                                   // types.cuh; docs/perf-notes.md item 78)
    static constexpr int kMinGemm1PartBoxes = 4;   // ... each of at least 4 K boxes of 64
    static constexpr int kGroupTiles = 16;         // row tiles of one expert released as one GEMM batch, their
                                                   // tasks interleaved piece by piece (docs/perf-notes.md item 31)
    static constexpr int kPairGroupRows = 96;      // a group of this many valid rows (two tiles, the second at least
                                                   // half full) runs on pairs whatever its task count (group_paired,
                                                   // types.cuh; docs/perf-notes.md items 62-63)
    static constexpr int kTasksPerProcessor = 4;   // coarsen a GEMM phase only while it keeps >= 4 tasks per processor
                                                   // (docs/perf-notes.md item 47: 2 left a longer tail at T = 8-256)
    static constexpr int kWideGemm1PiecesPerProcessor = 2;  // GEMM1 in wide pieces only while they number >= 2 per
                                                   // processor (gemm1_wide, types.cuh)
    static constexpr int kBlockK = 32;             // K step staged through shared memory
    static constexpr int kTokensPerCombine = 4;    // tokens per COMBINE token tile: one per warp
    static constexpr int kCombineSliceColumns = 256;  // the narrowest column slice of a token tile's COMBINE
                                                   // (combine_slices, types.cuh); half a pass of a block's loads
                                                   // over 4 tokens (512 was no faster: perf-notes item 49)
    static constexpr int kDispatchTokens = 16;     // tokens a processor claims at once in a token-major dispatch
                                                   // (KernelParams::token_dispatch; perf-notes item 108) ...
    static constexpr int kMaxDispatchTopK = 16;    // ... of at most this k (its loop's bound; the C API's largest k,
                                                   // capi.cu kMaxTopK); the host takes no larger k to it
    static constexpr int kCompactRowsMinRoutes = 512;  // bf16 expert rows in the dtype from this many routes (T·k)
                                                   // of a launch on (compact_rows_launch, types.cuh; perf-notes
                                                   // items 90-91: Qwen3 T = 1024 -4 %, 16384 -7 %, T = 64 -0.7 %;
                                                   // below 512 routes they lose, up to +5 %); never in a layer of
                                                   // expert_output_precision FP32
    static constexpr int kDecodePrefetchSteps = 8;  // loads of a first-wave GEMM0 task a processor prefetches into
                                                   // the L2 while the slot assignment runs, in launches of one token
                                                   // (decode_prefetch_launch, types.cuh; perf-notes item 114: 16 and
                                                   // 32 loads were slower at Qwen3 T = 1)
    static constexpr int kDecodePrefetchMaxRoutes = 8;  // ... and at most 8 routes (k <= 8; the device side reads up
                                                   // to 32, a route a lane)
    static constexpr int kRingSize = 256;          // tasks per subscriber -> scheduler ring (power of two)
    static constexpr int kMaxExperts = 1024;       // routing histogram lives in the OS block's shared memory
    static constexpr int kMaxProcessors = 1024;    // the most processor blocks a grid gets
};

// Rows of short A box i (0 .. kShortABoxes - 1): 16, 32. NOTE: host compilers read this header too.
#if defined(__CUDACC__)
__host__ __device__
#endif
constexpr int short_a_box_rows(int i) { return 16 << i; }
static_assert(short_a_box_rows(TileConfig::kShortABoxes - 1) < TileConfig::kBlockM, "short boxes are shorter");

}  // namespace flashmoe::fused
