// Plain types shared by the host and every actor of the fused kernel: roles, task descriptors, the error record and
// the kernel's parameter block. POD only, so the host class can include this without compiling device code.
#pragma once

#include <cstdint>

#include "flashmoe/common/capacity.h"
#include "flashmoe/comm/ep_params.cuh"
#include "flashmoe/fused/tile_config.cuh"
#include "flashmoe/fused/trace.cuh"
#include "flashmoe/layout/workspace_layout.cuh"

namespace flashmoe::fused {

// Who a block (or a warp of the OS block) is. The kernel entry switches on this and traps on anything else.
enum class Role : int32_t {
    kOs = 0,          // block 0: routing, then warp 0 = scheduler, warps 1.. = subscribers
    kScheduler = 1,   // warp 0 of the OS block
    kSubscriber = 2,  // warps 1..3 of the OS block
    kProcessor = 3,   // every other block
};

enum class TaskType : int32_t {
    kNone = 0,     // a released task with nothing to do (debug fault injection: the withheld task)
    kGemm0 = 1,    // row tile x [W_gate | W_up]^T (or W1^T), bias + activation (+ gate product) fused, h in dtype
    kGemm1 = 2,    // h row tile x W_down^T (or W2^T) + bias, expert output rows in fp32
    kCombine = 3,  // token tile: y[t] = sum_j w[t][j] * out[slot(t, j)], j = 0..k-1, rounded once
    kExit = 4,     // never queued: a processor whose ticket is past the launch's last task (or whose wait failed) leaves
    kGemm0Pair = 5,  // GEMM0 of two row tiles of one expert, `tile` and `tile` + 1, in one 128-row pass (gemm0_paired)
    kGemm1Pair = 6,  // GEMM1 of two row tiles of one expert, `tile` and `tile` + 1, in one 128-row pass (gemm1_paired)
};

// The phase a task type belongs to: a pair task (kGemm0Pair, kGemm1Pair) is GEMM0's or GEMM1's; other types are their
// own (traces and profiles count pairs with their phase).
FLASHMOE_HOST_DEVICE inline TaskType task_phase(int32_t type) {
    return type == static_cast<int32_t>(TaskType::kGemm0Pair)   ? TaskType::kGemm0
           : type == static_cast<int32_t>(TaskType::kGemm1Pair) ? TaskType::kGemm1
                                                                 : static_cast<TaskType>(type);
}

// One unit of work: an entry of the task queue a processor claims. 16 bytes. In a subscriber's ring to the scheduler
// the same struct describes a batch of `n_tile` tasks, which the scheduler writes into the queue a lane each: for
// GEMM0 and GEMM1 the column tasks of a group of row tiles (os/subscriber.cuh; GEMM0's may be paired tasks,
// gemm0_paired); for COMBINE the column slices (combine_slices) of token tiles tile .. tile + count - 1 (a run of
// consecutive tiles that became ready together).
struct Task {
    int32_t type;    // TaskType
    int32_t tile;    // row tile (GEMM0, GEMM1) or token tile (COMBINE)
    int32_t n_tile;  // column task of the row tile (GEMM0: of I, GEMM1: of H): ColumnSplit::piece_begin/end;
                     // COMBINE: column slice of the token tile (combine_slice_begin)
    int32_t expert;  // expert of the row tile (informational for COMBINE: -1)
};

// How the output columns of one row tile are cut into GEMM tasks: `num_pieces` pieces of `piece_columns` columns
// (kBlockN; kNarrowPieceColumns for GEMM0 and GEMM1 at decode; 2 kBlockN for GEMM1's wide pieces), dealt into
// `num_tasks` tasks of near-equal size (they differ by at most one piece). Coarse tasks cut the number of tasks the
// single scheduler lane must issue (docs/perf-notes.md); the split stays fine enough for every processor to get
// `tasks_per_processor` tasks of the phase (KernelParams::tasks_per_processor, TileConfig::kTasksPerProcessor by
// default) when the row tiles are few (decode). The OS and the processors compute it from the same values (column
// count, row tiles, processors, tasks per processor, whether narrow pieces run), so a task carries only its index. The
// result of a column never depends on the split: each piece is one tile pass with the same fixed K order (but for K
// parts, below).
// GEMM1 at decode may also cut each piece's K into `k_parts` parts (gemm1_k_parts): the split's pieces are then
// (column piece, part) pairs, piece p being column piece p / k_parts and part p % k_parts, one per task.
struct ColumnSplit {
    int num_pieces;
    int num_tasks;
    int piece_columns;
    int k_parts = 1;

