// The fused kernel's workspace: one __host__ __device__ struct that computes every section's size and pointer from
// the layer's maximum shapes. The host sizes and allocates it; the kernel gets a copy and calls get_*_ptr().
#pragma once

#include <cstddef>
#include <cstdint>

#include "flashmoe/common/capacity.h"
#include "flashmoe/fused/tile_config.cuh"

namespace flashmoe::fused {

// Launch-global state. Every flag in the workspace holds the epoch (launch sequence number) it was set in, and every
// counter carries its epoch in the high 32 bits, so stale values of earlier launches never match and nothing is
// reset between launches. `sequence` is read by every block at start and advanced by the last block to exit.
struct ControlBlock {
    uint32_t sequence;           // epoch of the current / next launch; starts at 1 (0 never matches)
    uint32_t abort_epoch;        // == epoch: some actor gave up, everyone exits
    uint32_t routing_epoch;      // == epoch: slot assignment and tile metadata are published
    uint32_t error_claim_epoch;  // == epoch: the error record of this launch is taken
    uint64_t exit_count;         // epoch-tagged count of blocks that finished
    uint32_t dispatch_next;      // next row tile to dispatch: zeroed by the OS block before routing_epoch is released
    uint32_t task_next;          // next ticket of the task queue a processor claims: zeroed with dispatch_next
    int32_t num_row_tiles;       // published with routing_epoch
    int32_t dropped_routes;      // published with routing_epoch
    // Expert parallelism: the row tiles this rank computes as the owner (arrived from every source), published with
    // owner_epoch once every pair's first tile has signalled. On one GPU these are the routing's row tiles.
    uint32_t owner_epoch;
    int32_t num_owner_tiles;
    // Epoch-tagged count of the tasks the scheduler has written to the task queue (the queue's published tail).
    uint64_t tasks_published;
    // Chunked slot assignment (os/routing.cuh): epoch-tagged counts of the route chunks counted and ranked by
    // processors, and the OS block's release of the chunks' first ranks and the experts' offsets in between.
    uint64_t routing_counted;
    uint64_t routing_ranked;
    uint32_t routing_bases_epoch;
    // == epoch: the OS block has counted the routes of a one-chunk launch (os/routing.cuh assign_slots), set only where
    // the launch's prefetches wait for it (KernelParams::decode_prefetch_hold; docs/perf-notes.md item 116).
    uint32_t routes_counted_epoch;
    // One GPU: epoch-tagged count of processors through their dispatch loop (every row tile dispatched once it reaches
    // the processor count). GEMM0 tasks are released before their rows are in place (processor.cuh). Set to
    // (epoch, 0) with dispatch_next, before routing_epoch.
    uint64_t processors_dispatched;
};

struct WorkspaceLayout {
    static constexpr size_t kAlignment = 256;
    // Chunked slot assignment: a launch of more routes than kRoutesPerChunk (the default of
    // KernelParams::routes_per_chunk) cuts them into at most kMaxRoutingChunks chunks, one per processor.
    // NOTE: 512 and 64 (perf-notes item 43): 2048-route chunks were 2-4 % slower at T = 256-4096, and 256 chunks of 512
    // routes at T = 16384 cost the OS block's scan ~20 us.
    static constexpr int kRoutesPerChunk = 512;
    static constexpr int kMaxRoutingChunks = 64;

    // Capacities (from the layer config; fixed for the lifetime of a layer).
    int64_t max_tokens = 0;
    int64_t top_k = 0;
    int64_t num_experts = 0;
    int64_t hidden = 0;
    int64_t intermediate = 0;
    int64_t element_bytes = 0;
    int64_t block_m = 0;
    int64_t max_routes = 0;     // max_tokens * k
    int64_t max_row_tiles = 0;  // expert segments padded to block_m rows, packed back to back
    int64_t max_rows = 0;       // max_row_tiles * block_m
    int64_t max_token_tiles = 0;  // COMBINE tasks: kTokensPerCombine tokens each
    int64_t max_tasks = 0;      // GEMM0 + GEMM1 tasks of every row tile at the finest split, + COMBINE tasks
    // Expert parallelism (0 on one GPU): (source rank, local expert) pairs received, and the most row tiles they can
    // bring. Row tiles of GEMM tasks are then owner tiles (landing buffer tiles); the routing's tiles (this rank's
    // routes, grouped by global expert) are only dispatched. Tokens and expert outputs live in the symmetric region.
    int64_t ep_pairs = 0;
    int64_t ep_owner_tiles = 0;

