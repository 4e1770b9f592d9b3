// The Hopper GEMM engine of a processor (sm_90a, bf16/fp16): TMA loads (cp.async.bulk.tensor, 128-byte swizzle)
// into a shared-memory ring of 3-4 stages that completes on mbarriers, and wgmma (both operands from shared memory,
// K-major) issued by the whole processor block, which is exactly one warpgroup. One thread issues the loads; the ring
// runs across the pieces of a task, so the next piece's first stages are in flight while a piece's epilogue runs.
//
// Accumulator contract: as gemm_tile.cuh, per 64-row block r of the tile (accumulators[r][b][i][j] is element
// (64 r + row(i), column(j)) of A · B[b]^T).
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

#include <cute/arch/copy_sm90_desc.hpp>
#include <cute/arch/copy_sm90_tma.hpp>
#include <cute/arch/mma_sm90_desc.hpp>
#include <cute/arch/mma_sm90_gmma.hpp>

#include "flashmoe/fused/sync.cuh"
#include "flashmoe/fused/types.cuh"

// FLASHMOE_WGMMA: this compilation pass can issue wgmma (sm_90a device code). Everything else builds the tile's
// constants only, so the host can size shared memory, and traps if a tile would run.
#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define FLASHMOE_WGMMA 1
#else
#define FLASHMOE_WGMMA 0
#endif

namespace flashmoe::fused {

// The ring shared by every wgmma tile of a processor, at the start of its dynamic shared memory (1024-byte aligned
// for the 128-byte swizzle): kRingBytes of stages, then the ring's state. A tile cuts the ring into stages of its own
// size (WgmmaTile::kStagePitch): 4 stages of (A, B0, B1) boxes of 64 rows x 128 bytes, for paired row tiles
// (GEMM0's and GEMM1's) 3 stages of (A of 128 rows, B0, B1), for the swap-AB tiles 5 to 9 stages of (16 token rows,
// one or two B boxes) (docs/perf-notes.md item 74).
struct WgmmaRing {
    static constexpr int kStages = 4;                         // stages of the 64-row tiles
    static constexpr int kMaxStages = 9;                      // full barriers: the most stages any tile cuts
    static constexpr int kBoxRows = 64;                       // rows of every box: kBlockM = kBlockN = 64
    static constexpr int kBoxBytesK = 128;                    // K bytes of a box: the swizzle span (64 bf16/fp16)
    static constexpr int kBoxElementsK = kBoxBytesK / 2;      // 16-bit elements only
    static constexpr int kBoxBytes = kBoxRows * kBoxBytesK;   // 8 KB
    static constexpr int kStageBytes = 3 * kBoxBytes;         // A + up to two B matrices (the 64-row tiles' stage)
    static constexpr int kRingBytes = kStages * kStageBytes;  // 96 KB: two processors per SM
    static constexpr int kAlignment = 1024;                   // the 128-byte swizzle repeats every 8 rows
    // The state: one full barrier per stage (TMA completes its bytes on it) and, bit s, the parity of barrier s's next
    // phase. A tile's run starts at stage 0 and leaves no load in flight, so tiles of different stage counts can
    // follow each other: each run flips the bits of the barriers it completed an odd number of times.
    struct State {
        uint64_t full[kMaxStages];
        uint32_t phases;
        uint32_t padding;
    };
    // Bytes a processor reserves: alignment slack, the stages, the state.
    static constexpr size_t kSharedBytes = kAlignment + static_cast<size_t>(kRingBytes) + sizeof(State);

    static_assert(TileConfig::kBlockM == kBoxRows && TileConfig::kBlockN == kBoxRows, "one box per operand tile");
    static_assert(kStageBytes % kAlignment == 0 && kBoxBytes % kAlignment == 0, "every box starts swizzle-aligned");

    // Boxes along a K of `k` elements (TMA zero-fills the last one past K).
    __host__ __device__ static constexpr int k_boxes(int k) { return (k + kBoxElementsK - 1) / kBoxElementsK; }

    // Bytes a block of `warpgroups` warpgroups reserves: kSharedBytes with a ring of warpgroups x kRingBytes
    // (WgmmaTile's kWarpgroups = 2: one block per SM, docs/perf-notes.md item 98; gemm_tile_test only).
    __host__ __device__ static constexpr size_t shared_bytes(int warpgroups) {
        return kSharedBytes + static_cast<size_t>(warpgroups - 1) * kRingBytes;
    }

    char* stages;  // kRingBytes per warpgroup of the block, kAlignment-aligned
    State* state;