    // `even` (KernelParams::even_split, docs/perf-notes.md items 110, 112): the chosen task count is then raised so
    // that no task has more than floor(pieces / chosen) pieces (`chosen` tasks that do not divide the pieces give some
    // tasks one piece more than the rest, and a GEMM-bound phase ends on those), unless that would take a pairable
    // split (pieces >= 2 x tasks: split_pairable) below two pieces a pair task.
    FLASHMOE_HOST_DEVICE static ColumnSplit of(int columns, int max_pieces, int num_row_tiles, int num_processors,
                                               int piece_columns = TileConfig::kBlockN,
                                               int tasks_per_processor = TileConfig::kTasksPerProcessor,
                                               bool even = false) {
        ColumnSplit split;
        split.piece_columns = piece_columns;
        split.num_pieces = (columns + piece_columns - 1) / piece_columns;
        const int fewest = (split.num_pieces + max_pieces - 1) / max_pieces;
        const int wanted = num_row_tiles > 0 ? (tasks_per_processor * num_processors + num_row_tiles - 1) / num_row_tiles
                                             : split.num_pieces;
        const int tasks = wanted < split.num_pieces ? wanted : split.num_pieces;
        split.num_tasks = tasks > fewest ? tasks : fewest;
        if (even) split.num_tasks = even_tasks(split.num_pieces, split.num_tasks);
        return split;
    }
    // `even`'s task count for `tasks` chosen over `pieces` (1 <= tasks <= pieces <= 2^14).
    FLASHMOE_HOST_DEVICE static int even_tasks(int pieces, int tasks) {
#if defined(__CUDA_ARCH__)
        // NOTE: floor((pieces + 0.5) / tasks) and ceil(pieces / most) = floor((pieces - 0.5) / most) + 1 by the fast
        // fp32 division (a few instructions; an integer division is ~20, inlined at every site that computes a split,
        // and decode launches run that code cold: docs/perf-notes.md items 110-112). Exact: the half keeps each true
        // quotient at least 0.5 / divisor off an integer, more than __fdividef's error (2 ulp, 2^-22 relative) for
        // pieces < 2^21 (checked with 4 ulp either side for every pieces <= 2^14 and tasks <= pieces).
        const int most = __float2int_rd(__fdividef(static_cast<float>(pieces) + 0.5f, static_cast<float>(tasks)));
        const int evened = __float2int_rd(__fdividef(static_cast<float>(pieces) - 0.5f, static_cast<float>(most))) + 1;
#else
        const int most = pieces / tasks;  // >= 1
        const int evened = (pieces + most - 1) / most;
#endif
        return pieces < 2 * tasks || pieces >= 2 * evened ? evened : tasks;
    }
    // NOTE: 32-bit (pieces <= 2^14, so the product fits): a 64-bit division is an out-of-line call in device code.
    FLASHMOE_HOST_DEVICE int piece_begin(int task) const {
        return static_cast<int>(static_cast<uint32_t>(task) * static_cast<uint32_t>(num_pieces) /
                                static_cast<uint32_t>(num_tasks));
    }
    FLASHMOE_HOST_DEVICE int piece_end(int task) const { return piece_begin(task + 1); }
};

// GEMM0 at decode: when even one task per 64-column piece leaves half the processors without a GEMM0 task (T = 1: 8
// row tiles x 12 pieces = 96 tasks for 263 processors at Qwen3's shape), the pieces are 32 columns of gate and up
// (one wgmma m64n64 tile), so twice as many processors stream the weights. Hopper tiles and gated MLPs only
// (narrow_allowed); docs/perf-notes.md item 15.
FLASHMOE_HOST_DEVICE inline bool gemm0_narrow(int intermediate, int num_row_tiles, int num_processors,
                                              bool narrow_allowed) {
    const int wide_pieces = (intermediate + TileConfig::kBlockN - 1) / TileConfig::kBlockN;
    return narrow_allowed && 2 * num_row_tiles * wide_pieces <= num_processors;
}

// Swap-AB tiles (item 71) only in launches of few rows per row tile: the launch's routes (T·k, an upper bound of its
// rows) at most kSwapLaunchRowsPerTile per row tile on average, as at decode (every point of issue 4's table at
// T <= 64 is such a launch). A launch that mixes full tiles with few-row ones ran 9 % slower with the few-row ones
// swapped at Qwen3-235B-A22B T = 1024 (docs/perf-notes.md item 77); Qwen3-30B and DeepSeek-V3 T = 1024 gained 0-1 %.
FLASHMOE_HOST_DEVICE inline bool swap_ab_launch(int64_t routes, int num_row_tiles) {
    return num_row_tiles > 0 && routes <= int64_t{TileConfig::kSwapLaunchRowsPerTile} * num_row_tiles;
}

// The two splits of a launch.
FLASHMOE_HOST_DEVICE inline ColumnSplit gemm0_split(int intermediate, int num_row_tiles, int num_processors,
                                                    bool narrow_allowed = false,
                                                    int tasks_per_processor = TileConfig::kTasksPerProcessor,
                                                    bool even = false) {
    return ColumnSplit::of(intermediate, TileConfig::kMaxGemm0Pieces, num_row_tiles, num_processors,
                           gemm0_narrow(intermediate, num_row_tiles, num_processors, narrow_allowed)
                               ? TileConfig::kNarrowPieceColumns
                               : TileConfig::kBlockN,
                           tasks_per_processor, even);
}
// GEMM0 on paired row tiles (docs/perf-notes.md items 33, 62): two row tiles of one expert group (os/subscriber.cuh) in
// one 128-row pass (WgmmaTile<.., 2, 2>), so each staged weight box serves 128 rows instead of 64. A pair's tasks are
// twice as many as one row tile's, each with half the pieces (pair_split): the launch's task count, the work per task
// and the scheduler's arithmetic stay as they are; pair task j counts towards the GEMM0 counter of the pair's tile
// j % 2, so each tile's counter still ends at split.num_tasks, and the GEMM1 subscriber, which waits for every tile of
// a group, releases them once the pair's last task is done.
// The launch may pair (gemm0_paired) where the split gives every task at least two 64-column pieces, groups hold at
// least two tiles, and the Hopper tiles run a gated MLP with no narrow pieces (pair_allowed). The scheduler then
// pairs the tiles of a group of kPairGroupRows or more valid rows (two tiles, the second at least half full), or whose
// column tasks alone fill the processors (group_paired). Until items 57-58 made the epilogues cheaper, only the second
// paid (item 33: pairs were up to 10 % slower where a group had fewer tasks); since, pairing every group was 7 %
// faster at Qwen3 T = 4096, 15-18 % at T = 16384 (Qwen3, paper) and 5 % at Mixtral T = 1024, but 2-3 % slower at
// Qwen3 T = 1024, whose groups of two are a full tile and a nearly empty one (item 62); a pair whose second tile has
// fewer than 32 valid rows is the loss (item 63: paper T = 4096 -4.5 % against groups of three tiles or more).
// Whether a split's pieces can go to pairs: the pieces are the paired tile's width (`pair_columns`), groups hold two or
// more tiles, and every pair task keeps a piece.
FLASHMOE_HOST_DEVICE inline bool split_pairable(const ColumnSplit& split, int group_tiles, bool pair_allowed,
                                                int pair_columns) {
    return pair_allowed && group_tiles >= 2 && split.piece_columns == pair_columns &&
           split.num_pieces >= 2 * split.num_tasks;
}
FLASHMOE_HOST_DEVICE inline bool gemm0_paired(const ColumnSplit& split, int group_tiles, bool pair_allowed) {
    return split_pairable(split, group_tiles, pair_allowed, TileConfig::kBlockN);  // gate and up of 64 columns
}
FLASHMOE_HOST_DEVICE inline ColumnSplit pair_split(const ColumnSplit& split) {
    return ColumnSplit{split.num_pieces, 2 * split.num_tasks, split.piece_columns};
}
// GEMM1 on paired row tiles (docs/perf-notes.md item 34): as GEMM0's, over GEMM1's wide pieces (128 columns of H: one
// 128-row pass over two 64-row W_down boxes). Unlike GEMM0, whose group is released to GEMM1 as a whole, each row tile's
// routes are counted done for the COMBINE when its last GEMM1 task ends, and every task of a pair writes rows of both
// tiles: so each pair task counts towards both tiles, whose GEMM1 counters end at pair_split(split).num_tasks.
FLASHMOE_HOST_DEVICE inline bool gemm1_paired(const ColumnSplit& split, int group_tiles, bool pair_allowed) {
    return split_pairable(split, group_tiles, pair_allowed, 2 * TileConfig::kBlockN);  // wide pieces only
}
// GEMM1 in wide pieces (docs/perf-notes.md item 32): 2 x kBlockN columns of H per tile pass (one wgmma m64n128 over two
// 64-row boxes of W_down) instead of kBlockN, so each staged box of h serves twice the columns. Hopper tiles only
// (wide_allowed), and only while wide pieces alone still number kWideGemm1PiecesPerProcessor per processor, so decode
// keeps its many small tasks.
FLASHMOE_HOST_DEVICE inline bool gemm1_wide(int hidden, int num_row_tiles, int num_processors, bool wide_allowed) {
    const int wide_pieces = (hidden + 2 * TileConfig::kBlockN - 1) / (2 * TileConfig::kBlockN);
    return wide_allowed && num_row_tiles * wide_pieces >= TileConfig::kWideGemm1PiecesPerProcessor * num_processors;
}
// GEMM1 at decode (docs/perf-notes.md item 73): gemm0_narrow's rule over the columns of H. When one task per 64-column
// piece leaves half the processors without a GEMM1 task (paper shape T = 1: 2 row tiles x 32 pieces = 64 tasks of 32
// k-steps for 263 processors; Mixtral-8x7B T = 1: 128 tasks of 224), the pieces are kNarrowPieceColumns of H (one
// 32-row box of W_down), so twice as many processors stream W_down. Hopper tiles only (narrow_allowed). Never with
// wide pieces (they need 2 per processor).
FLASHMOE_HOST_DEVICE inline bool gemm1_narrow(int hidden, int num_row_tiles, int num_processors, bool narrow_allowed) {
    return gemm0_narrow(hidden, num_row_tiles, num_processors, narrow_allowed);
}
// The most 64-column pieces of H in one GEMM1 task, for K = `intermediate` (docs/perf-notes.md item 101): 8, or up to
// 16 where K is short, so that a task's pieces x K boxes reach kGemm1TaskKBoxes. Where the row tiles are many (large
// T) the cap sets the task length, and a task of few k-steps is mostly its fixed costs (claim, acquires, the ring's
// fill, the tile's count): Qwen3-30B-A3B (I = 768, 12 K boxes) takes 16 (T = 16384 -3.8 %), the paper's shape
// (I = 2048) keeps 8 (16 cost it +3.5 %: its tasks were long already, the phase's tail grew).
FLASHMOE_HOST_DEVICE constexpr int gemm1_max_pieces(int intermediate) {
    const int boxes = (intermediate + 63) / 64;  // WgmmaRing::k_boxes
    const int pieces = boxes > 0 ? TileConfig::kGemm1TaskKBoxes / boxes : TileConfig::kMaxGemm1Pieces;
    return pieces < TileConfig::kMaxGemm1Pieces       ? TileConfig::kMaxGemm1Pieces
           : pieces > 2 * TileConfig::kMaxGemm1Pieces ? 2 * TileConfig::kMaxGemm1Pieces
                                                      : pieces;
}
static_assert(gemm1_max_pieces(768) == 16 && gemm1_max_pieces(2048) == 8 && gemm1_max_pieces(1024) == 12,
              "item 101's rule");

// GEMM1's split at most `max_pieces` 64-column pieces a task (gemm1_max_pieces of the layer's I:
// KernelParams::gemm1_max_pieces).
FLASHMOE_HOST_DEVICE inline ColumnSplit gemm1_capped_split(int hidden, int num_row_tiles, int num_processors,
                                                           bool wide_allowed, int tasks_per_processor,
                                                           bool narrow_allowed, int max_pieces, bool even = false) {
    const bool wide = gemm1_wide(hidden, num_row_tiles, num_processors, wide_allowed);
    const bool narrow = !wide && gemm1_narrow(hidden, num_row_tiles, num_processors, narrow_allowed);
    return ColumnSplit::of(hidden, wide ? max_pieces / 2 : max_pieces, num_row_tiles,
                           num_processors,
                           wide     ? 2 * TileConfig::kBlockN
                           : narrow ? TileConfig::kNarrowPieceColumns
                                    : TileConfig::kBlockN,
                           tasks_per_processor, even);
}
// ... at kMaxGemm1Pieces.
FLASHMOE_HOST_DEVICE inline ColumnSplit gemm1_split(int hidden, int num_row_tiles, int num_processors,
                                                    bool wide_allowed = false,
                                                    int tasks_per_processor = TileConfig::kTasksPerProcessor,
                                                    bool narrow_allowed = false) {
    return gemm1_capped_split(hidden, num_row_tiles, num_processors, wide_allowed, tasks_per_processor, narrow_allowed,
                              TileConfig::kMaxGemm1Pieces);
}

// The rows between one route's GEMM1 parts in its row tile's output rows (GEMM1's part s stores a row tile's rows
// s * k_part_rows(parts) rows further on; the COMBINE reads them there).
FLASHMOE_HOST_DEVICE constexpr int k_part_rows(int k_parts) { return TileConfig::kBlockM / k_parts; }

// GEMM1 split along K at decode (docs/perf-notes.md item 78). A decode GEMM task's time is its k-steps (items 57, 73,
// 74: a k-step costs about the same whatever its bytes, so narrow pieces, twice the tasks of the same k-steps, did not
// shorten the phase): where a launch's 64-column GEMM1 pieces leave processors idle (paper shape T = 1: 2 row tiles x
// 32 pieces = 64 tasks of 32 k-steps for 263 processors; Mixtral-8x7B T = 1: 128 tasks of 224), each piece's K = I is
// cut into `parts` equal runs of K boxes, one task each, so the phase is `parts` times shorter chains on more
// processors. Part s of a row tile's rows lands s * k_part_rows(parts) rows into the tile's fp32 output rows, which a
// row tile of at most that many valid rows leaves free (a row tile holds at most the launch's T * k routes; a token
// may name an expert twice), and the COMBINE adds a route's parts in part order before weighting it (combine_parts):
// the result is deterministic, but not bitwise the unsplit one (fp32 sums in another order). Returns the most parts
// (a power of two, at most `max_parts`) such that T * k * parts <= kBlockM, the K boxes divide into parts of at least
// kMinGemm1PartBoxes, and the launch's row tiles x 64-column pieces x parts fit the processors; 1 when none does.
FLASHMOE_HOST_DEVICE inline int gemm1_k_parts(int64_t routes, int hidden, int intermediate, int num_row_tiles,
                                              int num_processors, int max_parts) {
    const int64_t pieces = (hidden + TileConfig::kBlockN - 1) / TileConfig::kBlockN;
    const int boxes = (intermediate + 63) / 64;  // WgmmaRing::k_boxes: K boxes of 64 elements
    for (int parts = max_parts; parts >= 2; parts /= 2) {
        if (routes <= k_part_rows(parts) && boxes % parts == 0 &&
            boxes / parts >= TileConfig::kMinGemm1PartBoxes && num_row_tiles * pieces * parts <= num_processors) {
            return parts;
        }
    }
    return 1;
}
// The most experts a launch of T tokens can route to, before the routing is known: min(E, T·k).
FLASHMOE_HOST_DEVICE inline int64_t reachable_experts(int64_t num_tokens, int top_k, int num_experts) {
    const int64_t routes = num_tokens * top_k;
    return routes < num_experts ? routes : num_experts;
}
// The K parts of a launch of T tokens, as the host computes them before the routing is known (a value in the launch's
// parameters, so that the kernel's actors compute nothing for it: computed on the device, the rule's code cost Qwen3
// T = 1 ~1.6 us where it takes no parts, item 78): gemm1_k_parts over the launch's bound of row tiles, min(E, T·k)
// (where parts can be taken, T·k <= 32, each non-empty expert's segment is one row tile). `max_parts` 1
// (FLASHMOE_GEMM1_K_PARTS=1): 1.
FLASHMOE_HOST_DEVICE inline int gemm1_launch_k_parts(int64_t num_tokens, int top_k, int num_experts, int hidden,
                                                     int intermediate, int num_processors, int max_parts) {
    return gemm1_k_parts(num_tokens * top_k, hidden, intermediate,
                         static_cast<int>(reachable_experts(num_tokens, top_k, num_experts)), num_processors, max_parts);
}
// GEMM1's split with `k_parts` (gemm1_k_parts) > 1: one task per (64-column piece, part); otherwise
// gemm1_capped_split's at `max_pieces`. NOTE: no defaults, so that no call of fewer arguments binds another overload.
FLASHMOE_HOST_DEVICE inline ColumnSplit gemm1_split(int hidden, int num_row_tiles, int num_processors,
                                                    bool wide_allowed, int tasks_per_processor, bool narrow_allowed,
                                                    int max_pieces, int k_parts, bool even) {
    if (k_parts <= 1) {
        return gemm1_capped_split(hidden, num_row_tiles, num_processors, wide_allowed, tasks_per_processor,
                                  narrow_allowed, max_pieces, even);
    }
    const int pieces = (hidden + TileConfig::kBlockN - 1) / TileConfig::kBlockN;
    return ColumnSplit{pieces * k_parts, pieces * k_parts, TileConfig::kBlockN, k_parts};
}

// What a bounded wait was waiting for when it expired.
enum class WaitWhat : int32_t {
    kNothing = 0,
    kRouting = 1,          // processor: the OS block's slot assignment
    kTask = 2,             // processor: the task behind its queue ticket
    kDispatch = 3,         // subscriber 1: dispatch of a row tile (-> GEMM0 tasks)
    kGemm0Done = 4,        // subscriber 2: all GEMM0 tiles of a row tile (-> GEMM1 tasks)
    kGemm1Done = 5,        // subscriber 3: all GEMM1 tiles of every row a token tile needs (-> COMBINE)
    kRingSpace = 6,        // subscriber: the scheduler did not drain its ring
    kReadyTask = 7,        // scheduler: no task became ready
    kBadRoute = 9,         // OS: a topk id outside [0, E) (the route is treated as dropped)
    kBadRouteWeight = 10,  // OS: a non-finite routing weight (the route is treated as dropped)
    kPeerDispatch = 11,    // expert parallelism, owner side: a source rank's tokens (tile `tile` of a pair)
    kPeerCombine = 12,     // expert parallelism, source side: an owner rank's expert outputs (tile of a pair)
    kTileLoad = 13,        // processor (wgmma tile): the TMA bytes of a ring stage (`tile` = the stage)
};

// Written by the first actor that gives up (host-mapped memory, read by the host after the stream completes).
struct ErrorRecord {
    uint32_t epoch;     // launch sequence number the record belongs to; 0 = never written. Written last.
    int32_t status;     // flashmoe_status (TIMEOUT or ROUTING)
    int32_t role;       // Role
    int32_t block;      // blockIdx.x
    int32_t warp;       // warp in the block
    int32_t what;       // WaitWhat
    int32_t expert;     // -1 when not applicable
    int32_t tile;       // row tile, token tile or processor index, per `what`; -1 when not applicable
    uint64_t observed;  // the flag / counter value last seen
    uint64_t expected;  // the value waited for
    uint64_t waited_ns;
    int32_t peer;       // expert parallelism: the rank waited for; -1 when not applicable
    int32_t padding;
};

// A TMA tensor map (CUtensorMap: 128 bytes, 128-byte aligned since CUDA 13), opaque here so that host-only code needs no driver
// header; the host encodes it with cuTensorMapEncodeTiled (fused_layer.cu).
struct alignas(128) TmaDescriptor {
    unsigned char bytes[128];
};

// The tensor maps of the wgmma tiles (processor/wgmma_tile.cuh): 2-D, K innermost, boxes of 64 rows x 64 elements,
// 128-byte swizzle. `enabled` = 0: the processors use the SM80 tiles (not Hopper, fp32, expert parallelism, or a map
// the driver refused). NOTE: a map added here belongs in processor/tasks.cuh prefetch_tma_maps too.
struct TmaMaps {
    TmaDescriptor tokens;  // workspace tokens [max_rows][H]: GEMM0's A
    TmaDescriptor hidden;  // workspace h [max_rows][I]: GEMM1's A
    TmaDescriptor w_gate;  // [E * I][H] (gated only)
    TmaDescriptor w_up;    // [E * I][H]
    TmaDescriptor w_down;  // [E * H][I]
    TmaDescriptor w_gate_narrow;  // as w_gate and w_up, boxes of kNarrowPieceColumns rows: GEMM0's narrow pieces
    TmaDescriptor w_up_narrow;
    TmaDescriptor w_down_narrow;  // as w_down, boxes of kNarrowPieceColumns rows: GEMM1's narrow pieces (gemm1_narrow)
    // As tokens and hidden, boxes of short_a_box_rows(i) rows: the A of row tiles with at most that many valid rows.
    TmaDescriptor tokens_short[TileConfig::kShortABoxes];
    TmaDescriptor hidden_short[TileConfig::kShortABoxes];
    int32_t enabled;
    int32_t narrow;        // 1: GEMM0 may take narrow pieces (gemm0_narrow); FLASHMOE_DISABLE_NARROW_GEMM0=1 sets 0
    int32_t short_a_rows;  // the largest short A box in use: 0 (none), 16 or 32; FLASHMOE_SHORT_A_BOX_ROWS sets it
    int32_t evict_first;   // 1: weights read by one row tile only stream with EVICT_FIRST; FLASHMOE_DISABLE_EVICT_FIRST=1
                           // sets 0
    int32_t wide_gemm1;    // 1: GEMM1 may take wide pieces (gemm1_wide); FLASHMOE_DISABLE_WIDE_GEMM1=1 sets 0
    int32_t pair_gemm0;    // 1: GEMM0 may run on paired row tiles (gemm0_paired); FLASHMOE_DISABLE_PAIR_GEMM0=1 sets 0
    int32_t pair_gemm1;    // 1: GEMM1 may run on paired row tiles (gemm1_paired); FLASHMOE_DISABLE_PAIR_GEMM1=1 sets 0
    int32_t pair_group_tasks;  // the fewest GEMM0 column tasks of a group that runs on pairs (group_paired): the
                               // processor count; FLASHMOE_PAIR_GEMM0_GROUP_TASKS sets it
    int32_t pair_group_rows;   // the fewest valid rows of a group that runs on pairs whatever its tasks (group_paired):
                               // TileConfig::kPairGroupRows; FLASHMOE_PAIR_GROUP_ROWS sets it
    int32_t swap_ab;           // 1: row tiles of at most 16 valid rows run swap-AB GEMM tasks (tasks.cuh swap_ab_task);
                               // FLASHMOE_DISABLE_SWAP_AB=1 sets 0
    int32_t early_weights;     // 1: a Hopper GEMM task of one row tile acquires its A rows after issuing its first
                               // weight boxes (tasks.cuh InputWait); FLASHMOE_DISABLE_EARLY_WEIGHTS=1 sets 0
    int32_t narrow_gemm1;      // 1: GEMM1 may take narrow pieces (gemm1_narrow); FLASHMOE_DISABLE_NARROW_GEMM1=1 sets 0
    TmaDescriptor tokens_pair;  // as tokens, boxes of 2 x kBlockM rows: GEMM0's A of a row tile pair
    TmaDescriptor hidden_pair;  // as hidden, boxes of 2 x kBlockM rows: GEMM1's A of a row tile pair
};

// KernelParams::early_gemm0's bits.
constexpr int32_t kEarlyGemm0 = 1;            // the launch's GEMM0 tasks run early (items 144, 146)
constexpr int32_t kEarlyGemm0QueueGemm1 = 2;  // ... and its GEMM1 tasks come from the queue (item 150: A/B runs)

// Everything one launch needs. Passed by value as a __grid_constant__ (the TMA maps must live in parameter space).
struct KernelParams {
    const void* x;             // [T][H]
    void* y;                   // [T][H]
    const int32_t* topk_ids;   // [T][k]
    const float* topk_weights; // [T][k]
    const void* w_gate;        // [E][I][H], gated only
    const void* w_up;          // [E][I][H]
    const void* w_down;        // [E][H][I]
    const void* b_gate;        // [E][I] or null
    const void* b_up;          // [E][I] or null
    const void* b_down;        // [E][H] or null
    int32_t* expert_counts;    // [E] or null: routes per expert before drops
    int32_t* dropped_routes;   // [1] or null
    int32_t num_tokens;
    int32_t hidden;            // H
    int32_t intermediate;      // I
    int32_t num_experts;       // E
    int32_t top_k;             // k
    int32_t capacity;          // routes an expert keeps (T * k when dropless)
    int32_t activation;        // flashmoe_activation
    int32_t gated;             // 1 = gated MLP
    int32_t allow_tf32;        // fp32 layers: 1 = TF32 tensor-core tiles, 0 = exact fp32 on CUDA cores
    int32_t num_processors;    // gridDim.x - 1
    int32_t withhold_task;     // debug fault injection: ordinal of the task the scheduler never issues; -1 = none
    int32_t group_tiles;       // most row tiles of one expert released together (os/subscriber.cuh); 1 = one at a
                               // time (expert parallelism always)
    int32_t routes_per_chunk;  // routes per chunk of the chunked slot assignment (os/routing.cuh routing_chunks)
    int32_t direct_gemm0;      // one GPU: 1 = GEMM0 tasks released with the slot assignment, their processors wait for
                               // the dispatch flags; 0 = released by the dispatch subscriber (gemm0_released_direct)
    int32_t token_dispatch;    // one GPU, direct_gemm0: 1 = the processors copy x's rows token by token (each read once,
                               // written to its k slots) and GEMM0 waits for every processor's dispatch, not for its
                               // tiles' flags (token_dispatch_launch, set by the host; docs/perf-notes.md item 108)
    int32_t combine_slice_columns;  // the narrowest column slice of a COMBINE task (combine_slices)
    int32_t tasks_per_processor;    // GEMM tasks per processor the column splits keep while they can (ColumnSplit)
    int32_t direct_combine;         // one GPU: 1 = COMBINE tasks released with the last GEMM1 batch, their processors
                                    // wait for the token tile; 0 = by the GEMM1 subscriber (combine_released_direct)
    int32_t direct_gemm1;           // one GPU: when GEMM1 tasks go out at the launch's start, their processors waiting
                                    // for GEMM0: 0 never, 1 when GEMM0 runs in one wave, 2 always (gemm1_released_direct)
    int32_t gemm1_k_parts;          // GEMM1's K parts in this launch (gemm1_launch_k_parts, set by the host): 1 = none
    int32_t gemm1_max_pieces;       // gemm1_max_pieces(intermediate), set by the host; 0 = TileConfig::kMaxGemm1Pieces
    int32_t gemm1_l2_prefetch;      // 1: swap-AB GEMM0 tasks prefetch their share of their expert's W_down into the L2
                                    // (gemm1_l2_prefetch_launch, set by the host; tasks.cuh prefetch_gemm1_share)
    int32_t decode_prefetch_steps;  // > 0: processor p prefetches that many loads of the weight boxes of GEMM0 queue
                                    // entry p (the launch's first wave) into the L2 before the slot assignment is out
                                    // (decode_prefetch_launch, set by the host; tasks.cuh prefetch_first_gemm0); 0 = off
    int32_t decode_prefetch_hold;   // 1: those prefetches wait until the OS block has counted the routes
                                    // (ControlBlock::routes_counted_epoch), so that they do not slow its count pass
                                    // (docs/perf-notes.md item 116); 0: they start at once
    int32_t early_gemm0;            // kEarlyGemm0: processor p < tiles x GEMM0 tasks per tile runs GEMM0 task p of
                                    // the launch (at most 32 routes) before the slot assignment is out, from the routes
                                    // it reads itself (early_gemm0_launch, set by the host; processor.cuh, tasks.cuh
                                    // decode_tiles; docs/perf-notes.md items 144, 146); with kEarlyGemm0QueueGemm1 the
                                    // GEMM1 tasks come from the queue's entries, not from the tickets (item 150's A/B
                                    // switch against item 145); 0 = every GEMM0 task from the queue
    int32_t even_split;             // 1: the GEMM column splits deal their pieces evenly (ColumnSplit::of's `even`;
                                    // even_split_launch, set by the host)
    int32_t compact_rows;           // 1: GEMM1 stores the expert rows in the layer's dtype, row stride H elements, and
                                    // the COMBINE reads them so (compact_rows_launch, set by the host; tasks.cuh
                                    // combine_compact); 0: fp32 rows
    uint64_t timeout_ns;       // base bound of every in-kernel wait
    uint64_t task_timeout_ns;  // bound of the waits inside a processor's GEMM task (its input acquires; its TMA stages,
                               // 1.5x for a deferred acquire's first): 2 x timeout_ns, or shorter for fault tests
                               // (FusedLayer::set_debug_task_timeout_ns: such a wait expires before the OS block's)
    WorkspaceLayout layout;
    ErrorRecord* error_record; // device view of host-mapped memory
    comm::EpParams ep;         // expert parallelism; ep.num_ranks == 0: one GPU, none of it is used
    TraceBuffer trace;         // in-kernel trace; trace.events == nullptr: off
    TmaMaps tma;               // Hopper tiles
};
static_assert(sizeof(KernelParams) <= 4096, "kernel parameters are limited to 4 KB");

// GEMM0's split of a launch: narrow pieces only where the processors run the Hopper tiles of a gated MLP.
FLASHMOE_HOST_DEVICE inline ColumnSplit gemm0_split(const KernelParams& params, int num_row_tiles) {
    return gemm0_split(params.intermediate, num_row_tiles, params.num_processors,
                       params.tma.enabled != 0 && params.tma.narrow != 0 && params.gated != 0,
                       params.tasks_per_processor, params.even_split != 0);
}

// Whether a launch's GEMM column splits deal their pieces evenly (KernelParams::even_split; ColumnSplit::of's `even`;
// docs/perf-notes.md items 110, 112): where the launch's routes fill two row tiles or more of every expert they can
// reach on average (T·k >= 2 kBlockM min(E, T·k)), the GEMM phases are bound by the tiles' k-loops and end on their
// longest tasks (Mixtral-8x7B T = 1024: 30 GEMM1 tasks a tile over 32 pieces of 224 k-steps, two of them twice the
// others, -3.4 % with 32; paper shape T = 4096 -1.9 %, gpt-oss-120b T = 4096 -4.4 %, Llama-4-Scout T = 4096 -3.9 %,
// DBRX T = 1024 -2.5 %: item 112). Where the tiles are partly filled (Qwen3-30B-A3B T = 64-1024) the phases stream
// weights, and the finer tasks cost +0.7-0.9 % (item 110).
FLASHMOE_HOST_DEVICE inline bool even_split_launch(int64_t num_tokens, int top_k, int num_experts) {
    const int64_t routes = num_tokens * top_k;
    return routes > 0 && routes >= 2 * TileConfig::kBlockM * reachable_experts(num_tokens, top_k, num_experts);
}

// Whether a launch dispatches token by token (KernelParams::token_dispatch; docs/perf-notes.md items 107-108): where
// x is larger than half the L2, the row tiles' copies in expert order re-read each token's row from DRAM for its k
// routes (item 107's probe: 537 MB of rows in 0.420 ms in expert order, 0.261 in token order at Qwen3 T = 16384).
// Token order completes no row tile before the end of the dispatch, so GEMM0 then waits for all of it: only where
// the dispatch is long anyway.
FLASHMOE_HOST_DEVICE inline bool token_dispatch_launch(int64_t num_tokens, int hidden, int element_bytes,
                                                       int64_t l2_bytes) {
    return num_tokens * hidden * element_bytes > l2_bytes / 2;
}

// Whether a launch of T tokens prefetches GEMM1's weights into the L2 during GEMM0 (docs/perf-notes.md item 88): at
// decode the GEMM0 phase streams its weights while GEMM1's wait for it, and GEMM1's tail after the last GEMM0 task
// streams at a fraction of the bandwidth. Only where the W_down of every expert the launch can reach, min(E, T·k)
// of them, fits half the L2 (`l2_bytes`), so that the prefetched lines stay there beside the GEMM0 stream (EVICT_FIRST)
// and what the launch reads again.
FLASHMOE_HOST_DEVICE inline bool gemm1_l2_prefetch_launch(int64_t num_tokens, int top_k, int num_experts, int hidden,
                                                          int intermediate, int element_bytes, int64_t l2_bytes) {
    return reachable_experts(num_tokens, top_k, num_experts) * hidden * intermediate * element_bytes <= l2_bytes / 2;
}

// Whether a launch prefetches its first wave of GEMM0 tasks' weight boxes into the L2 while the OS block assigns the
// slots (KernelParams::decode_prefetch_steps; docs/perf-notes.md item 114): at decode the DRAM idles for that wait (~5
// us of a ~55 us forward at Qwen3 T = 1) and the GEMM0 phase then streams its weights at the copy ceiling. Only in
// launches of one token and at most kDecodePrefetchMaxRoutes (8) routes, which a processor reads itself (a route a
// lane): each expert reached has one row tile there, so the first wave's tasks are known exactly (tasks.cuh
// prefetch_first_gemm0), where item 106's guess at T = 64-1024 (one tile per expert) was often wrong and its
// prefetches slowed the slot assignment. Measured: one token at k = 2-8 gains 2-7.5 % (Qwen3-30B, paper, Mixtral,
// gpt-oss-120b T = 1); Qwen3-30B T = 4 (32 routes, ~30 row tiles) read +1.2 % in one call and -0.1 % in another
// against the setting at 0, so launches of more than one token are left out until they are measured.
// Whether a launch runs its GEMM0 tasks before the slot assignment is out (KernelParams::early_gemm0; docs/perf-notes.md
// items 144, 146): at most 32 routes, which a warp reads itself (a route a lane; tasks.cuh decode_tiles). Every expert
// reached there has one row tile, in expert order, whose rows are its routes' tokens in route order, so each processor
// knows the GEMM0 tasks and their A rows without the OS block: at Qwen3 T = 1 the first GEMM0 task started ~12 us
// into a ~52 us forward, after the slot assignment (~6 us), the dispatch and the queue's hand-offs.
FLASHMOE_HOST_DEVICE inline bool early_gemm0_launch(int64_t num_tokens, int top_k) {
    return num_tokens >= 1 && num_tokens * top_k <= 32;
}
// The host's half of KernelParams::early_gemm0 beyond early_gemm0_launch: the GEMM0 tasks of the most row tiles the
// launch can have, min(T·k, E) (every route its own expert), fit in the processors, one task each. With fewer tiles
// they fit too; the device still checks the launch's own count (tasks.cuh early_gemm0_task). The arguments are
// gemm0_split's (narrow_allowed: the Hopper tiles' narrow pieces on a gated MLP).
FLASHMOE_HOST_DEVICE inline bool early_gemm0_fits(int64_t num_tokens, int top_k, int num_experts, int intermediate,
                                                  int num_processors, bool narrow_allowed,
                                                  int tasks_per_processor = TileConfig::kTasksPerProcessor,
                                                  bool even = false) {
    const int tiles = static_cast<int>(num_tokens * top_k < num_experts ? num_tokens * top_k : num_experts);
    return tiles * gemm0_split(intermediate, tiles, num_processors, narrow_allowed, tasks_per_processor, even)
                       .num_tasks <=
           num_processors;
}

static_assert(TileConfig::kDecodePrefetchMaxRoutes <= 32, "prefetch_first_gemm0 reads a route a lane of one warp");
FLASHMOE_HOST_DEVICE inline bool decode_prefetch_launch(int64_t num_tokens, int top_k) {
    return num_tokens == 1 && top_k <= TileConfig::kDecodePrefetchMaxRoutes;
}

// Whether a launch stores its expert rows in the layer's dtype (KernelParams::compact_rows; docs/perf-notes.md items 83,
// 90): GEMM1 rounds each route's row h·W_down^T + b_down to the dtype once, and the COMBINE reads half the bytes of fp32
// rows, widens them and accumulates y in fp32 as before. Where the COMBINE's bytes matter: launches of at least
// `min_routes` routes (T·k; KernelParams' host setting, FLASHMOE_COMPACT_ROWS_MIN_ROUTES), on the Hopper tiles (16-bit
// dtypes, one GPU: `hopper`), and never with GEMM1 K parts, whose partial rows the COMBINE adds in fp32
// (combine_parts). The rounding is one more than fp32 rows take (fused_test measures both against fp64).
FLASHMOE_HOST_DEVICE inline bool compact_rows_launch(int64_t num_tokens, int top_k, int64_t min_routes, bool hopper,
                                                     int k_parts) {
    return hopper && k_parts <= 1 && num_tokens * top_k >= min_routes;
}

// GEMM1's K parts in a launch (KernelParams::gemm1_k_parts, computed by the host: gemm1_launch_k_parts).
FLASHMOE_HOST_DEVICE inline int gemm1_k_parts(const KernelParams& params) {
    return params.gemm1_k_parts > 1 ? params.gemm1_k_parts : 1;
}

// GEMM1's split of a launch: K parts, wide and narrow pieces only where the processors run the Hopper tiles.
FLASHMOE_HOST_DEVICE inline ColumnSplit gemm1_split(const KernelParams& params, int num_row_tiles) {
    return gemm1_split(params.hidden, num_row_tiles, params.num_processors,
                       params.tma.enabled != 0 && params.tma.wide_gemm1 != 0, params.tasks_per_processor,
                       params.tma.enabled != 0 && params.tma.narrow_gemm1 != 0,
                       params.gemm1_max_pieces > 0 ? params.gemm1_max_pieces : TileConfig::kMaxGemm1Pieces,
                       gemm1_k_parts(params), params.even_split != 0);
}

// The most row tiles of one expert the GEMM subscribers release together (os/subscriber.cuh, recorded by
// os/routing.cuh): params.group_tiles, at least 1.
FLASHMOE_HOST_DEVICE inline int tile_group_size(const KernelParams& params) {
    return params.group_tiles > 1 ? params.group_tiles : 1;
}

// Whether GEMM0 may run on paired row tiles in this launch (gemm0_paired), given its split.
FLASHMOE_HOST_DEVICE inline bool gemm0_paired(const KernelParams& params, const ColumnSplit& split) {
    return gemm0_paired(split, tile_group_size(params),
                        params.tma.enabled != 0 && params.tma.pair_gemm0 != 0 && params.gated != 0);
}
// Whether GEMM1 may run on paired row tiles in this launch (gemm1_paired), given its split.
FLASHMOE_HOST_DEVICE inline bool gemm1_paired(const KernelParams& params, const ColumnSplit& split) {
    return gemm1_paired(split, tile_group_size(params), params.tma.enabled != 0 && params.tma.pair_gemm1 != 0);
}
// In a launch that may pair: whether a group of `tiles` row tiles, `gemm0_per_tile` GEMM0 column tasks each, runs on
// pairs (GEMM0's and GEMM1's alike: one measure of the group's size): two tiles or more, and `min_group_tasks` column
// tasks or more (TmaMaps::pair_group_tasks) or `min_group_rows` valid rows or more (TmaMaps::pair_group_rows). Only
// an expert's last group has a ragged last tile: `last_tile_rows()` gives its valid rows, and is called only where
// they decide (the scheduler loads them; with the default thresholds, groups of two tiles).
template <typename LastTileRows>
FLASHMOE_HOST_DEVICE inline bool group_paired(int tiles, int gemm0_per_tile, int min_group_tasks, int min_group_rows,
                                              LastTileRows last_tile_rows) {
    if (tiles < 2) return false;
    if (tiles * gemm0_per_tile >= min_group_tasks) return true;
    const int full_rows = (tiles - 1) * TileConfig::kBlockM;
    return full_rows >= min_group_rows || full_rows + last_tile_rows() >= min_group_rows;
}

FLASHMOE_HOST_DEVICE inline int num_token_tiles(int num_tokens) {
    return (num_tokens + TileConfig::kTokensPerCombine - 1) / TileConfig::kTokensPerCombine;
}

// COMBINE tasks per token tile (docs/perf-notes.md item 46): its columns cut into equal slices, as many as keep the
// launch's COMBINE tasks at most the processor count, each at least `slice_columns` wide. A token tile's COMBINE is a
// few dependent passes of loads over its rows: in one task per tile, a launch of few tokens ended on a tail of few
// long tasks (T = 8: two of 15 us) while the other processors had left. 1 where token tiles alone fill the processors.
FLASHMOE_HOST_DEVICE inline int combine_slices(int num_tokens, int hidden, int num_processors, int slice_columns) {
    const int most = hidden / slice_columns;
    const int wanted = num_processors / num_token_tiles(num_tokens);
    const int slices = wanted < most ? wanted : most;
    return slices > 1 ? slices : 1;
}
FLASHMOE_HOST_DEVICE inline int combine_slices(const KernelParams& params) {
    return combine_slices(params.num_tokens, params.hidden, params.num_processors, params.combine_slice_columns);
}
// The first `columns`-column vector (float4 columns by default; compact rows' COMBINE takes 8: 16 bytes of a 16-bit
// dtype) of slice `slice` of a row of `hidden` columns cut into `slices` (slice `slices`: the row's end). Every slice
// holds at least one 8-column vector: slices <= hidden / combine_slice_columns, which is at least 8 (fused_layer.cu).
// NOTE: 32-bit, as ColumnSplit: hidden <= 2^20 (fused_layer.cu) and slices <= the processors <= 1024.
FLASHMOE_HOST_DEVICE inline int combine_slice_begin(int hidden, int slices, int slice, int columns = 4) {
    return static_cast<int>(static_cast<uint32_t>(slice) * static_cast<uint32_t>(hidden / columns) /
                            static_cast<uint32_t>(slices));
}

// The token tile (COMBINE task) of route r = t·k + j.
FLASHMOE_HOST_DEVICE inline int token_tile_of_route(const KernelParams& params, int route) {
    return route / params.top_k / TileConfig::kTokensPerCombine;
}

// The routes [begin, end) of a token tile: kTokensPerCombine tokens' k routes each (the last tile may be shorter).
FLASHMOE_HOST_DEVICE inline void token_tile_routes(const KernelParams& params, int token_tile, int& begin, int& end) {
    const int token_end = (token_tile + 1) * TileConfig::kTokensPerCombine;
    begin = token_tile * TileConfig::kTokensPerCombine * params.top_k;
    end = (token_end < params.num_tokens ? token_end : params.num_tokens) * params.top_k;
}

// Every task of a launch: each row tile's GEMM0 and GEMM1 column tasks and combine_slices COMBINE tasks per token
// tile. The scheduler releases exactly this many into the queue; a processor whose ticket is at or past the count
// leaves.
FLASHMOE_HOST_DEVICE inline int total_tasks(const KernelParams& params, int num_row_tiles) {
    const int gemm0 = gemm0_split(params, num_row_tiles).num_tasks;
    const int gemm1 = gemm1_split(params, num_row_tiles).num_tasks;
    return num_row_tiles * (gemm0 + gemm1) + num_token_tiles(params.num_tokens) * combine_slices(params);
}

}  // namespace flashmoe::fused