    // Byte offsets of the sections. The synchronisation sections come first and are zeroed once at creation.
    size_t control_offset = 0;         // ControlBlock
    size_t dispatch_flag_offset = 0;   // uint32_t [max_row_tiles]: epoch when the row tile's slots are filled
    size_t gemm0_count_offset = 0;     // uint64_t [max_row_tiles]: epoch-tagged count of finished GEMM0 tiles
    size_t gemm1_count_offset = 0;     // uint64_t [max_row_tiles]: epoch-tagged count of finished GEMM1 tiles
    size_t token_done_offset = 0;      // uint64_t [max_token_tiles]: epoch-tagged count of a token tile's routes whose
                                       // expert output is complete (or that were dropped): COMBINE is ready at all
    size_t sync_bytes = 0;             // end of the sections zeroed at creation
    size_t task_queue_offset = 0;      // Task (16 bytes) [max_tasks]: the tasks in the order the scheduler released
                                       // them; processors claim tickets (ControlBlock::task_next) in that order
    size_t route_row_offset = 0;       // int32 [max_routes]: row of route (t, j) in the packed layout, -1 = dropped
    size_t row_route_offset = 0;       // int32 [max_rows]: route filling a row (valid rows only)
    size_t tile_expert_offset = 0;     // int32 [max_row_tiles]
    size_t tile_rows_offset = 0;       // int32 [max_row_tiles]: valid rows; the tile's other rows are never read
    size_t tile_group_end_offset = 0;  // int32 [max_row_tiles]: for the first row tile of a group of one expert's
                                       // tiles released together, one past the group's last tile; 0 for the others
    size_t routing_counts_offset = 0;  // int32 [kMaxRoutingChunks][E]: routes per expert in each route chunk
    size_t routing_bases_offset = 0;   // int32 [kMaxRoutingChunks][E]: each chunk's first rank per expert
    size_t routing_offsets_offset = 0; // int32 [E]: first row of each expert's segment
    size_t tokens_offset = 0;          // element [max_rows][H]: dispatched token rows (GEMM0's A)
    size_t hidden_offset = 0;          // element [max_rows][I]: activations h (GEMM1's A)
    size_t expert_out_offset = 0;      // float [max_rows][H]: expert outputs before the combine (0 bytes with EP)
    // Expert parallelism only (0 bytes on one GPU):
    size_t tile_pair_index_offset = 0; // int32 [max_row_tiles]: routing tile's index within its (rank, expert) pair
    size_t expert_kept_offset = 0;     // int32 [E]: routes of each global expert kept (the pair's rows)
    size_t pair_rows_offset = 0;       // int32 [ep_pairs]: rows arrived per (source, local expert)
    size_t pair_first_tile_offset = 0; // int32 [ep_pairs]: first owner tile of the pair
    size_t owner_tile_offset = 0;      // int32 [4][max_row_tiles]: owner tile's source, local expert, pair tile, rows
    size_t total_bytes = 0;

    char* base = nullptr;

    WorkspaceLayout() = default;