    // NOTE: the state sits past the block's whole ring (kRingBytes per warpgroup of the block), wherever a tile's
    // stages end (a two-warpgroup block's: after both warpgroups' kRingBytes).
    __device__ __forceinline__ explicit WgmmaRing(char* shared) {
        const uint32_t address = static_cast<uint32_t>(__cvta_generic_to_shared(shared));
        stages = shared + ((kAlignment - address % kAlignment) % kAlignment);
        state = reinterpret_cast<State*>(stages + static_cast<int>(blockDim.x / 128) * kRingBytes);
    }
};

namespace detail {

// wgmma m64nNk16 (N = 64, 128 or 256), fp32 accumulators, A and B K-major in shared memory.
template <typename Element, int kN>
struct WgmmaOpOf {
    static_assert(kN == 64 || kN == 128 || kN == 256, "one, two or four 64-column B boxes");
    template <template <cute::SM90::GMMA::Major, cute::SM90::GMMA::Major, cute::SM90::GMMA::ScaleIn,
                        cute::SM90::GMMA::ScaleIn> class Op>
    using KMajor = Op<cute::SM90::GMMA::Major::K, cute::SM90::GMMA::Major::K, cute::SM90::GMMA::ScaleIn::One,
                      cute::SM90::GMMA::ScaleIn::One>;
    using Op = std::conditional_t<
        std::is_same_v<Element, __nv_bfloat16>,
        std::conditional_t<kN == 256, KMajor<cute::SM90::GMMA::MMA_64x256x16_F32BF16BF16_SS>,
                           std::conditional_t<kN == 128, KMajor<cute::SM90::GMMA::MMA_64x128x16_F32BF16BF16_SS>,
                                              KMajor<cute::SM90::GMMA::MMA_64x64x16_F32BF16BF16_SS>>>,
        std::conditional_t<kN == 256, KMajor<cute::SM90::GMMA::MMA_64x256x16_F32F16F16_SS>,
                           std::conditional_t<kN == 128, KMajor<cute::SM90::GMMA::MMA_64x128x16_F32F16F16_SS>,
                                              KMajor<cute::SM90::GMMA::MMA_64x64x16_F32F16F16_SS>>>>;
    // Swap-AB (WgmmaTile's kSwapTokens = 16): m64n16k16, a 64-row weight box as A and 16 token rows as B.
    using SwapOp = std::conditional_t<std::is_same_v<Element, __nv_bfloat16>,
                                      KMajor<cute::SM90::GMMA::MMA_64x16x16_F32BF16BF16_SS>,
                                      KMajor<cute::SM90::GMMA::MMA_64x16x16_F32F16F16_SS>>;
};

// Shared-memory matrix descriptor of a K-major box with the 128-byte swizzle (the layout TMA writes with
// CU_TENSOR_MAP_SWIZZLE_128B): 8-row groups 1024 bytes apart; the leading offset is unused for swizzled K-major
// layouts (1 by convention). `box` is 1024-byte aligned, so the base offset is 0.
__device__ __forceinline__ uint64_t swizzled_box_descriptor(const char* box) {
    cute::GmmaDescriptor descriptor;
    descriptor.bitfield.start_address_ = static_cast<uint16_t>(__cvta_generic_to_shared(box) >> 4);
    descriptor.bitfield.leading_byte_offset_ = 1;
    descriptor.bitfield.stride_byte_offset_ = 1024 >> 4;
    descriptor.bitfield.base_offset_ = 0;
    descriptor.bitfield.layout_type_ = static_cast<uint8_t>(cute::SM90::GMMA::LayoutType::B128);
    return descriptor.desc_;
}

// A descriptor `units` 16-byte units further along its start address (bits 0-13 of the low word). NOTE: a 32-bit add:
// start addresses stay below 2^14 units (shared memory < 256 KB), so it never carries into the other fields, and the
// high word (the descriptor's fixed fields) stays one uniform value instead of a 64-bit add per wgmma.
__device__ __forceinline__ uint64_t advance_descriptor(uint64_t descriptor, int units) {
    const uint32_t low = static_cast<uint32_t>(descriptor) + static_cast<uint32_t>(units);
    return (descriptor & 0xffffffff00000000ull) | low;
}

// Register r of the wgmma D fragment (m64nN: n8 block r / 4, then (row g, col 2q), (g, 2q + 1), (g + 8, 2q),
// (g + 8, 2q + 1)) as the flat index of accumulators[b][i][j] with b = 64-column block, i = row half, j = column.
__host__ __device__ constexpr int accumulator_index(int r) {
    const int n8_block = r / 4;
    return (n8_block / 8) * 32 + ((r % 4) / 2) * 16 + 2 * (n8_block % 8) + r % 2;
}

template <typename Op, int... kR>
__device__ __forceinline__ void wgmma_issue(uint64_t desc_a, uint64_t desc_b, float* accumulators,
                                            cute::SM90::GMMA::ScaleOut scale, std::integer_sequence<int, kR...>) {
    Op::fma(desc_a, desc_b, accumulators[accumulator_index(kR)]..., scale);
}

// As wgmma_issue, register r of the D fragment into accumulators[r] (the swapped tile's flat fragment).
template <typename Op, int... kR>
__device__ __forceinline__ void wgmma_issue_flat(uint64_t desc_a, uint64_t desc_b, float* accumulators,
                                                 cute::SM90::GMMA::ScaleOut scale, std::integer_sequence<int, kR...>) {
    Op::fma(desc_a, desc_b, accumulators[kR]..., scale);
}

// WgmmaTile::run's acquire_a when the task's A rows were acquired before the run (its default).
struct NothingToAcquire {
    __device__ __forceinline__ bool operator()() const { return true; }
};

__device__ __forceinline__ void fence_proxy_async_global() {
#if FLASHMOE_WGMMA
    asm volatile("fence.proxy.async.global;" ::: "memory");
#endif
}

// One probe of an mbarrier phase (the instruction may suspend the thread briefly while the phase is incomplete).
__device__ __forceinline__ bool try_wait_parity(uint32_t address, uint32_t parity) {
    uint32_t done = 0;
#if FLASHMOE_WGMMA
    asm volatile(
        "{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}\n"
        : "=r"(done)
        : "r"(address), "r"(parity)
        : "memory");
#endif
    return done != 0;
}

// The same probe, suspending the thread until the phase completes or about `hint_ns` pass (PTX's suspendTimeHint):
// the thread wakes as the phase completes, not at the hint's end.
__device__ __forceinline__ bool try_wait_parity_for(uint32_t address, uint32_t parity, uint32_t hint_ns) {
    uint32_t done = 0;
#if FLASHMOE_WGMMA
    asm volatile(
        "{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2, %3;\nselp.u32 %0, 1, 0, p;\n}\n"
        : "=r"(done)
        : "r"(address), "r"(parity), "r"(hint_ns)
        : "memory");
#endif
    return done != 0;
}
// How long a stage wait's probes suspend their threads once the first probe failed (item 153), so that a long wait (a
// GEMM1 task made at the routing's release, item 145, waits ~30-40 us in its first stage at gpt-oss-120b T = 1) reads
// the clock and, past kAbortCheckAfterNs, the abort flag every few microseconds per warp, not on every pass. Measured
// neutral at decode (docs/perf-notes.md item 154): the polling was not what gpt-oss-120b lost.
constexpr uint32_t kStageWaitSuspendNs = 4000;

// Bounded wait for a stage's TMA bytes. False after noting a TIMEOUT (note_timeout) or seeing an abort.
__device__ __forceinline__ bool wait_stage(const KernelParams& params, uint32_t epoch, uint64_t* barrier,
                                           uint32_t parity, uint64_t limit_ns, int stage) {
    const uint32_t address = static_cast<uint32_t>(__cvta_generic_to_shared(barrier));
    if (try_wait_parity(address, parity)) {
        return true;  // NOTE: the common case reads no clock
    }
    WaitClock clock(limit_ns);
    while (!try_wait_parity_for(address, parity, kStageWaitSuspendNs)) {
        if (clock.aborted(params, epoch)) {
            return false;
        }
        if (clock.expired()) {
            note_timeout(params, epoch, WaitWhat::kTileLoad, -1, stage, parity, parity ^ 1u, clock.elapsed());
            return false;  // the record: flush_timeout_note, after run_processor
        }
    }
    return true;
}

}  // namespace detail

// Once per launch, before the first tile, by the whole block (the processor, or a two-warpgroup tile's block).
__device__ __forceinline__ void wgmma_ring_init(char* shared) {
#if FLASHMOE_WGMMA
    WgmmaRing ring(shared);
    // NOTE: the ring's stages reuse shared memory this block may have written with generic stores before (the route
    // chunk ranking: processor.cuh rank_routing_chunk), and TMA writes them through the async proxy: each thread orders
    // its generic writes before the block's later async-proxy accesses, then the barrier (PTX memory model, proxies).
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
    if (threadIdx.x == 0) {
        for (int s = 0; s < WgmmaRing::kMaxStages; ++s) cute::initialize_barrier(ring.state->full[s], 1);
        ring.state->phases = 0;
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    }
    processor_sync();
#endif
}

// One processor's (kRowBlocks·64 x kNumB·64) tile of A · [B0 | B1]^T per piece. A rows come from `map_a` at `a_row`
// (kRowBlocks = 2: a map of 128-row boxes, the two row tiles of a pair); piece p's B box b from `map_b[b]`
// (kNumB maps) at row b_rows(p, b) (GEMM0: gate and up at one row of two maps; GEMM1's wide pieces: two consecutive
// 64-row boxes of one map). K runs over `num_k_tiles` boxes of 64 elements (TMA zero-fills past K).
// `half_boxes` (kNumB = 2, GEMM0's narrow pieces): map_b[0] and map_b[1] have boxes of 32 rows that land together in
// B0's 64 rows (tile columns 0..31 and 32..63); B1 is not loaded, and accumulators[0][1] hold garbage the caller ignores.
// The MMAs stay m64n128, so both kinds of piece share one instruction stream (a second tile type in the kernel
// raised its spills from 216 to 686 bytes).
// `half_boxes` with kNumB = 1 (GEMM1's narrow pieces, docs/perf-notes.md item 73): map_b[0] has boxes of 32 rows that
// land in B0's rows 0..31; rows 32..63 keep what the stage held before, and the tile columns they give are garbage the
// caller does not store.
// kRowBlocks = 2 (docs/perf-notes.md items 33-34): each k16 step issues one m64nN per 64-row block of A against the same
// B, so a stage's B boxes serve twice the rows (32 KB staged per 2 MFLOP instead of 24 KB per 1 MFLOP).
// kStageLimit > 0 caps the stages (gemm_tile_test's ring-depth measurement only).
// kWarpgroups = 2 (docs/perf-notes.md items 97-98; gemm_tile_test only since item 103 removed the layer's
// experimental two-warpgroup kernel, slower than the paired tile): a block of two warpgroups, one per SM, runs the
// tile cooperatively: kRowBlocks = 2, warpgroup g issues row block g's m64nN (N = kNumB · 64, up to 256) against the
// stage's kNumB B boxes, so a stage of 128 A rows and four B boxes (48 KB) serves 4 MFLOP where the paired tile's
// 32 KB serves 2. The ring is the block's two kRingBytes (192 KB: 4 such stages); thread 0 issues the loads and the
// vote at each k-step covers both warpgroups (barrier 2). accumulators[0] is the thread's own row block
// (row_block()). Both warpgroups call run with the same arguments.
// kSwapTokens = 16 (swap-AB, docs/perf-notes.md item 71; tasks.cuh run_gemm0_swap_task, run_gemm1_swap_task): for
// row tiles of at most 16 valid rows, the operands change places. Each 64-row B box (weight rows: the output's
// columns) is the wgmma's A (M = 64), and the first 16 rows of the stage's A box (tokens) are its B (N = 16), so a k16
// step is one m64n16k16 per B box instead of an m64nN whose 64 rows are mostly padding. The A map should have 16-row
// boxes (`a_box_bytes` = 16 · 128). accumulators[b][r] is element (swapped_row(r), swapped_column(r)) of
// A · B[b]^T. Needs kRowBlocks = 1. Its stage is the 16 token rows (2 KB) and kBRegions 64-row B regions: with
// kBRegions = 1 and kNumB = 2 (half_boxes, GEMM0's narrow pieces) both 32-row boxes land in region 0 (its rows 0..31
// and 32..63) and one MMA covers them. The stages are as many as the ring holds, up to kMaxStages (item 74: 5 of
// 18 KB with two regions, 9 of 10 KB with one), where the 64-row tile keeps 4 of 24 KB.
template <typename Element, int kNumB, int kRowBlocks = 1, int kStageLimit = 0, int kSwapTokens = 0,
          int kBRegions = kNumB, int kWarpgroups = 1>
struct WgmmaTile {
    static constexpr bool kCoop = kWarpgroups == 2;
    static constexpr int kThreads = 128 * kWarpgroups;  // the block
    static constexpr int kRingBytes = kWarpgroups * WgmmaRing::kRingBytes;
    static constexpr size_t kSharedBytes = WgmmaRing::shared_bytes(kWarpgroups);
    static constexpr int kFragmentRowBlocks = kCoop ? 1 : kRowBlocks;  // row blocks a thread accumulates
    static constexpr int kN = kNumB * TileConfig::kBlockN;  // wgmma N: gate and up side by side when gated
    static constexpr int kRowsPerThread = 2;                 // rows g and g + 8 of the warp's 16
    static constexpr int kColumnsPerThread = 16;             // 8 n8 blocks x column pair, per 64 columns
    static constexpr bool kPairedColumns = true;
    static constexpr int kAccumulators = kNumB * kRowsPerThread * kColumnsPerThread;  // per row block
    // A stage: kRowBlocks A boxes, then kNumB B boxes. The 64-row tiles keep the ring's 4 stages of 24 KB whatever
    // their B count (item 19: 6 stages of 16 KB for GEMM1 were no faster); the paired tile cuts it into 3 of 32 KB.
    static constexpr bool kSwapped = kSwapTokens != 0;
    static constexpr int kABytes = kSwapped ? kSwapTokens * WgmmaRing::kBoxBytesK : kRowBlocks * WgmmaRing::kBoxBytes;
    static constexpr int kStagePitch = kSwapped          ? kABytes + kBRegions * WgmmaRing::kBoxBytes
                                       : kRowBlocks == 1 ? WgmmaRing::kStageBytes
                                                         : kABytes + kNumB * WgmmaRing::kBoxBytes;
    static constexpr int kRingStages = kRingBytes / kStagePitch < WgmmaRing::kMaxStages ? kRingBytes / kStagePitch
                                                                                         : WgmmaRing::kMaxStages;
    static constexpr int kStages = kStageLimit > 0 && kStageLimit < kRingStages ? kStageLimit : kRingStages;
    using Op = typename detail::WgmmaOpOf<Element, kN>::Op;
    static constexpr int kSwappedAccumulators = kSwapTokens / 2;  // per B box: the m64n16 fragment's 8 floats
    using SwapOp = typename detail::WgmmaOpOf<Element, 64>::SwapOp;
    static_assert(kSwapTokens == 0 || (kSwapTokens == 16 && kRowBlocks == 1), "swap-AB: 16 tokens, one row block");
    static_assert(kBRegions == kNumB || (kSwapped && kBRegions == 1 && kNumB == 2),
                  "one B region for two maps: the swapped tile's half boxes only");

