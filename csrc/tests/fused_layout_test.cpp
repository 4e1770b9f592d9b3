// Host-only test (no GPU, no CUDA headers) of the fused workspace layout: sections aligned and disjoint, and the
// row-tile bound holding for random per-expert counts, including capacity-clipped ones; the GEMM column splits and
// the pairing rule.
// Build: g++ -std=c++17 -Icsrc/include csrc/tests/fused_layout_test.cpp -o fused_layout_test
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>
#include <utility>
#include <vector>

#include "flashmoe/fused/types.cuh"
#include "flashmoe/layout/workspace_layout.cuh"

#include "expect.h"

using flashmoe::fused::WorkspaceLayout;


// The queue holds every task of any launch: the finest split of every row tile, every token tile's COMBINE slices
// (combine_slices) at any batch size and slice width. Returns the number of (row tiles, processors, ...) checked.
int check_queue(const WorkspaceLayout& layout, int64_t hidden, int64_t intermediate, int64_t max_tokens) {
    int checked = 0;
    for (int64_t row_tiles : {int64_t{1}, int64_t{2}, (layout.max_row_tiles + 1) / 2, layout.max_row_tiles})
        for (int processors : {1, 131, 132, 263, flashmoe::fused::TileConfig::kMaxProcessors})
            for (bool narrow_allowed : {false, true})
                for (int64_t tokens : {int64_t{1}, (max_tokens + 1) / 2, max_tokens})
                    for (int slice_columns : {8, 256, 65536})
                        for (bool even : {false, true}) {
                        if (row_tiles > layout.max_row_tiles) continue;
                        const auto g0 = flashmoe::fused::gemm0_split(int(intermediate), int(row_tiles), processors,
                                                                     narrow_allowed,
                                                                     flashmoe::fused::TileConfig::kTasksPerProcessor,
                                                                     even);
                        // K parts (item 78) where the Hopper tiles run, at the fewest routes (k = 1): the most parts.
                        const int k_parts = flashmoe::fused::gemm1_k_parts(
                            tokens, int(hidden), int(intermediate), int(row_tiles), processors,
                            narrow_allowed ? flashmoe::fused::TileConfig::kMaxGemm1KParts : 1);
                        const auto g1 = flashmoe::fused::gemm1_split(int(hidden), int(row_tiles), processors,
                                                                     narrow_allowed,
                                                                     flashmoe::fused::TileConfig::kTasksPerProcessor,
                                                                     narrow_allowed,
                                                                     flashmoe::fused::TileConfig::kMaxGemm1Pieces,
                                                                     k_parts, even);
                        const int64_t combines = int64_t{flashmoe::fused::num_token_tiles(int(tokens))} *
                                                 flashmoe::fused::combine_slices(int(tokens), int(hidden), processors,
                                                                                 slice_columns);
                        const int64_t tasks = row_tiles * (g0.num_tasks + g1.num_tasks) + combines;
                        ++checked;
                        EXPECT(tasks <= layout.max_tasks, "H %lld I %lld T %lld, %lld tiles, %d processors: %lld "
                               "tasks > queue %lld", (long long)hidden, (long long)intermediate, (long long)max_tokens,
                               (long long)row_tiles, processors, (long long)tasks, (long long)layout.max_tasks);
                    }
    return checked;
}

