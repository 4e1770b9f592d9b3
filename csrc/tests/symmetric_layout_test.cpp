// Host-only test (no GPU, no CUDA headers) of the expert-parallel symmetric layout: capacity rounding, section
// alignment, every (peer, round, buffer, expert, row) slab and every flag disjoint and inside the region, map().
// Build: g++ -std=c++17 -Icsrc/include csrc/tests/symmetric_layout_test.cpp -o symmetric_layout_test
#include <cstdio>
#include <set>
#include <utility>
#include <vector>

#include "flashmoe/comm/symmetric_layout.cuh"

#include "expect.h"

using flashmoe::comm::Buffer;
using flashmoe::comm::Round;
using flashmoe::comm::SymmetricLayout;


// Every slab and flag of a small layout as [begin, end) byte ranges: they must tile without overlap.
static void check_disjoint(const SymmetricLayout& layout) {
    std::vector<std::pair<size_t, size_t>> ranges;
    for (int32_t peer = 0; peer < layout.num_ranks; ++peer)
        for (int round = 0; round < SymmetricLayout::kNumRounds; ++round)
            for (int buffer = 0; buffer < SymmetricLayout::kNumBuffers; ++buffer)
                for (int32_t expert = 0; expert < layout.num_local_experts; ++expert) {
                    const size_t begin = layout.data_offset(peer, Round(round), Buffer(buffer), expert, 0);
                    const size_t end = layout.data_offset(peer, Round(round), Buffer(buffer), expert, layout.capacity);
                    EXPECT(end - begin == size_t(layout.capacity * layout.hidden * layout.element_bytes[round]),
                           "slab bytes (peer %d round %d)", peer, round);
                    ranges.emplace_back(begin, end);
                    // the last row of the slab is its own last bytes
                    const size_t last = layout.data_offset(peer, Round(round), Buffer(buffer), expert,
                                                           layout.capacity - 1);
                    EXPECT(last + size_t(layout.hidden * layout.element_bytes[round]) == end, "last row");
                }
    for (int32_t peer = 0; peer < layout.num_ranks; ++peer)
        for (int round = 0; round < SymmetricLayout::kNumRounds; ++round)
            for (int32_t expert = 0; expert < layout.num_local_experts; ++expert)
                for (int64_t tile = 0; tile < layout.tiles_per_pair; ++tile) {
                    const size_t flag = layout.flag_offset(peer, Round(round), expert, tile);
                    EXPECT(flag % sizeof(uint64_t) == 0, "flag alignment");
                    ranges.emplace_back(flag, flag + sizeof(uint64_t));
                }
    std::set<std::pair<size_t, size_t>> sorted(ranges.begin(), ranges.end());
    EXPECT(sorted.size() == ranges.size(), "duplicate ranges");
    size_t previous_end = 0;
    for (const auto& range : sorted) {
        EXPECT(range.first >= previous_end, "overlap at %zu", range.first);
        EXPECT(range.second <= layout.total_bytes, "range past the end: %zu > %zu", range.second, layout.total_bytes);
        previous_end = range.second;
    }
}