    static_assert(TileConfig::kThreads == 128, "a processor is one warpgroup");
    static_assert(kRowBlocks == 1 || kRowBlocks == 2, "64 or 128 rows");
    static_assert(kWarpgroups == 1 || (kWarpgroups == 2 && kRowBlocks == 2 && kSwapTokens == 0),
                  "two warpgroups: one row block each");
    static_assert(kN <= 128 || kCoop, "m64n256: 128 accumulators a thread, one row block only");
    static_assert(kAccumulators == kN / 2, "the m64nN fragment holds N / 2 floats per thread");
    static_assert(sizeof(Element) == 2, "bf16 / fp16 boxes of 64 elements");
    static_assert(WgmmaRing::kBoxBytes / 2 % WgmmaRing::kAlignment == 0, "a half box starts swizzle-aligned");
    static_assert(kStagePitch % WgmmaRing::kAlignment == 0 && kABytes % WgmmaRing::kAlignment == 0 &&
                      kABytes + kBRegions * WgmmaRing::kBoxBytes <= kStagePitch,
                  "a stage holds its boxes, swizzle-aligned");
    static_assert(kStages >= 2 && kStages <= WgmmaRing::kMaxStages, "a barrier per stage, and loads ahead");

    // The fragment. The 64-row tiles: accumulators[r] is row block r's (rows 64 r .. 64 r + 63 of the tile) in the
    // contract's [b][i][j] shape. The swapped tile: accumulators[b][r] is register r of B region b (swapped_row,
    // swapped_column). NOTE: the sizes of the shape not taken are placeholders (1): both are spelled out either way.
    using Fragment = std::conditional_t<kSwapped, float[kBRegions][kSwapped ? kSwappedAccumulators : 1],
                                        float[kFragmentRowBlocks][kNumB][kRowsPerThread][kColumnsPerThread]>;
    static constexpr int kFragmentFloats = static_cast<int>(sizeof(Fragment) / sizeof(float));
    Fragment accumulators;
    // The K box every piece's pass starts at: 0, or a split-K GEMM1 task's first box (gemm1_k_parts, types.cuh); the
    // pass then covers boxes k_first .. k_first + num_k_tiles - 1 of A's and B's K.
    int k_first = 0;