    FLASHMOE_HOST_DEVICE WorkspaceLayout(int64_t max_tokens_, int64_t top_k_, int64_t num_experts_, int64_t hidden_,
                                         int64_t intermediate_, int64_t element_bytes_, int64_t block_m_,
                                         int64_t ep_pairs_ = 0, int64_t ep_owner_tiles_ = 0)
        : max_tokens(max_tokens_),
          top_k(top_k_),
          num_experts(num_experts_),
          hidden(hidden_),
          intermediate(intermediate_),
          element_bytes(element_bytes_),
          block_m(block_m_),
          ep_pairs(ep_pairs_),
          ep_owner_tiles(ep_owner_tiles_) {
        max_routes = max_tokens * top_k;
        max_row_tiles = max_row_tiles_of(max_routes, num_experts, block_m);
        if (ep_owner_tiles > max_row_tiles) max_row_tiles = ep_owner_tiles;
        max_rows = max_row_tiles * block_m;
        // NOTE: a split never has more tasks than pieces (ColumnSplit), so the finest split bounds every launch's:
        // GEMM0's narrow pieces (kNarrowPieceColumns, gemm0_narrow) and GEMM1's kBlockN pieces.
        max_token_tiles = ceil_div(max_tokens, TileConfig::kTokensPerCombine);
        // COMBINE: token tiles x combine_slices (types.cuh), which is either the token tiles (one slice) or at most
        // the processors.
        // GEMM1: at most one task per 64-column piece, or with narrow pieces (gemm1_narrow) at most the processors.
        const int64_t gemm1_tasks = max_row_tiles * ceil_div(hidden, TileConfig::kBlockN);
        max_tasks = max_row_tiles * ceil_div(intermediate, TileConfig::kNarrowPieceColumns) +
                    (gemm1_tasks > TileConfig::kMaxProcessors ? gemm1_tasks : TileConfig::kMaxProcessors) +
                    (max_token_tiles > TileConfig::kMaxProcessors ? max_token_tiles : TileConfig::kMaxProcessors);
        const bool ep = ep_pairs > 0;
        size_t offset = 0;
        control_offset = take(offset, sizeof(ControlBlock));
        dispatch_flag_offset = take(offset, sizeof(uint32_t) * max_row_tiles);
        gemm0_count_offset = take(offset, sizeof(uint64_t) * max_row_tiles);
        gemm1_count_offset = take(offset, sizeof(uint64_t) * max_row_tiles);
        token_done_offset = take(offset, sizeof(uint64_t) * max_token_tiles);
        sync_bytes = offset;
        task_queue_offset = take(offset, 16 * static_cast<size_t>(max_tasks));
        route_row_offset = take(offset, sizeof(int32_t) * max_routes);
        row_route_offset = take(offset, sizeof(int32_t) * max_rows);
        tile_expert_offset = take(offset, sizeof(int32_t) * max_row_tiles);
        tile_rows_offset = take(offset, sizeof(int32_t) * max_row_tiles);
        tile_group_end_offset = take(offset, sizeof(int32_t) * max_row_tiles);
        routing_counts_offset = take(offset, sizeof(int32_t) * kMaxRoutingChunks * num_experts);
        routing_bases_offset = take(offset, sizeof(int32_t) * kMaxRoutingChunks * num_experts);
        routing_offsets_offset = take(offset, sizeof(int32_t) * num_experts);
        tokens_offset = take(offset, ep ? 0 : static_cast<size_t>(element_bytes) * max_rows * hidden);
        hidden_offset = take(offset, static_cast<size_t>(element_bytes) * max_rows * intermediate);
        expert_out_offset = take(offset, ep ? 0 : sizeof(float) * max_rows * hidden);
        tile_pair_index_offset = take(offset, ep ? sizeof(int32_t) * max_row_tiles : 0);
        expert_kept_offset = take(offset, ep ? sizeof(int32_t) * num_experts : 0);
        pair_rows_offset = take(offset, sizeof(int32_t) * ep_pairs);
        pair_first_tile_offset = take(offset, sizeof(int32_t) * ep_pairs);
        owner_tile_offset = take(offset, ep ? 4 * sizeof(int32_t) * max_row_tiles : 0);
        total_bytes = offset;
    }

    // Row tiles over all experts: each expert's segment is padded on its own, so a non-empty expert adds at most one
    // partial tile (sum of ceil(c_e / M) <= ceil(sum c_e / M) + min(E, routes)).
    FLASHMOE_HOST_DEVICE static int64_t max_row_tiles_of(int64_t routes, int64_t experts, int64_t block_m) {
        return ceil_div(routes, block_m) + (experts < routes ? experts : routes);
    }

