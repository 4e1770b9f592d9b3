// The expert-parallel symmetric layout (design.md §4): one __host__ __device__ struct that sizes the region every rank
// allocates on the NVSHMEM symmetric heap (same bytes on every rank) and computes every pointer inside it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "flashmoe/common/capacity.h"  // FLASHMOE_HOST_DEVICE
#include "flashmoe/fused/tile_config.cuh"  // TileConfig::kBlockM: the row tile the kernel consumes

namespace flashmoe::comm {

// Round 0 carries tokens to the rank that owns their expert; round 1 carries the expert outputs back.
enum class Round : int32_t {
    kDispatch = 0,
    kCombine = 1,
};

// Per (peer, round): the staging buffer is where this rank packs what it sends to `peer` (the source of a
// nvshmem_putmem_signal_nbi; a put's source must be symmetric or registered for the remote transports), the landing
// buffer is where `peer` writes what it sends to this rank (by nvshmem_ptr stores over NVLink, or by a put).
enum class Buffer : int32_t {
    kStaging = 0,
    kLanding = 1,
};

// Region (every section kAlignment-aligned, sections in this order):
//   data   L[P][kNumRounds][kNumBuffers][E_local][C][H]   element = dispatch_element_bytes in round 0 (the layer
//          dtype) and combine_element_bytes in round 1 (4: fp32 expert outputs, so P > 1 combines the very values
//          the single-GPU path combines, bit for bit)
//   flags  F[P][kNumRounds][E_local][C / kRowTile]         uint64_t: (epoch << 32) | rows of the (peer, expert) pair
//
// Indices: `peer` is the other end of the exchange (on the receiver, the source rank; on the sender, the destination);
// `expert` is always a local expert index of the rank that owns it (in round 1, the owner is `peer`); `row` is the
// route's slot within its (source rank, expert) pair; `tile` = row / kRowTile.
//
// C = capacity rows per (source rank, local expert), rounded up to kRowTile so a row tile never spans two pairs and
// padding is in place: only the pair's real rows ever cross the wire; the kernel zero-fills a tile's padding rows in
// its own shared memory / landing buffer.
//
// Flags: F[p][r][e][t] on rank `me` is written only by rank p, as a release store (NVLink) or as the signal of a
// nvshmem_putmem_signal_nbi (NVSHMEM_SIGNAL_SET), after the tile's rows. Tile 0 of every pair is always signalled,
// also for a pair with 0 rows, so no receiver waits for tokens that never come; its value tells the receiver how
// many more tiles (ceil(rows / kRowTile) - 1) to wait for. The epoch (launch sequence number, never 0) in the high half
// makes stale flags of earlier launches unequal to the current one, so relaunch and graph replay need no reset; the
// region is zeroed once at allocation.
//
// Why buffers indexed by peer are safe to reuse at the next launch without a barrier: rank s sends launch n+1's
// tokens to owner o only after it received all of launch n's outputs from o, which o sends only after it finished
// every GEMM that read L[s][dispatch][landing] on o. Other sources write other slices L[q].
//
// map(ptr, peer): the same byte of `peer`'s region. Symmetric addresses are valid put targets as they are (NVSHMEM
// translates them); for direct stores the kernel needs the peer's mapping, peer_base = nvshmem_ptr(local_base, peer),
// taken once on the host and non-null only when peer is reachable by load/store (NVLink / same node P2P). map() is
// pure arithmetic on those two bases, so this header needs no NVSHMEM.
struct SymmetricLayout {
    static constexpr int kNumRounds = 2;
    static constexpr int kNumBuffers = 2;
    static constexpr int64_t kRowTile = fused::TileConfig::kBlockM;
    static constexpr size_t kAlignment = 256;
    static constexpr int64_t kFlagBytes = sizeof(uint64_t);

    // Shape (fixed for the lifetime of a layer).
    int32_t num_ranks;
    int32_t num_local_experts;
    int64_t capacity;            // C: rows per (source rank, local expert), a multiple of kRowTile
    int64_t hidden;              // H
    int64_t element_bytes[kNumRounds];
    int64_t tiles_per_pair;      // C / kRowTile
    // Derived byte offsets / strides.
    size_t buffer_bytes[kNumRounds];  // E_local * C * H * element_bytes[round]
    size_t round_offset[kNumRounds];  // within one peer's slice
    size_t peer_bytes;                // one peer's slice of the data section
    size_t data_bytes;
    size_t flags_offset;
    size_t flags_bytes;
    size_t total_bytes;

    FLASHMOE_HOST_DEVICE static constexpr size_t align_up(size_t value) {
        return (value + kAlignment - 1) / kAlignment * kAlignment;
    }
    FLASHMOE_HOST_DEVICE static constexpr int64_t round_capacity(int64_t rows) {
        return rows <= 0 ? kRowTile : (rows + kRowTile - 1) / kRowTile * kRowTile;
    }

    SymmetricLayout() = default;

    // capacity_rows is rounded up to kRowTile (a minimum of one tile).
    FLASHMOE_HOST_DEVICE SymmetricLayout(int32_t ranks, int32_t local_experts, int64_t capacity_rows, int64_t hidden_size,
                                         int64_t dispatch_element_bytes, int64_t combine_element_bytes)
        : num_ranks(ranks),
          num_local_experts(local_experts),
          capacity(round_capacity(capacity_rows)),
          hidden(hidden_size),
          element_bytes{dispatch_element_bytes, combine_element_bytes},
          tiles_per_pair(round_capacity(capacity_rows) / kRowTile),
          buffer_bytes{},
          round_offset{},
          peer_bytes(0),
          data_bytes(0),
          flags_offset(0),
          flags_bytes(0),
          total_bytes(0) {
        for (int round = 0; round < kNumRounds; ++round) {
            buffer_bytes[round] = align_up(static_cast<size_t>(num_local_experts) * static_cast<size_t>(capacity) *
                                           static_cast<size_t>(hidden) * static_cast<size_t>(element_bytes[round]));
            round_offset[round] = peer_bytes;
            peer_bytes += kNumBuffers * buffer_bytes[round];
        }
        data_bytes = static_cast<size_t>(num_ranks) * peer_bytes;
        flags_offset = data_bytes;
        flags_bytes = align_up(static_cast<size_t>(num_ranks) * kNumRounds * static_cast<size_t>(num_local_experts) *
                               static_cast<size_t>(tiles_per_pair) * kFlagBytes);
        total_bytes = flags_offset + flags_bytes;
    }