    __device__ __forceinline__ static int lane_idx() { return static_cast<int>(threadIdx.x) % 32; }
    // The thread's row i inside its row block (the warp's 16 rows of the warpgroup's 64).
    __device__ __forceinline__ static int row(int i) {
        return static_cast<int>(threadIdx.x) % 128 / 32 * 16 + i * 8 + lane_idx() / 4;
    }
    // kCoop: the row block of the thread's accumulators[0] (its warpgroup).
    __device__ __forceinline__ static int row_block() { return kCoop ? static_cast<int>(threadIdx.x) / 128 : 0; }
    __device__ __forceinline__ static int column(int j) { return (j / 2) * 8 + (lane_idx() % 4) * 2 + j % 2; }
    // The swapped fragment's register r: its token row (the wgmma's N: n8 block r / 4, column pair of the lane) and
    // its output column inside the B box (the wgmma's M: rows g and g + 8 of the warp's 16).
    __device__ __forceinline__ static int swapped_row(int r) { return (r / 4) * 8 + (lane_idx() % 4) * 2 + r % 2; }
    __device__ __forceinline__ static int swapped_column(int r) {
        return static_cast<int>(threadIdx.x) / 32 * 16 + lane_idx() / 4 + ((r % 4) / 2) * 8;
    }

    // The tile's barriers: the processor's block, or both warpgroups of a kCoop block (block_sync.cuh).
    __device__ __forceinline__ static void sync() {
        if constexpr (kCoop) {
            coop_sync();
        } else {
            processor_sync();
        }
    }
    __device__ __forceinline__ static bool sync_and(bool predicate) {
        if constexpr (kCoop) {
            return coop_sync_and(predicate);
        } else {
            return processor_sync_and(predicate);
        }
    }