int main() {
    std::mt19937_64 rng(7);
    const int64_t block_m = 64;
    int layouts = 0, bounds = 0, queues = 0;
    for (int64_t max_tokens : {1, 17, 1000, 4096})
        for (int64_t k : {1, 2, 8})
            for (int64_t experts : {8, 64, 128, 1024})
                for (int64_t element_bytes : {2, 4}) {
                    if (k > experts) continue;
                    const int64_t hidden = 200, intermediate = 136;
                    const WorkspaceLayout layout(max_tokens, k, experts, hidden, intermediate, element_bytes, block_m);
                    ++layouts;
                    // (offset, bytes) of each section, in order.
                    const std::vector<std::pair<size_t, size_t>> sections = {
                        {layout.control_offset, sizeof(flashmoe::fused::ControlBlock)},
                        {layout.dispatch_flag_offset, 4 * layout.max_row_tiles},
                        {layout.gemm0_count_offset, 8 * layout.max_row_tiles},
                        {layout.gemm1_count_offset, 8 * layout.max_row_tiles},
                        {layout.token_done_offset, 8 * size_t((max_tokens + 3) / 4)},
                        {layout.task_queue_offset, 16 * size_t(layout.max_tasks)},
                        {layout.route_row_offset, 4 * layout.max_routes},
                        {layout.row_route_offset, 4 * layout.max_rows},
                        {layout.tile_expert_offset, 4 * layout.max_row_tiles},
                        {layout.tile_rows_offset, 4 * layout.max_row_tiles},
                        {layout.tile_group_end_offset, 4 * layout.max_row_tiles},
                        {layout.routing_counts_offset, 4 * size_t(WorkspaceLayout::kMaxRoutingChunks) * experts},
                        {layout.routing_bases_offset, 4 * size_t(WorkspaceLayout::kMaxRoutingChunks) * experts},
                        {layout.routing_offsets_offset, 4 * size_t(experts)},
                        {layout.tokens_offset, size_t(element_bytes) * layout.max_rows * hidden},
                        {layout.hidden_offset, size_t(element_bytes) * layout.max_rows * intermediate},
                        {layout.expert_out_offset, 4 * layout.max_rows * hidden}};
                    for (size_t i = 0; i < sections.size(); ++i) {
                        EXPECT(sections[i].first % WorkspaceLayout::kAlignment == 0, "section %zu unaligned", i);
                        const size_t end = sections[i].first + sections[i].second;
                        const size_t next = i + 1 < sections.size() ? sections[i + 1].first : layout.total_bytes;
                        EXPECT(end <= next, "section %zu overlaps the next (T=%lld k=%lld E=%lld)", i,
                               (long long)max_tokens, (long long)k, (long long)experts);
                    }
                    EXPECT(layout.sync_bytes == layout.task_queue_offset, "sync sections end where the task queue starts");
                    queues += check_queue(layout, hidden, intermediate, max_tokens);
                    EXPECT(layout.max_rows == layout.max_row_tiles * block_m, "rows are whole tiles");
                    // The bound: any split of at most R routes over E experts, each padded to block_m, fits.
                    for (int trial = 0; trial < 200; ++trial) {
                        const int64_t routes = std::uniform_int_distribution<int64_t>(1, layout.max_routes)(rng);
                        const int64_t capacity = trial % 2 ? routes
                                                           : std::uniform_int_distribution<int64_t>(1, routes)(rng);
                        std::vector<int64_t> counts(experts, 0);
                        const int64_t hot = std::uniform_int_distribution<int64_t>(1, experts)(rng);
                        for (int64_t r = 0; r < routes; ++r)
                            ++counts[std::uniform_int_distribution<int64_t>(0, hot - 1)(rng)];
                        int64_t tiles = 0;
                        for (int64_t c : counts) tiles += (std::min(c, capacity) + block_m - 1) / block_m;
                        EXPECT(tiles <= layout.max_row_tiles, "%lld tiles > bound %lld", (long long)tiles,
                               (long long)layout.max_row_tiles);
                        ++bounds;
                    }
                }
    // The queue's bound at real model shapes (issue 4: "other real model shapes"; (H, I, E, k) of the benchmark's
    // presets and of gpt-oss-120b, Llama-4-Scout, Qwen3-Coder-480B, Kimi-K2), batches up to 16384 tokens.
    struct RealShape { int64_t hidden, intermediate, experts, k; };
    const RealShape real_shapes[] = {
        {2048, 768, 128, 8}, {2048, 2048, 64, 2}, {4096, 14336, 8, 2}, {7168, 2048, 256, 8}, {6144, 10752, 16, 4},
        {6144, 16384, 8, 2}, {2048, 1024, 64, 8}, {2048, 1408, 60, 4}, {4096, 1536, 128, 8}, {2880, 2880, 128, 4},
        {5120, 8192, 16, 1}, {6144, 2560, 160, 8}, {7168, 2048, 384, 8}};
    for (const RealShape& s : real_shapes)
        for (int64_t max_tokens : {1, 8, 1000, 16384}) {
            const WorkspaceLayout layout(max_tokens, s.k, s.experts, s.hidden, s.intermediate, 2, block_m);
            ++layouts;
            queues += check_queue(layout, s.hidden, s.intermediate, max_tokens);
        }
    // Column splits of GEMM tasks: every piece in exactly one task, in order, no task empty or over the cap, and at
    // least kTasksPerProcessor tasks per processor whenever the pieces allow it. Even splits (item 112) also: no more
    // tasks than the pieces' count, no task longer than floor(pieces / the uneven split's tasks) unless that would
    // unpair a pairable split (then the uneven split itself), and the uneven split kept wherever its tasks divide the
    // pieces.
    int splits = 0;
    for (int columns : {8, 64, 136, 200, 768, 904, 1416, 2048, 4096, 14336})
        for (int max_pieces : {flashmoe::fused::TileConfig::kMaxGemm0Pieces, flashmoe::fused::TileConfig::kMaxGemm1Pieces})
            for (int row_tiles : {0, 1, 8, 36, 127, 183, 579, 5000})
                for (int processors : {1, 131, 263})
                    for (bool even : {false, true}) {
                    const auto split = flashmoe::fused::ColumnSplit::of(columns, max_pieces, row_tiles, processors,
                                                                        64, flashmoe::fused::TileConfig::kTasksPerProcessor,
                                                                        even);
                    ++splits;
                    EXPECT(split.num_pieces == (columns + 63) / 64, "pieces of %d columns", columns);
                    EXPECT(split.num_tasks >= 1 && split.num_tasks <= split.num_pieces, "tasks %d", split.num_tasks);
                    EXPECT(split.piece_begin(0) == 0 && split.piece_end(split.num_tasks - 1) == split.num_pieces,
                           "split covers the pieces");
                    int longest = 0;
                    for (int t = 0; t < split.num_tasks; ++t) {
                        const int pieces = split.piece_end(t) - split.piece_begin(t);
                        EXPECT(pieces >= 1 && pieces <= max_pieces, "task %d has %d pieces", t, pieces);
                        longest = std::max(longest, pieces);
                    }
                    const int64_t wanted = int64_t(flashmoe::fused::TileConfig::kTasksPerProcessor) * processors;
                    if (row_tiles > 0 && int64_t(row_tiles) * split.num_pieces >= wanted)
                        EXPECT(int64_t(row_tiles) * split.num_tasks >= wanted, "too coarse: %d x %d tasks", row_tiles,
                               split.num_tasks);
                    if (even) {
                        const auto uneven = flashmoe::fused::ColumnSplit::of(columns, max_pieces, row_tiles, processors);
                        const int pieces = split.num_pieces;
                        const bool pairable = pieces >= 2 * uneven.num_tasks;
                        EXPECT(split.num_tasks >= uneven.num_tasks, "even: %d tasks, fewer than %d", split.num_tasks,
                               uneven.num_tasks);
                        if (pieces % uneven.num_tasks == 0)
                            EXPECT(split.num_tasks == uneven.num_tasks, "even: %d tasks where %d divide %d pieces",
                                   split.num_tasks, uneven.num_tasks, pieces);
                        if (pairable)
                            EXPECT(pieces >= 2 * split.num_tasks, "even unpaired %d pieces: %d tasks", pieces,
                                   split.num_tasks);
                        // A task longer than floor(pieces / uneven tasks) only where the even count,
                        // ceil(pieces / that floor), would have unpaired a pairable split.
                        const int most = pieces / uneven.num_tasks;
                        const int evened = (pieces + most - 1) / most;
                        if (longest > most)
                            EXPECT(pairable && pieces < 2 * evened && split.num_tasks == uneven.num_tasks,
                                   "even: %d tasks of %d pieces, one of %d", split.num_tasks, pieces, longest);
                    }
                    }
    // GEMM1's piece width (docs/perf-notes.md items 32, 73): narrow (32 columns) exactly when 64-column pieces number at
    // most half the processors over the launch's row tiles, wide (128) when 128-column ones number at least 2 per
    // processor, never both; a narrow launch's GEMM1 tasks fit the processors (the task queue's bound counts on it).
    int gemm1_rules = 0;
    for (int hidden : {64, 200, 1000, 2048, 4096, 7168})
        for (int row_tiles : {1, 2, 3, 8, 64, 5000})
            for (int processors : {1, 131, 263, 1024})
                for (bool allowed : {false, true}) {
                    ++gemm1_rules;
                    const auto split = flashmoe::fused::gemm1_split(hidden, row_tiles, processors, allowed,
                                                                    flashmoe::fused::TileConfig::kTasksPerProcessor,
                                                                    allowed);
                    const int64_t pieces64 = (hidden + 63) / 64;
                    const int64_t pieces128 = (hidden + 127) / 128;
                    const bool wide = allowed && int64_t(row_tiles) * pieces128 >=
                                                     int64_t(flashmoe::fused::TileConfig::kWideGemm1PiecesPerProcessor) *
                                                         processors;
                    const bool narrow = allowed && !wide && 2 * int64_t(row_tiles) * pieces64 <= processors;
                    const int expected = wide ? 128 : narrow ? 32 : 64;
                    EXPECT(split.piece_columns == expected, "H %d, %d tiles, %d processors: pieces of %d, not %d",
                           hidden, row_tiles, processors, split.piece_columns, expected);
                    EXPECT(split.num_pieces == (hidden + expected - 1) / expected, "pieces of H %d", hidden);
                    if (narrow)
                        EXPECT(int64_t(row_tiles) * split.num_tasks <= processors, "narrow: %d x %d tasks > %d",
                               row_tiles, split.num_tasks, processors);
                }
    // GEMM1's K parts (gemm1_k_parts, docs/perf-notes.md item 78): the most parts, a power of two up to the setting's,
    // such that every part's rows fit the row tile's (routes x parts <= 64), the K boxes divide into parts of at least
    // kMinGemm1PartBoxes, and the launch's tasks (row tiles x 64-column pieces x parts) fit the processors; the split
    // then runs one (piece, part) per task.
    int k_part_rules = 0;
    constexpr int kMaxParts = flashmoe::fused::TileConfig::kMaxGemm1KParts;
    constexpr int kMinBoxes = flashmoe::fused::TileConfig::kMinGemm1PartBoxes;
    const auto parts_fit = [&](int64_t routes, int hidden, int intermediate, int row_tiles, int processors, int parts) {
        const int64_t boxes = (intermediate + 63) / 64;
        return routes * parts <= flashmoe::fused::TileConfig::kBlockM && boxes % parts == 0 && boxes / parts >= kMinBoxes &&
               int64_t(row_tiles) * ((hidden + 63) / 64) * parts <= processors;
    };
    for (int64_t routes : {1, 2, 8, 16, 17, 32, 33, 64, 65, 4096})
        for (int hidden : {64, 1000, 2048, 4096})
            for (int intermediate : {64, 200, 256, 768, 2048, 14336})
                for (int row_tiles : {1, 2, 8, 64})
                    for (int processors : {1, 131, 263, 1024})
                        for (int max_parts : {1, 2, 4}) {
                            ++k_part_rules;
                            const int parts = flashmoe::fused::gemm1_k_parts(routes, hidden, intermediate, row_tiles,
                                                                             processors, max_parts);
                            EXPECT(parts == 1 || parts == 2 || parts == 4, "parts %d", parts);
                            EXPECT(parts <= max_parts, "parts %d > the setting's %d", parts, max_parts);
                            if (parts > 1)
                                EXPECT(parts_fit(routes, hidden, intermediate, row_tiles, processors, parts),
                                       "%lld routes, H %d, I %d, %d tiles, %d processors: %d parts do not fit",
                                       (long long)routes, hidden, intermediate, row_tiles, processors, parts);
                            for (int more = 2 * parts; more <= max_parts; more *= 2)
                                EXPECT(!parts_fit(routes, hidden, intermediate, row_tiles, processors, more),
                                       "%lld routes, H %d, I %d, %d tiles, %d processors: %d parts fit, %d chosen",
                                       (long long)routes, hidden, intermediate, row_tiles, processors, more, parts);
                            const auto split = flashmoe::fused::gemm1_split(
                                hidden, row_tiles, processors, true, flashmoe::fused::TileConfig::kTasksPerProcessor,
                                true, flashmoe::fused::TileConfig::kMaxGemm1Pieces, parts, false);
                            EXPECT(split.k_parts == parts, "the split's parts");
                            if (parts > 1) {
                                EXPECT(split.piece_columns == 64 && split.num_pieces == (hidden + 63) / 64 * parts &&
                                           split.num_tasks == split.num_pieces,
                                       "K parts: one 64-column piece's part per task");
                                EXPECT(int64_t(row_tiles) * split.num_tasks <= processors, "K parts fit the processors");
                            }
                        }
    EXPECT(kMaxParts == 4, "the setting's choices (fused_layer.cu) end at kMaxGemm1KParts");
    // The points it is for: paper shape T = 1 (2 routes, 2 tiles of 32 pieces, K 2048) 4 parts; Mixtral-8x7B T = 1 (2
    // tiles of 64 pieces, K 14336) 2; Qwen3-30B T = 1 (8 tiles of 32 pieces) none; paper T = 8 (up to 16 tiles) none.
    EXPECT(flashmoe::fused::gemm1_k_parts(2, 2048, 2048, 2, 263, kMaxParts) == 4, "paper T = 1: 4 parts");
    EXPECT(flashmoe::fused::gemm1_k_parts(2, 4096, 14336, 2, 263, kMaxParts) == 2, "Mixtral T = 1: 2 parts");
    EXPECT(flashmoe::fused::gemm1_k_parts(8, 2048, 768, 8, 263, kMaxParts) == 1, "Qwen3 T = 1: not split");
    EXPECT(flashmoe::fused::gemm1_k_parts(16, 2048, 2048, 16, 263, kMaxParts) == 1, "paper T = 8: not split");
    // Item 101: where the row tiles are many, a GEMM1 task takes up to gemm1_max_pieces(I) 64-column pieces: 16 at
    // Qwen3's I = 768 (Qwen3 T = 16384: ~2200 tiles, 2 tasks of 8 wide pieces a tile), 8 at the paper's I = 2048 (4 of
    // 4); the 6-argument split keeps 8; every cap leaves decode's splits alone (there the tasks per processor bind).
    {
        namespace f = flashmoe::fused;
        constexpr int kTpp = f::TileConfig::kTasksPerProcessor;
        EXPECT(f::gemm1_max_pieces(768) == 16 && f::gemm1_max_pieces(1024) == 12 && f::gemm1_max_pieces(2048) == 8 &&
                   f::gemm1_max_pieces(14336) == 8 && f::gemm1_max_pieces(64) == 16,
               "gemm1_max_pieces");
        const f::ColumnSplit qwen3 = f::gemm1_capped_split(2048, 2200, 263, true, kTpp, true, f::gemm1_max_pieces(768));
        EXPECT(qwen3.piece_columns == 128 && qwen3.num_pieces == 16 && qwen3.num_tasks == 2, "Qwen3 T = 16384: %d tasks",
               qwen3.num_tasks);
        const f::ColumnSplit paper = f::gemm1_capped_split(2048, 2200, 263, true, kTpp, true, f::gemm1_max_pieces(2048));
        EXPECT(paper.num_tasks == 4, "paper-like I: %d tasks", paper.num_tasks);
        EXPECT(f::gemm1_split(2048, 2200, 263, true, kTpp, true).num_tasks == 4, "the 6-argument split's cap is 8");
        EXPECT(f::gemm1_split(2048, 2200, 263, true, kTpp, true, 16, 1, false).num_tasks == 2, "K-parts form, 1 part, cap 16");
        // Item 112: Mixtral-8x7B T = 1024 (~36 row tiles, 32 wide pieces of H, cap 8): 30 GEMM1 tasks a tile uneven
        // (two of two pieces), 32 of one piece even; the paper shape T = 4096 (~130 tiles, 32 GEMM0 pieces, 9 asked):
        // 11 tasks of at most 3 pieces, still pairable (32 >= 22).
        const f::ColumnSplit mixtral = f::gemm1_capped_split(4096, 36, 263, true, kTpp, true, 8);
        const f::ColumnSplit mixtral_even = f::gemm1_capped_split(4096, 36, 263, true, kTpp, true, 8, true);
        EXPECT(mixtral.piece_columns == 128 && mixtral.num_pieces == 32 && mixtral.num_tasks == 30 &&
                   mixtral_even.num_tasks == 32,
               "Mixtral T = 1024: %d / %d tasks", mixtral.num_tasks, mixtral_even.num_tasks);
        const f::ColumnSplit paper0 = f::gemm0_split(2048, 130, 263, true, kTpp, true);
        EXPECT(paper0.num_pieces == 32 && paper0.num_tasks == 11 && f::gemm0_paired(paper0, 16, true),
               "paper T = 4096 GEMM0 even: %d tasks", paper0.num_tasks);
        // ... and a pairable split kept where even would unpair it: 13 pieces, 6 tasks asked -> 7 of at most 2, 13 < 14.
        const f::ColumnSplit kept = f::ColumnSplit::of(13 * 64, 4, 1, 1, 64, 6, true);
        EXPECT(kept.num_tasks == 6, "even must not unpair: %d tasks", kept.num_tasks);
        // The launch rule: two row tiles of routes per reachable expert.
        EXPECT(f::even_split_launch(1024, 2, 8) && f::even_split_launch(4096, 2, 64) && f::even_split_launch(4096, 8, 128) &&
                   !f::even_split_launch(1024, 8, 128) && !f::even_split_launch(1024, 2, 64) &&
                   !f::even_split_launch(1, 8, 128) && !f::even_split_launch(0, 8, 128) && f::even_split_launch(128, 1, 1),
               "even_split_launch");
        for (int row_tiles : {1, 8, 64})
            EXPECT(f::gemm1_capped_split(2048, row_tiles, 263, true, kTpp, true, 16).num_tasks ==
                       f::gemm1_split(2048, row_tiles, 263, true, kTpp, true).num_tasks,
                   "decode (%d tiles): the cap does not bind", row_tiles);
    }
    // Item 108: token-major dispatch where x is more than half the L2 (an H100's 50 MB): Qwen3 T = 16384 (67 MB) and
    // Mixtral T = 8192 (67 MB), not Qwen3 T = 4096 (17 MB) or Mixtral T = 1024.
    {
        constexpr int64_t kL2 = 50 * 1024 * 1024;
        namespace f = flashmoe::fused;
        EXPECT(f::token_dispatch_launch(16384, 2048, 2, kL2) && !f::token_dispatch_launch(4096, 2048, 2, kL2) &&
                   f::token_dispatch_launch(8192, 4096, 2, kL2) && !f::token_dispatch_launch(1024, 4096, 2, kL2) &&
                   !f::token_dispatch_launch(1, 2048, 2, kL2),
               "token_dispatch_launch");
    }
    EXPECT(flashmoe::fused::gemm1_k_parts(2, 2048, 2048, 2, 263, 1) == 1, "FLASHMOE_GEMM1_K_PARTS=1: not split");
    // The host's launch value (gemm1_launch_k_parts): the rule over min(E, T·k) row tiles, which bounds a launch's
    // tiles wherever parts are taken (T·k <= 32 routes: one tile per non-empty expert), so its tasks fit the processors.
    for (int64_t tokens : {1, 2, 4, 8, 16, 33})
        for (int k : {1, 2, 8})
            for (int experts : {1, 8, 64, 256}) {
                if (k > experts) continue;
                const int64_t routes = tokens * k;
                const int64_t tiles = std::min<int64_t>(routes, experts);
                const int parts = flashmoe::fused::gemm1_launch_k_parts(tokens, k, experts, 2048, 2048, 263, kMaxParts);
                EXPECT(parts == flashmoe::fused::gemm1_k_parts(routes, 2048, 2048, int(tiles), 263, kMaxParts),
                       "launch parts at T %lld k %d E %d", (long long)tokens, k, experts);
                if (parts > 1)
                    EXPECT(routes <= flashmoe::fused::TileConfig::kBlockM / 2 && tiles * 32 * parts <= 263,
                           "launch parts at T %lld k %d E %d: %d", (long long)tokens, k, experts, parts);
            }
    EXPECT(flashmoe::fused::gemm1_launch_k_parts(1, 2, 64, 2048, 2048, 263, kMaxParts) == 4 &&
               flashmoe::fused::gemm1_launch_k_parts(1, 2, 8, 4096, 14336, 263, kMaxParts) == 2 &&
               flashmoe::fused::gemm1_launch_k_parts(1, 8, 128, 2048, 768, 263, kMaxParts) == 1,
           "launch parts: paper T = 1 4, Mixtral T = 1 2, Qwen3 T = 1 1");
    // Which launches prefetch GEMM1's weights into the L2 (gemm1_l2_prefetch_launch, docs/perf-notes.md item 88): the
    // W_down of min(E, T·k) experts within half the L2 (the H100's and H200's 50 MiB). Qwen3-30B T = 1 (8 x 3 MiB =
    // 24 MiB) and paper T = 1 (2 x 8 MiB) take it; Qwen3-30B T = 8 (64 experts), Mixtral and Qwen3-235B T = 1 do
    // not; the bound is inclusive; T·k past E counts E experts; no overflow at the largest shapes.
    constexpr int64_t kL2 = 50 << 20;
    EXPECT(flashmoe::fused::gemm1_l2_prefetch_launch(1, 8, 128, 2048, 768, 2, kL2) &&
               flashmoe::fused::gemm1_l2_prefetch_launch(1, 2, 64, 2048, 2048, 2, kL2),
           "Qwen3-30B and paper T = 1 prefetch");
    EXPECT(!flashmoe::fused::gemm1_l2_prefetch_launch(8, 8, 128, 2048, 768, 2, kL2) &&
               !flashmoe::fused::gemm1_l2_prefetch_launch(1, 2, 8, 4096, 14336, 2, kL2) &&
               !flashmoe::fused::gemm1_l2_prefetch_launch(1, 8, 128, 4096, 1536, 2, kL2),
           "Qwen3-30B T = 8, Mixtral and Qwen3-235B T = 1 do not");
    EXPECT(flashmoe::fused::gemm1_l2_prefetch_launch(1, 1, 8, 1024, 1024, 2, 4 << 20) &&
               !flashmoe::fused::gemm1_l2_prefetch_launch(1, 1, 8, 1024, 1025, 2, 4 << 20),
           "the bound is half the L2, inclusive");
    EXPECT(flashmoe::fused::gemm1_l2_prefetch_launch(1000, 8, 2, 1024, 1024, 2, 8 << 20) &&
               !flashmoe::fused::gemm1_l2_prefetch_launch(1 << 20, 8, 512, 7168, 18432, 2, kL2),
           "T·k past E counts E experts; no overflow");
    // Which launches prefetch their first GEMM0 tasks' weights during the slot assignment (decode_prefetch_launch,
    // docs/perf-notes.md item 114): one token at k <= 8, inclusive (Qwen3-30B, paper, Mixtral, gpt-oss-120b T = 1, the
    // points measured); not two tokens or more, even of few routes (paper T = 2-4 unmeasured, Qwen3-30B T = 4 read +1.2 %
    // in one call), not k = 16; no overflow at the largest T.
    EXPECT(flashmoe::fused::decode_prefetch_launch(1, 8) && flashmoe::fused::decode_prefetch_launch(1, 2) &&
               flashmoe::fused::decode_prefetch_launch(1, 4) && flashmoe::fused::decode_prefetch_launch(1, 1),
           "decode_prefetch_launch: one token, k <= 8");
    EXPECT(!flashmoe::fused::decode_prefetch_launch(2, 8) && !flashmoe::fused::decode_prefetch_launch(4, 8) &&
               !flashmoe::fused::decode_prefetch_launch(2, 2) && !flashmoe::fused::decode_prefetch_launch(8, 1) &&
               !flashmoe::fused::decode_prefetch_launch(1, 16) && !flashmoe::fused::decode_prefetch_launch(0, 8) &&
               !flashmoe::fused::decode_prefetch_launch(int64_t{1} << 40, 8),
           "decode_prefetch_launch: none past one token or k = 8");
    // Which launches store their expert rows in the dtype (compact_rows_launch, docs/perf-notes.md item 90): from
    // kCompactRowsMinRoutes routes (T·k) on, inclusive (Qwen3-30B, k = 8: T = 64 on, T = 63 not; paper and Mixtral,
    // k = 2: T = 256 on, T = 255 not); never off the Hopper tiles, never with GEMM1 K parts (whatever the threshold);
    // threshold 0: every launch without K parts; no overflow at the largest T·k.
    constexpr int kMinRoutes = flashmoe::fused::TileConfig::kCompactRowsMinRoutes;
    EXPECT(kMinRoutes == 512, "the threshold the notes measured (update this test with the notes)");
    EXPECT(flashmoe::fused::compact_rows_launch(64, 8, kMinRoutes, true, 1) &&
               !flashmoe::fused::compact_rows_launch(63, 8, kMinRoutes, true, 1) &&
               flashmoe::fused::compact_rows_launch(256, 2, kMinRoutes, true, 1) &&
               !flashmoe::fused::compact_rows_launch(255, 2, kMinRoutes, true, 1),
           "compact rows from kCompactRowsMinRoutes routes, inclusive");
    EXPECT(!flashmoe::fused::compact_rows_launch(16384, 8, kMinRoutes, false, 1) &&
               !flashmoe::fused::compact_rows_launch(16384, 8, 0, true, 2) &&
               !flashmoe::fused::compact_rows_launch(1, 2, 0, true, 4),
           "never off the Hopper tiles or with K parts");
    EXPECT(flashmoe::fused::compact_rows_launch(1, 1, 0, true, 1) &&
               !flashmoe::fused::compact_rows_launch(int64_t{1} << 20, 16, INT32_MAX, true, 1) &&
               flashmoe::fused::compact_rows_launch(int64_t{1} << 40, 16, INT32_MAX, true, 1),
           "threshold 0: every launch; the largest threshold; no overflow");
    // Which launches swap (swap_ab_launch, docs/perf-notes.md item 77): at most 16 routes per row tile on average.
    // Decode points swap (Qwen3 T = 1: 8 routes over 8 tiles; T = 64: 512 over ~120; paper T = 1: 2 over 2), the
    // mixed launches of T = 1024 do not (Qwen3 / Qwen3-235B: 8192 routes over ~230 tiles), nor a launch of no tiles.
    EXPECT(flashmoe::fused::swap_ab_launch(8, 8) && flashmoe::fused::swap_ab_launch(512, 120) &&
               flashmoe::fused::swap_ab_launch(2, 2), "decode launches swap");
    EXPECT(!flashmoe::fused::swap_ab_launch(8192, 230), "T = 1024 at k = 8, E = 128 does not swap");
    EXPECT(flashmoe::fused::swap_ab_launch(16 * 100, 100) && !flashmoe::fused::swap_ab_launch(16 * 100 + 1, 100),
           "the bound is 16 routes per tile, inclusive");
    EXPECT(!flashmoe::fused::swap_ab_launch(0, 0) && !flashmoe::fused::swap_ab_launch(int64_t{1} << 40, 1 << 30),
           "no tiles: no swap; no overflow");
    // Which groups run on pairs (group_paired, docs/perf-notes.md items 62-63): never a lone tile; a group of three
    // tiles or more whatever its tasks; a group of two once its second tile holds half a tile's rows (32 of 64), or
    // once its GEMM0 column tasks reach the task threshold; with the row threshold out of reach (2^30), the task count
    // alone, as before item 62. Every group an expert's row count makes (the last one ragged).
    constexpr int kBlockM = flashmoe::fused::TileConfig::kBlockM;
    // group_paired of a group of `rows` valid rows (its last tile's rows given as group_paired asks for them)
    auto group_paired = [](int tiles, int rows, int per_tile, int min_tasks,
                           int min_rows = flashmoe::fused::TileConfig::kPairGroupRows) {
        return flashmoe::fused::group_paired(tiles, per_tile, min_tasks, min_rows,
                                             [&] { return rows - (tiles - 1) * kBlockM; });
    };
    int pair_rules = 0;
    for (int expert_rows = 1; expert_rows <= 20 * kBlockM; expert_rows += 7)
        for (int group : {1, 2, 3, 16})
            for (int left = expert_rows; left > 0; left -= group * kBlockM) {
                const int rows = std::min(left, group * kBlockM);
                const int tiles = (rows + kBlockM - 1) / kBlockM;
                const int last_rows = rows - (tiles - 1) * kBlockM;
                for (int per_tile : {1, 3, 12, 33})
                    for (int min_tasks : {0, 128, 263, 1 << 30}) {
                        ++pair_rules;
                        const bool by_tasks = tiles >= 2 && tiles * per_tile >= min_tasks;
                        const bool by_size = tiles >= 3 || (tiles == 2 && last_rows >= kBlockM / 2);
                        EXPECT(group_paired(tiles, rows, per_tile, min_tasks) == (by_tasks || by_size),
                               "default rule: %d tiles (%d rows) x %d tasks, threshold %d", tiles, rows, per_tile,
                               min_tasks);
                        EXPECT(group_paired(tiles, rows, per_tile, min_tasks, 1 << 30) == by_tasks,
                               "task rule alone: %d tiles x %d tasks, threshold %d", tiles, per_tile, min_tasks);
                        EXPECT(group_paired(tiles, rows, per_tile, min_tasks, kBlockM + 1) == (tiles >= 2),
                               "every group of two: %d tiles", tiles);
                        EXPECT(group_paired(tiles, rows, per_tile, 1 << 30, 2 * kBlockM + 1) == (tiles >= 3),
                               "groups of three (item 62): %d tiles", tiles);
                    }
            }
    EXPECT(flashmoe::fused::TileConfig::kPairGroupRows > kBlockM && flashmoe::fused::TileConfig::kPairGroupRows <= 2 * kBlockM + 1,
           "kPairGroupRows pairs no lone tile and every group of three");
    std::printf("%s: %d layouts, %d queue bounds, %d tile-bound trials, %d column splits, %d GEMM1 piece rules, "
                "%d K-part rules, %d pairing rules, %d failure(s)\n",
                expect_failures ? "FAIL" : "PASS", layouts, queues, bounds, splits, gemm1_rules, k_part_rules,
                pair_rules, expect_failures);
    return expect_failures ? 1 : 0;
}
