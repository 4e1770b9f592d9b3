// The unfused layer's device workspace: one allocation made at create time from the layer's maxima, carved into
// the buffers every forward reuses (nothing is allocated per forward). One struct computes sizes and pointers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "flashmoe/common/capacity.h"

namespace flashmoe {

// Words of the device status block, reset at the start of every forward.
enum DeviceStatusWord : int {
    kStatusInvalidRoutes = 0,  // routes whose expert id was outside [0, E): treated as dropped, never dereferenced
    kStatusDroppedRoutes = 1,  // routes dropped by the capacity rule
    kNumStatusWords = 2
};

struct UnfusedWorkspaceShape {
    int64_t max_tokens;
    int64_t top_k;
    int64_t num_experts;
    int64_t hidden_size;
    int64_t intermediate_size;
    int64_t element_bytes;

    int64_t max_routes() const { return max_tokens * top_k; }
    int64_t max_chunks() const { return ceil_div(max_routes(), kRoutesPerChunk); }
};

struct UnfusedWorkspace {
    int32_t* status;          // [kNumStatusWords]
    int32_t* expert_counts;   // [E]     routes per expert before drops
    int32_t* row_offsets;     // [E + 1] first packed row of each expert (kept routes only)
    int32_t* tile_offsets;    // [E + 1] first GEMM row tile of each expert
    int32_t* chunk_prefix;    // [max_chunks][E] per-chunk counts, then their exclusive prefix per expert
    int32_t* route_slot;      // [max_routes] packed row of route t * k + j, or -1 when dropped
    int32_t* row_token;       // [max_routes] token of each packed row
    void* x_packed;           // [max_routes][H] layer dtype
    void* h;                  // [max_routes][I] layer dtype
    float* expert_out;        // [max_routes][H] fp32, so the combine rounds once

    // Lays the buffers out from base (nullptr: only measures); returns the bytes used.
    static size_t layout(const UnfusedWorkspaceShape& shape, void* base, UnfusedWorkspace* out) {
        const int64_t routes = shape.max_routes();
        const int64_t experts = shape.num_experts;
        size_t offset = 0;
        char* bytes = static_cast<char*>(base);
        auto take = [&](size_t size) -> void* {
            constexpr size_t kAlignment = 256;  // keeps every buffer aligned for 16-byte vector access
            offset = (offset + kAlignment - 1) / kAlignment * kAlignment;
            void* pointer = bytes == nullptr ? nullptr : bytes + offset;
            offset += size;
            return pointer;
        };
        UnfusedWorkspace w{};
        w.status = static_cast<int32_t*>(take(sizeof(int32_t) * kNumStatusWords));
        w.expert_counts = static_cast<int32_t*>(take(sizeof(int32_t) * experts));
        w.row_offsets = static_cast<int32_t*>(take(sizeof(int32_t) * (experts + 1)));
        w.tile_offsets = static_cast<int32_t*>(take(sizeof(int32_t) * (experts + 1)));
        w.chunk_prefix = static_cast<int32_t*>(take(sizeof(int32_t) * shape.max_chunks() * experts));
        w.route_slot = static_cast<int32_t*>(take(sizeof(int32_t) * routes));
        w.row_token = static_cast<int32_t*>(take(sizeof(int32_t) * routes));
        w.x_packed = take(static_cast<size_t>(shape.element_bytes) * routes * shape.hidden_size);
        w.h = take(static_cast<size_t>(shape.element_bytes) * routes * shape.intermediate_size);
        w.expert_out = static_cast<float*>(take(sizeof(float) * routes * shape.hidden_size));
        if (out != nullptr) {
            *out = w;
        }
        return offset;
    }
};

}  // namespace flashmoe