    __device__ __forceinline__ void fence_accumulators() {
        float* flat = reinterpret_cast<float*>(&accumulators);
#pragma unroll
        for (int r = 0; r < kFragmentFloats; ++r) cute::warpgroup_fence_operand(flat[r]);
    }

    // Thread 0's next load in the flattened (piece, k tile) sequence, advanced one load at a time (no division on the
    // refill path: the loads are issued in sequence order, kStages ahead of the MMAs).
    // (kStages is a compile-time constant, so the stage of a load, `load % kStages`, costs no division either.)
    struct IssuePosition {
        int piece;
        int k_tile;   // 0 .. num_k_tiles - 1
        int k_first;  // the tile's k_first: the K box of k_tile 0
        __device__ __forceinline__ void advance(int num_k_tiles) {
            if (++k_tile == num_k_tiles) {
                k_tile = 0;
                ++piece;
            }
        }
    };

    // Thread 0's pieces of load number `load` of the sequence, at `at` (its piece and k tile), into stage
    // load % kStages: its expected bytes on the stage's full barrier (A and B), its A box, its B boxes.
    // NOTE: a 32-row box lands where rows 32..63 of a 64-row box would: the swizzle depends only on the shared address
    // (1024-byte aligned at 4 KB), so the two halves read back as one 64-row operand.
    __device__ __forceinline__ static int b_box_bytes(bool half_boxes) {
        return half_boxes ? WgmmaRing::kBoxBytes / 2 : WgmmaRing::kBoxBytes;
    }
    __device__ __forceinline__ static void expect_load(const WgmmaRing& ring, int a_box_bytes, int load,
                                                       bool half_boxes) {
#if FLASHMOE_WGMMA
        cute::set_barrier_transaction_bytes(ring.state->full[load % kStages],
                                            a_box_bytes + kNumB * b_box_bytes(half_boxes));
#endif
    }
    __device__ __forceinline__ static void copy_a(const WgmmaRing& ring, const TmaDescriptor* map_a, int a_row,
                                                  int load, const IssuePosition& at) {
#if FLASHMOE_WGMMA
        constexpr uint64_t kEvictNormal = static_cast<uint64_t>(cute::TMA::CacheHintSm90::EVICT_NORMAL);
        const int stage = load % kStages;
        cute::SM90_TMA_LOAD_2D::copy(map_a, &ring.state->full[stage], kEvictNormal, ring.stages + stage * kStagePitch,
                                     (at.k_first + at.k_tile) * WgmmaRing::kBoxElementsK, a_row);
#endif
    }
    template <typename BRows>
    __device__ __forceinline__ static void copy_b(const WgmmaRing& ring, const TmaDescriptor* const* map_b,
                                                  BRows b_rows, uint64_t b_hint, int load, const IssuePosition& at,
                                                  bool half_boxes) {
#if FLASHMOE_WGMMA
        const int stage = load % kStages;
        char* destination = ring.stages + stage * kStagePitch + kABytes;
#pragma unroll
        for (int b = 0; b < kNumB; ++b) {
            cute::SM90_TMA_LOAD_2D::copy(map_b[b], &ring.state->full[stage], b_hint,
                                         destination + b * b_box_bytes(half_boxes),
                                         (at.k_first + at.k_tile) * WgmmaRing::kBoxElementsK, b_rows(at.piece, b));
        }
#endif
    }