int main() {
    int layouts = 0;
    // Capacity rounding: up to the M tile, at least one tile.
    EXPECT(SymmetricLayout::round_capacity(0) == SymmetricLayout::kRowTile, "0 rows -> one tile");
    EXPECT(SymmetricLayout::round_capacity(1) == 64, "1 -> 64");
    EXPECT(SymmetricLayout::round_capacity(64) == 64, "64 -> 64");
    EXPECT(SymmetricLayout::round_capacity(65) == 128, "65 -> 128");
    EXPECT(SymmetricLayout::kRowTile == flashmoe::fused::TileConfig::kBlockM, "row tile is the kernel's M tile");
    // Flags.
    const uint64_t value = SymmetricLayout::flag_value(7, 130);
    EXPECT(SymmetricLayout::flag_epoch(value) == 7 && SymmetricLayout::flag_rows(value) == 130, "flag round trip");
    EXPECT(SymmetricLayout::flag_value(1, 0) != 0, "an empty pair's signal is non-zero");
    EXPECT(SymmetricLayout::tiles_signalled(0) == 1, "empty pair still signals tile 0");
    EXPECT(SymmetricLayout::tiles_signalled(64) == 1 && SymmetricLayout::tiles_signalled(65) == 2, "tiles");
    // Capacity rows from a config: dropless = max_tokens; a capacity factor bounds it further.
    EXPECT(flashmoe::comm::ep_capacity_rows(4096, 8, 128, 0.0f) == 4096, "dropless");
    EXPECT(flashmoe::comm::ep_capacity_rows(4096, 8, 128, 1.0f) == 256, "cf 1: ceil(4096*8/128)");
    EXPECT(flashmoe::comm::ep_capacity_rows(10, 8, 2, 4.0f) == 10, "never more than max_tokens");

    for (int32_t ranks : {1, 2, 3, 8})
        for (int32_t local : {1, 3, 16})
            for (int64_t rows : {1, 64, 100, 1000})
                for (int64_t hidden : {8, 200, 2048})
                    for (int64_t element : {2, 4}) {
                        const SymmetricLayout layout(ranks, local, rows, hidden, element, 4);
                        ++layouts;
                        EXPECT(layout.capacity % SymmetricLayout::kRowTile == 0 && layout.capacity >= rows,
                               "capacity %lld for %lld rows", (long long)layout.capacity, (long long)rows);
                        EXPECT(layout.tiles_per_pair * SymmetricLayout::kRowTile == layout.capacity, "tiles");
                        EXPECT(layout.flags_offset % SymmetricLayout::kAlignment == 0, "flags aligned");
                        EXPECT(layout.total_bytes % SymmetricLayout::kAlignment == 0, "total aligned");
                        EXPECT(layout.total_bytes == SymmetricLayout::bytes_for(ranks, local, rows, hidden, element, 4),
                               "static byte count");
                        const size_t expected_data =
                            size_t(ranks) * 2 *
                            (SymmetricLayout::align_up(size_t(local) * layout.capacity * hidden * element) +
                             SymmetricLayout::align_up(size_t(local) * layout.capacity * hidden * 4));
                        EXPECT(layout.data_bytes == expected_data, "data bytes %zu vs %zu", layout.data_bytes,
                               expected_data);
                        for (int32_t peer = 0; peer < ranks; ++peer)
                            for (int round = 0; round < 2; ++round)
                                for (int buffer = 0; buffer < 2; ++buffer)
                                    EXPECT(layout.data_offset(peer, Round(round), Buffer(buffer), 0, 0) %
                                                   SymmetricLayout::kAlignment ==
                                               0,
                                           "slab start aligned");
                        if (hidden <= 200 && rows <= 100 && ranks <= 3) {
                            check_disjoint(layout);
                        }
                    }
    // Pointers and map(): the same offset from a peer's base; no mapping -> nullptr.
    {
        const SymmetricLayout layout(2, 4, 100, 64, 2, 4);
        std::vector<unsigned char> local(layout.total_bytes), peer(layout.total_bytes);
        void* flag = layout.get_flag_ptr(local.data(), 1, Round::kCombine, 3, 1);
        EXPECT(static_cast<unsigned char*>(flag) - local.data() ==
                   ptrdiff_t(layout.flag_offset(1, Round::kCombine, 3, 1)),
               "flag pointer");
        void* tile = layout.get_tile_ptr(local.data(), 1, Round::kDispatch, Buffer::kLanding, 2, 1);
        EXPECT(tile == layout.get_row_ptr(local.data(), 1, Round::kDispatch, Buffer::kLanding, 2, 64), "tile = row 64");
        uint64_t* mapped = SymmetricLayout::map(static_cast<uint64_t*>(flag), local.data(), peer.data());
        EXPECT(reinterpret_cast<unsigned char*>(mapped) - peer.data() ==
                   static_cast<unsigned char*>(flag) - local.data(),
               "map keeps the offset");
        EXPECT(SymmetricLayout::map(static_cast<uint64_t*>(flag), local.data(), nullptr) == nullptr,
               "unreachable peer maps to nullptr");
    }
    // A Qwen3-30B-A3B-sized layer (H 2048, E 128, k 8) at P 8, 16 local experts, 512 tokens per rank, bf16.
    {
        const SymmetricLayout layout(8, 16, flashmoe::comm::ep_capacity_rows(512, 8, 128, 0.0f), 2048, 2, 4);
        const size_t per_peer = 2 * size_t(16) * 512 * 2048 * (2 + 4);
        EXPECT(layout.data_bytes == 8 * per_peer, "Qwen3 data bytes %zu", layout.data_bytes);
        EXPECT(layout.flags_bytes == SymmetricLayout::align_up(8 * 2 * 16 * 8 * 8), "Qwen3 flags %zu",
               layout.flags_bytes);
        std::printf("Qwen3-30B-A3B, P 8, 512 tokens/rank, bf16: %.1f MiB per rank\n",
                    layout.total_bytes / 1048576.0);
    }
    std::printf("%d layouts checked, %d expect_failures\n", layouts, expect_failures);
    return expect_failures == 0 ? 0 : 1;
}