    FLASHMOE_HOST_DEVICE ControlBlock* get_control_ptr() const {
        return reinterpret_cast<ControlBlock*>(base + control_offset);
    }
    FLASHMOE_HOST_DEVICE uint32_t* get_dispatch_flag_ptr() const {
        return reinterpret_cast<uint32_t*>(base + dispatch_flag_offset);
    }
    FLASHMOE_HOST_DEVICE uint64_t* get_gemm0_count_ptr() const {
        return reinterpret_cast<uint64_t*>(base + gemm0_count_offset);
    }
    FLASHMOE_HOST_DEVICE uint64_t* get_gemm1_count_ptr() const {
        return reinterpret_cast<uint64_t*>(base + gemm1_count_offset);
    }
    FLASHMOE_HOST_DEVICE uint64_t* get_token_done_ptr() const {
        return reinterpret_cast<uint64_t*>(base + token_done_offset);
    }
    template <typename TaskT>
    FLASHMOE_HOST_DEVICE TaskT* get_task_queue_ptr() const {
        static_assert(sizeof(TaskT) == 16, "the task queue holds 16-byte descriptors");
        return reinterpret_cast<TaskT*>(base + task_queue_offset);
    }
    FLASHMOE_HOST_DEVICE int32_t* get_route_row_ptr() const {
        return reinterpret_cast<int32_t*>(base + route_row_offset);
    }
    FLASHMOE_HOST_DEVICE int32_t* get_row_route_ptr() const {
        return reinterpret_cast<int32_t*>(base + row_route_offset);
    }
    FLASHMOE_HOST_DEVICE int32_t* get_tile_expert_ptr() const {
        return reinterpret_cast<int32_t*>(base + tile_expert_offset);
    }
    FLASHMOE_HOST_DEVICE int32_t* get_tile_rows_ptr() const {
        return reinterpret_cast<int32_t*>(base + tile_rows_offset);
    }
    FLASHMOE_HOST_DEVICE int32_t* get_tile_group_end_ptr() const {
        return reinterpret_cast<int32_t*>(base + tile_group_end_offset);
    }
    FLASHMOE_HOST_DEVICE int32_t* get_routing_counts_ptr() const {
        return reinterpret_cast<int32_t*>(base + routing_counts_offset);
    }
    FLASHMOE_HOST_DEVICE int32_t* get_routing_bases_ptr() const {
        return reinterpret_cast<int32_t*>(base + routing_bases_offset);
    }
    FLASHMOE_HOST_DEVICE int32_t* get_routing_offsets_ptr() const {
        return reinterpret_cast<int32_t*>(base + routing_offsets_offset);
    }
    template <typename Element>
    FLASHMOE_HOST_DEVICE Element* get_tokens_ptr() const {
        return reinterpret_cast<Element*>(base + tokens_offset);
    }
    template <typename Element>
    FLASHMOE_HOST_DEVICE Element* get_hidden_ptr() const {
        return reinterpret_cast<Element*>(base + hidden_offset);
    }
    FLASHMOE_HOST_DEVICE float* get_expert_out_ptr() const {
        return reinterpret_cast<float*>(base + expert_out_offset);
    }

    FLASHMOE_HOST_DEVICE int32_t* get_tile_pair_index_ptr() const {
        return reinterpret_cast<int32_t*>(base + tile_pair_index_offset);
    }
    FLASHMOE_HOST_DEVICE int32_t* get_expert_kept_ptr() const {
        return reinterpret_cast<int32_t*>(base + expert_kept_offset);
    }
    FLASHMOE_HOST_DEVICE int32_t* get_pair_rows_ptr() const { return reinterpret_cast<int32_t*>(base + pair_rows_offset); }
    FLASHMOE_HOST_DEVICE int32_t* get_pair_first_tile_ptr() const {
        return reinterpret_cast<int32_t*>(base + pair_first_tile_offset);
    }
    // Owner tile metadata: field 0 source rank, 1 local expert, 2 tile within the pair, 3 valid rows.
    FLASHMOE_HOST_DEVICE int32_t* get_owner_tile_ptr(int field) const {
        return reinterpret_cast<int32_t*>(base + owner_tile_offset) + field * max_row_tiles;
    }

   private:
    FLASHMOE_HOST_DEVICE static size_t take(size_t& offset, size_t bytes) {
        const size_t start = offset;
        offset = (offset + bytes + kAlignment - 1) / kAlignment * kAlignment;
        return start;
    }
};

}  // namespace flashmoe::fused