    // Thread 0: load number `load` whole (expected bytes, A, B); then `at` advances.
    template <typename BRows>
    __device__ __forceinline__ static void issue(const WgmmaRing& ring, const TmaDescriptor* map_a, int a_row,
                                                 int a_box_bytes, const TmaDescriptor* const* map_b, BRows b_rows,
                                                 uint64_t b_hint, int num_k_tiles, int load, IssuePosition& at,
                                                 bool half_boxes) {
        expect_load(ring, a_box_bytes, load, half_boxes);
        copy_a(ring, map_a, a_row, load, at);
        copy_b(ring, map_b, b_rows, b_hint, load, at, half_boxes);
        at.advance(num_k_tiles);
    }

    // Thread 0, after the block's vote at iteration `it`: every warp's MMAs of stage it - 1 are done (each warp's
    // tensor core reads all of B), so that stage takes the load of iteration it - 1 + kStages, which is `at` (the
    // loads go in sequence order).
    template <typename BRows>
    __device__ __forceinline__ static void refill(const WgmmaRing& ring, const TmaDescriptor* map_a, int a_row,
                                                  int a_box_bytes, const TmaDescriptor* const* map_b, BRows b_rows,
                                                  uint64_t b_hint, int num_k_tiles, int it, int total,
                                                  IssuePosition& at, bool half_boxes) {
        if (threadIdx.x == 0 && it >= 1 && it - 1 + kStages < total) {
            issue(ring, map_a, a_row, a_box_bytes, map_b, b_rows, b_hint, num_k_tiles, it - 1 + kStages, at,
                  half_boxes);
        }
    }