    // The static byte count: what flashmoe_ep_workspace_bytes reports and every rank allocates.
    FLASHMOE_HOST_DEVICE static size_t bytes_for(int32_t ranks, int32_t local_experts, int64_t capacity_rows,
                                                 int64_t hidden_size, int64_t dispatch_element_bytes,
                                                 int64_t combine_element_bytes) {
        return SymmetricLayout(ranks, local_experts, capacity_rows, hidden_size, dispatch_element_bytes,
                               combine_element_bytes)
            .total_bytes;
    }

    // Byte offsets from the region's base (the same on every rank).
    FLASHMOE_HOST_DEVICE size_t data_offset(int32_t peer, Round round, Buffer buffer, int32_t expert,
                                            int64_t row) const {
        const int r = static_cast<int>(round);
        return static_cast<size_t>(peer) * peer_bytes + round_offset[r] +
               static_cast<size_t>(static_cast<int>(buffer)) * buffer_bytes[r] +
               (static_cast<size_t>(expert) * static_cast<size_t>(capacity) + static_cast<size_t>(row)) *
                   static_cast<size_t>(hidden) * static_cast<size_t>(element_bytes[r]);
    }
    FLASHMOE_HOST_DEVICE size_t flag_offset(int32_t peer, Round round, int32_t expert, int64_t tile) const {
        const size_t index =
            ((static_cast<size_t>(peer) * kNumRounds + static_cast<size_t>(static_cast<int>(round))) *
                 static_cast<size_t>(num_local_experts) +
             static_cast<size_t>(expert)) *
                static_cast<size_t>(tiles_per_pair) +
            static_cast<size_t>(tile);
        return flags_offset + index * kFlagBytes;
    }

    // Row `row` (H elements) of a (peer, round, buffer, expert) slab.
    FLASHMOE_HOST_DEVICE void* get_row_ptr(void* base, int32_t peer, Round round, Buffer buffer, int32_t expert,
                                           int64_t row) const {
        return static_cast<unsigned char*>(base) + data_offset(peer, round, buffer, expert, row);
    }
    // The first row of a pair's tile: the unit one put (or one run of direct stores) moves.
    FLASHMOE_HOST_DEVICE void* get_tile_ptr(void* base, int32_t peer, Round round, Buffer buffer, int32_t expert,
                                            int64_t tile) const {
        return get_row_ptr(base, peer, round, buffer, expert, tile * kRowTile);
    }
    FLASHMOE_HOST_DEVICE uint64_t* get_flag_ptr(void* base, int32_t peer, Round round, int32_t expert,
                                                int64_t tile) const {
        return reinterpret_cast<uint64_t*>(static_cast<unsigned char*>(base) + flag_offset(peer, round, expert, tile));
    }

    // Flag words: epoch in the high half (never 0), the pair's total rows in the low half.
    FLASHMOE_HOST_DEVICE static constexpr uint64_t flag_value(uint32_t epoch, uint32_t pair_rows) {
        return (static_cast<uint64_t>(epoch) << 32) | pair_rows;
    }
    FLASHMOE_HOST_DEVICE static constexpr uint32_t flag_epoch(uint64_t value) { return static_cast<uint32_t>(value >> 32); }
    FLASHMOE_HOST_DEVICE static constexpr uint32_t flag_rows(uint64_t value) { return static_cast<uint32_t>(value); }
    // Tiles a receiver waits for in a pair of `pair_rows` rows: tile 0 always (it carries the count).
    FLASHMOE_HOST_DEVICE static constexpr int64_t tiles_signalled(int64_t pair_rows) {
        return pair_rows <= kRowTile ? 1 : (pair_rows + kRowTile - 1) / kRowTile;
    }

    // The same byte on `peer`, given this rank's base and peer_base = nvshmem_ptr(local_base, peer); nullptr when the
    // peer is not load/store reachable (peer_base == nullptr): then send with a put to the symmetric address itself.
    template <typename T>
    FLASHMOE_HOST_DEVICE static T* map(T* ptr, const void* local_base, void* peer_base) {
        if (peer_base == nullptr) {
            return nullptr;
        }
        const ptrdiff_t offset = reinterpret_cast<const unsigned char*>(ptr) -
                                 static_cast<const unsigned char*>(local_base);
        return reinterpret_cast<T*>(static_cast<unsigned char*>(peer_base) + offset);
    }
};

// C before rounding: rows one source rank may send to one expert. Dispatch sends a token once per distinct expert (a
// duplicate id in a token's k reuses the returned row in the combine), so dropless needs max_tokens rows; a capacity
// factor bounds it further (expert_capacity of common/capacity.h, the same rule as the single-GPU path).
inline int64_t ep_capacity_rows(int64_t max_tokens, int64_t top_k, int64_t num_experts, float capacity_factor) {
    const int64_t capacity = expert_capacity(capacity_factor, max_tokens, top_k, num_experts);
    return capacity < max_tokens ? capacity : max_tokens;
}

}  // namespace flashmoe::comm