    // Runs pieces [piece_begin, piece_end) and calls epilogue(piece) with the piece's accumulators complete. Called by
    // the whole block; leaves no load in flight. False when a stage's load timed out (recorded) or the launch aborted.
    // `a_box_bytes`: the bytes of map_a's box: kABytes, or (kRowBlocks = 1) for a row tile of at most
    // short_a_box_rows(i) valid rows those rows only (a map of shorter boxes, tasks.cuh `short_a_box`). The A box's
    // rows past them keep what the stage held before; the MMA rows they produce are garbage the epilogue does not
    // store (an output row depends on its own A row only).
    // `b_hint`: the L2 cache policy of the B boxes (weights), TMA's CacheHintSm90.
    // `deferred_a` (docs/perf-notes.md item 72): the task's A rows are not acquired yet. Thread 0 issues the first
    // stages' B boxes (weights, which no task writes), then `acquire_a()` (its bounded wait for the A rows;
    // false when the launch is aborting, recorded), then the proxy fence and the A boxes: the weights load during the
    // wait. If acquire_a fails the stages never complete, and every thread's stage wait sees the abort. The first
    // stage's wait is then bounded at 3x the timeout instead of 2x, so that acquire_a, bounded at 2x, reports what it
    // waited for first: every thread passes the same deferred_a (the processor hands its InputWait to the whole
    // block); thread 0 alone acquires.
    template <typename BRows, typename Epilogue, typename AcquireA = detail::NothingToAcquire>
    __device__ __forceinline__ bool run(const KernelParams& params, uint32_t epoch, char* shared,
                                        const TmaDescriptor* map_a, int a_row,
                                        const TmaDescriptor* const* map_b, BRows b_rows, int piece_begin,
                                        int piece_end, int num_k_tiles, Epilogue&& epilogue,
                                        bool half_boxes = false, int a_box_bytes = kABytes,
                                        uint64_t b_hint = static_cast<uint64_t>(
                                            cute::TMA::CacheHintSm90::EVICT_NORMAL),
                                        bool deferred_a = false, AcquireA acquire_a = AcquireA{}) {
#if FLASHMOE_WGMMA
        if constexpr (kBRegions < kNumB) half_boxes = true;  // NOTE: two 32-row boxes in one region, always
        const WgmmaRing ring(shared);
        const int total = (piece_end - piece_begin) * num_k_tiles;
        const uint32_t phases = ring.state->phases;
        const uint64_t limit_ns = params.task_timeout_ns;
        IssuePosition next_load{piece_begin, 0, k_first};  // thread 0's
        if (threadIdx.x == 0) {
            // NOTE: A was written in this launch by other blocks' generic stores (dispatch, GEMM0's epilogue) and is
            // read here through the async proxy: this thread's acquire of them (the task's release; for GEMM0 on one
            // GPU, its row tiles' dispatch flags; deferred_a: acquire_a), then this proxy fence.
            if (deferred_a) {
                // The first stages' expected bytes and weight boxes, then the acquire, then their A boxes.
                IssuePosition b_load = next_load;
                for (int it = 0; it < total && it < kStages; ++it) {
                    expect_load(ring, a_box_bytes, it, half_boxes);
                    copy_b(ring, map_b, b_rows, b_hint, it, b_load, half_boxes);
                    b_load.advance(num_k_tiles);
                }
                const bool acquired = acquire_a();
                detail::fence_proxy_async_global();
                for (int it = 0; acquired && it < total && it < kStages; ++it) {
                    copy_a(ring, map_a, a_row, it, next_load);
                    next_load.advance(num_k_tiles);
                }
            } else {
                detail::fence_proxy_async_global();
                for (int it = 0; it < total && it < kStages; ++it) {
                    issue(ring, map_a, a_row, a_box_bytes, map_b, b_rows, b_hint, num_k_tiles, it, next_load,
                          half_boxes);
                }
            }
        }
        bool ok = true;
        // Iteration it's k tile (it % num_k_tiles), advanced at the end of each iteration: num_k_tiles is a runtime
        // value, and a division per k-step sat between the stage's wait and its MMAs. (The piece, it / num_k_tiles, is
        // needed once per piece.)
        int k_tile = 0;
        for (int it = 0; it < total; ++it) {
            const int stage = it % kStages;
            // NOTE: a thread whose wait failed still issues this stage's MMAs (on whatever the stage holds) so that the
            // warpgroup stays converged; the block leaves together at the vote below.
            const uint32_t parity = ((phases >> stage) ^ static_cast<uint32_t>(it / kStages)) & 1u;
            const bool loaded = detail::wait_stage(params, epoch, &ring.state->full[stage], parity,
                                                   it == 0 && deferred_a ? limit_ns + limit_ns / 2 : limit_ns, stage);
            const char* a_box = ring.stages + stage * kStagePitch;
            const uint64_t desc_b = detail::swizzled_box_descriptor(a_box + kABytes);
            fence_accumulators();
            cute::warpgroup_arrive();
#pragma unroll
            for (int step = 0; step < WgmmaRing::kBoxBytesK / 32; ++step) {
                // NOTE: a k16 step is 32 bytes along K inside the swizzled 128-byte rows: +2 in 16-byte units.
                const auto scale = (k_tile == 0 && step == 0) ? cute::SM90::GMMA::ScaleOut::Zero
                                                              : cute::SM90::GMMA::ScaleOut::One;
                if constexpr (kSwapped) {
                    // The weight box b as A, the tokens as B: desc_b (the first B box) and the A box change roles.
                    const uint64_t desc_tokens = detail::swizzled_box_descriptor(a_box);
#pragma unroll
                    for (int b = 0; b < kBRegions; ++b) {
                        detail::wgmma_issue_flat<SwapOp>(
                            detail::advance_descriptor(desc_b, b * (WgmmaRing::kBoxBytes >> 4) + 2 * step),
                            detail::advance_descriptor(desc_tokens, 2 * step), &accumulators[b][0], scale,
                            std::make_integer_sequence<int, kSwappedAccumulators>{});
                    }
                } else if constexpr (kCoop) {
                    const uint64_t desc_a =
                        detail::swizzled_box_descriptor(a_box + row_block() * WgmmaRing::kBoxBytes);
                    detail::wgmma_issue<Op>(detail::advance_descriptor(desc_a, 2 * step),
                                            detail::advance_descriptor(desc_b, 2 * step), &accumulators[0][0][0][0],
                                            scale, std::make_integer_sequence<int, kAccumulators>{});
                } else {
#pragma unroll
                    for (int r = 0; r < kRowBlocks; ++r) {
                        const uint64_t desc_a = detail::swizzled_box_descriptor(a_box + r * WgmmaRing::kBoxBytes);
                        detail::wgmma_issue<Op>(detail::advance_descriptor(desc_a, 2 * step),
                                                detail::advance_descriptor(desc_b, 2 * step), &accumulators[r][0][0][0],
                                                scale, std::make_integer_sequence<int, kAccumulators>{});
                    }
                }
            }
            cute::warpgroup_commit_batch();
            // NOTE: the two branches repeat the vote and the refill so that the epilogue's reads of the accumulators
            // sit where no wgmma can be pending on every path: ptxas's check is path-insensitive after a merge, and a
            // read it cannot prove safe serialises every wgmma of the kernel (C7514).
            if (k_tile == num_k_tiles - 1) {
                cute::warpgroup_wait<0>();
                fence_accumulators();
                if (!sync_and(loaded)) {
                    ok = false;
                    break;
                }
                refill(ring, map_a, a_row, a_box_bytes, map_b, b_rows, b_hint, num_k_tiles, it, total, next_load,
                       half_boxes);
                epilogue(piece_begin + it / num_k_tiles);
            } else {
                cute::warpgroup_wait<1>();  // the previous stage's MMAs are done; this one may still run
                fence_accumulators();
                if (!sync_and(loaded)) {
                    ok = false;
                    break;
                }
                refill(ring, map_a, a_row, a_box_bytes, map_b, b_rows, b_hint, num_k_tiles, it, total, next_load,
                       half_boxes);
            }
            if (++k_tile == num_k_tiles) k_tile = 0;
        }
        // NOTE: on failure some issued stages are never waited for; the launch is aborting, and the processor uses the
        // ring no more.
        cute::warpgroup_wait<0>();
        sync();
        if (threadIdx.x == 0) {
            // Barrier s completed once per iteration it < total with it % kStages == s.
            uint32_t flipped = 0;
#pragma unroll
            for (int s = 0; s < kStages; ++s) {
                const int completions = total > s ? (total - s + kStages - 1) / kStages : 0;
                flipped |= static_cast<uint32_t>(completions & 1) << s;
            }
            ring.state->phases = phases ^ flipped;
        }
        sync();
        return ok;
#else
        __trap();
        return false;
#endif
    }
};

}  // namespace flashmoe::fused
