// Device side of expert parallelism inside the fused kernel (design.md §4, docs/expert-parallel.md): how a tile of
// rows and its arrival flag travel to a peer (direct stores through the peer's nvshmem_ptr mapping + a release
// flag, or a one-sided nvshmem put with signal), the owner's collection of arrivals into row tiles, and the
// accessors the GEMM and combine tasks use to find their rows in the symmetric region.
//
// NVSHMEM device calls exist only in the TUs of libflashmoe_ep.so (compiled with FLASHMOE_EP=1 and device-linked
// with libnvshmem_device.a), whose layers are all expert-parallel; libflashmoe.so compiles this header without them and
// its kernel contains none of the expert-parallel paths (ep_enabled() is false at compile time).
#pragma once

#include <cstdint>
#include <type_traits>

#include "flashmoe/comm/ep_params.cuh"
#include "flashmoe/common/dtype.cuh"
#include "flashmoe/fused/sync.cuh"
#include "flashmoe/fused/types.cuh"

#if defined(FLASHMOE_EP) && FLASHMOE_EP
#include <nvshmem.h>
#include <nvshmemx.h>
#define FLASHMOE_EP_DEVICE 1
#else
#define FLASHMOE_EP_DEVICE 0
#endif

namespace flashmoe::fused {

using comm::Buffer;
using comm::Round;
using comm::SymmetricLayout;

// Whether this launch is expert-parallel. A compile-time answer in each library: libflashmoe.so's kernel has no
// expert-parallel code at all (so P = 1 pays nothing for it: a runtime branch cost the single-GPU kernel 7-10 %,
// measured), and libflashmoe_ep.so only ever runs expert-parallel layers.
__device__ __forceinline__ constexpr bool ep_enabled(const KernelParams&) { return FLASHMOE_EP_DEVICE != 0; }

// One GPU with params.direct_gemm0: GEMM0 tasks are released right after the slot assignment, and the processor that
// runs one acquires its row tiles' dispatch flags (processor.cuh); otherwise the dispatch subscriber releases a group's
// GEMM0 tasks once its tiles have arrived (os/subscriber.cuh). perf-notes item 44.
__device__ __forceinline__ bool gemm0_released_direct(const KernelParams& params) {
    return !ep_enabled(params) && params.direct_gemm0 != 0;
}

// One GPU with params.direct_combine: the GEMM0 subscriber queues every COMBINE task right after the launch's last
// GEMM1 batch, and the processor that runs one waits for its token tile's routes itself (tasks.cuh run_combine);
// otherwise the GEMM1 subscriber releases the COMBINE tasks of token tiles found ready (os/subscriber.cuh).
// NOTE: tickets are claimed in token order, so a processor may wait for a tile not ready while a ready one waits
// unclaimed; that cost nothing measurable up to T = 16384 (Qwen3, paper and Mixtral shapes within +-0.5 %, paper
// T = 4096 -1.5 %), while the subscriber's hand-offs cost Qwen3 T = 8..1024 1.5-3 % (perf-notes item 51).
__device__ __forceinline__ bool combine_released_direct(const KernelParams& params) {
    return !ep_enabled(params) && params.direct_combine != 0;
}

// One GPU, params.direct_gemm1 2, or 1 and a launch whose GEMM0 tasks all run at once (at most one per processor): the
// GEMM0 subscriber pushes every GEMM1 task at the launch's start (after the slot assignment), and the processor that
// runs one waits for its row tiles' GEMM0 counts itself (processor.cuh `wait_gemm0_done`); otherwise the GEMM0
// subscriber releases a group's GEMM1 tasks once its GEMM0 tasks are done. perf-notes item 53.
// NOTE: GEMM1 tickets follow every GEMM0 ticket, so a waiting processor only waits for GEMM0 tasks already running.
__device__ __forceinline__ bool gemm1_released_direct(const KernelParams& params, int num_row_tiles) {
    if (ep_enabled(params) || params.direct_gemm1 == 0) return false;
    return params.direct_gemm1 == 2 ||
           num_row_tiles * gemm0_split(params, num_row_tiles).num_tasks <= params.num_processors;
}

__device__ __forceinline__ void store_release_system(uint64_t* address, uint64_t value) {
    asm volatile("st.release.sys.global.u64 [%0], %1;" ::"l"(address), "l"(value) : "memory");
}

__device__ __forceinline__ uint64_t load_volatile(const uint64_t* address) {
    return *reinterpret_cast<const volatile uint64_t*>(address);
}

// The arrival flag F[peer][round][expert][tile] in this rank's region (what `peer` sets here).
__device__ __forceinline__ uint64_t* ep_local_flag(const KernelParams& params, int peer, Round round, int expert,
                                                   int64_t tile) {
    return params.ep.sym.get_flag_ptr(params.ep.sym_base, peer, round, expert, tile);
}

// Where a block writes the rows of a tile bound for `peer`: straight into the peer's landing buffer when it is
// mapped, else into this rank's staging buffer for a put. `expert` is the owner's local expert.
__device__ __forceinline__ void* ep_tile_destination(const KernelParams& params, int peer, Round round, int expert,
                                                     int64_t tile) {
    const comm::EpParams& ep = params.ep;
    void* peer_base = ep.peer_base[peer];
    if (peer_base != nullptr) {
        return SymmetricLayout::map(ep.sym.get_tile_ptr(ep.sym_base, ep.rank, round, Buffer::kLanding, expert, tile),
                                    ep.sym_base, peer_base);
    }
    return ep.sym.get_tile_ptr(ep.sym_base, peer, round, Buffer::kStaging, expert, tile);
}

// One thread: sets this rank's flag F[me][round][expert][tile] on `peer` to `value`, after everything this thread
// (and, through the caller's barrier, its block) wrote before. A signal without data: the empty pairs.
__device__ __forceinline__ void ep_signal(const KernelParams& params, int peer, Round round, int expert, int64_t tile,
                                          uint64_t value) {
    const comm::EpParams& ep = params.ep;
    if (ep.withhold_signals) {
        return;  // NOTE: debug fault injection: the peer must end by timeout and name this rank
    }
    uint64_t* flag = ep.sym.get_flag_ptr(ep.sym_base, ep.rank, round, expert, tile);
    void* peer_base = ep.peer_base[peer];
    if (peer_base != nullptr) {
        __threadfence_system();
        store_release_system(SymmetricLayout::map(flag, ep.sym_base, peer_base), value);
        return;
    }
#if FLASHMOE_EP_DEVICE
    nvshmemx_signal_op(flag, value, NVSHMEM_SIGNAL_SET, peer);
#else
    __trap();
#endif
}

// Whole block, after every thread wrote its part of the tile's `rows` rows to ep_tile_destination(): makes them
// arrive on `peer` together with the tile's flag (`value`). Direct: the stores are already there; one release flag.
// Put: one nvshmem put of the real rows (never the padding) with the flag as its signal.
__device__ __forceinline__ void ep_send_tile(const KernelParams& params, int peer, Round round, int expert,
                                             int64_t tile, int rows, uint64_t value) {
    const comm::EpParams& ep = params.ep;
    __threadfence_system();  // NOTE: every writer orders its own rows before the barrier and the flag
    processor_sync();
    if (ep.peer_base[peer] != nullptr) {
        if (threadIdx.x == 0) {
            ep_signal(params, peer, round, expert, tile, value);
        }
        return;
    }
    if (ep.withhold_signals) {
        return;
    }
#if FLASHMOE_EP_DEVICE
    const int r = static_cast<int>(round);
    const size_t bytes = static_cast<size_t>(rows) * static_cast<size_t>(ep.sym.hidden) *
                         static_cast<size_t>(ep.sym.element_bytes[r]);
    void* landing = ep.sym.get_tile_ptr(ep.sym_base, ep.rank, round, Buffer::kLanding, expert, tile);
    const void* staging = ep.sym.get_tile_ptr(ep.sym_base, peer, round, Buffer::kStaging, expert, tile);
    uint64_t* flag = ep.sym.get_flag_ptr(ep.sym_base, ep.rank, round, expert, tile);
    nvshmemx_putmem_signal_nbi_block(landing, staging, bytes, flag, value, NVSHMEM_SIGNAL_SET, peer);
#else
    (void)rows;
    (void)value;
    __trap();
#endif
}

// Processors, before they leave: puts are non-blocking; complete them so no transfer outlives the launch.
__device__ __forceinline__ void ep_quiet(const KernelParams& params) {
#if FLASHMOE_EP_DEVICE
    if (ep_enabled(params)) {
        nvshmem_quiet();
    }
#else
    (void)params;
#endif
}

// The global id of a local expert of this rank (for messages only: a scan over E).
__device__ __forceinline__ int ep_global_expert(const KernelParams& params, int local_expert) {
    for (int expert = 0; expert < params.num_experts; ++expert) {
        if (params.ep.expert_rank[expert] == params.ep.rank && params.ep.expert_local[expert] == local_expert) {
            return expert;
        }
    }
    return -1;
}

// ---- Source side -------------------------------------------------------------------------------------------------

// After the slot assignment: every (owner, local expert) pair this rank sends nothing to still gets tile 0's flag,
// with 0 rows, so no owner waits for tokens that never come. Called by every thread of the OS block.
__device__ inline void ep_signal_empty_pairs(const KernelParams& params, uint32_t epoch) {
    const int32_t* kept = params.layout.get_expert_kept_ptr();
    for (int expert = threadIdx.x; expert < params.num_experts; expert += TileConfig::kThreads) {
        if (kept[expert] == 0) {
            ep_signal(params, params.ep.expert_rank[expert], Round::kDispatch, params.ep.expert_local[expert], 0,
                      SymmetricLayout::flag_value(epoch, 0));
        }
    }
}

// Dispatch of one routing tile (rows of one global expert): gathers its token rows into the owner's landing buffer
// (or the staging buffer) and sends them with the tile's flag, which carries the pair's total rows. Whole block.
template <typename Element>
__device__ inline void ep_dispatch_row_tile(const KernelParams& params, uint32_t epoch, int tile) {
    constexpr int kVector = kElementsPer16Bytes<Element>;
    const WorkspaceLayout& layout = params.layout;
    const int expert = layout.get_tile_expert_ptr()[tile];
    const int owner = params.ep.expert_rank[expert];
    const int local_expert = params.ep.expert_local[expert];
    const int pair_tile = layout.get_tile_pair_index_ptr()[tile];
    const int valid_rows = layout.get_tile_rows_ptr()[tile];
    const int pair_rows = layout.get_expert_kept_ptr()[expert];
    const int hidden = params.hidden;
    const int vectors_per_row = hidden / kVector;
    const int32_t* row_route = layout.get_row_route_ptr();
    const Element* x = static_cast<const Element*>(params.x);
    Element* destination = static_cast<Element*>(ep_tile_destination(params, owner, Round::kDispatch, local_expert,
                                                                      pair_tile));
    const int warp_idx = threadIdx.x / 32;
    const int lane_idx = threadIdx.x % 32;
    for (int local_row = warp_idx; local_row < valid_rows; local_row += TileConfig::kWarps) {
        const int64_t row = static_cast<int64_t>(tile) * TileConfig::kBlockM + local_row;
        const int token = row_route[row] / params.top_k;
        const uint4* source = reinterpret_cast<const uint4*>(x + static_cast<int64_t>(token) * hidden);
        uint4* target = reinterpret_cast<uint4*>(destination + static_cast<int64_t>(local_row) * hidden);
        for (int v = lane_idx; v < vectors_per_row; v += 32) target[v] = __ldg(source + v);
    }
    ep_send_tile(params, owner, Round::kDispatch, local_expert, pair_tile, valid_rows,
                 SymmetricLayout::flag_value(epoch, static_cast<uint32_t>(pair_rows)));
}

// The flag a route's returned row depends on, and the row itself (fp32, H values), for a row of the routing layout.
__device__ __forceinline__ const uint64_t* ep_return_flag(const KernelParams& params, int row, int* owner_out = nullptr,
                                                         int* expert_out = nullptr, int* tile_out = nullptr) {
    const WorkspaceLayout& layout = params.layout;
    const int tile = row / TileConfig::kBlockM;
    const int expert = layout.get_tile_expert_ptr()[tile];
    const int owner = params.ep.expert_rank[expert];
    const int pair_tile = layout.get_tile_pair_index_ptr()[tile];
    if (owner_out != nullptr) *owner_out = owner;
    if (expert_out != nullptr) *expert_out = expert;
    if (tile_out != nullptr) *tile_out = pair_tile;
    return ep_local_flag(params, owner, Round::kCombine, params.ep.expert_local[expert], pair_tile);
}

__device__ __forceinline__ const float* ep_returned_row(const KernelParams& params, int row) {
    const WorkspaceLayout& layout = params.layout;
    const int tile = row / TileConfig::kBlockM;
    const int expert = layout.get_tile_expert_ptr()[tile];
    const int pair_row = layout.get_tile_pair_index_ptr()[tile] * TileConfig::kBlockM + row % TileConfig::kBlockM;
    return static_cast<const float*>(params.ep.sym.get_row_ptr(params.ep.sym_base, params.ep.expert_rank[expert],
                                                               Round::kCombine, Buffer::kLanding,
                                                               params.ep.expert_local[expert], pair_row));
}

// ---- Owner side --------------------------------------------------------------------------------------------------

// Waits (bounded) until tile 0 of every (source, local expert) pair has arrived, then lays the arrived rows out as
// owner tiles: pairs in (source, expert) order, ceil(rows / kBlockM) tiles each. Publishes num_owner_tiles with
// owner_epoch and returns it; -1 when the launch aborted (a peer never signalled: recorded here, naming it).
// Called by every thread of the OS block; `shared` holds TileConfig::kThreads + 1 int32.
__device__ inline int ep_collect_arrivals(const KernelParams& params, uint32_t epoch, int32_t* shared) {
    constexpr int kBlockM = TileConfig::kBlockM;
    const comm::EpParams& ep = params.ep;
    const WorkspaceLayout& layout = params.layout;
    const int local_experts = ep.local_experts;
    const int num_pairs = ep.num_pairs();
    int32_t* pair_rows = layout.get_pair_rows_ptr();
    int32_t* pair_first_tile = layout.get_pair_first_tile_ptr();

    bool failed = false;
    for (int pair = threadIdx.x; pair < num_pairs && !failed; pair += TileConfig::kThreads) {
        const int source = pair / local_experts;
        const int expert = pair % local_experts;
        const uint64_t* flag = ep_local_flag(params, source, Round::kDispatch, expert, 0);
        WaitClock clock(params.timeout_ns);
        uint64_t value = load_volatile(flag);
        while (SymmetricLayout::flag_epoch(value) != epoch) {
            if (clock.aborted(params, epoch)) {
                failed = true;
                break;
            }
            if (clock.expired()) {
                report_error(params, epoch, FLASHMOE_ERROR_TIMEOUT, Role::kOs, WaitWhat::kPeerDispatch,
                             ep_global_expert(params, expert), 0, value, SymmetricLayout::flag_value(epoch, 0),
                             clock.elapsed(), true, source);
                failed = true;
                break;
            }
            __nanosleep(64);
            value = load_volatile(flag);
        }
        if (!failed) {
            pair_rows[pair] = static_cast<int32_t>(SymmetricLayout::flag_rows(value));
        }
    }
    if (processor_sync_or(failed)) {
        return -1;
    }

    // Block-wide exclusive scan of tiles per pair: each thread a contiguous chunk of pairs.
    const int chunk = (num_pairs + TileConfig::kThreads - 1) / TileConfig::kThreads;
    const int begin = min(num_pairs, static_cast<int>(threadIdx.x) * chunk);
    const int end = min(num_pairs, begin + chunk);
    int tiles = 0;
    for (int pair = begin; pair < end; ++pair) tiles += (pair_rows[pair] + kBlockM - 1) / kBlockM;
    shared[threadIdx.x] = tiles;
    processor_sync();
    if (threadIdx.x == 0) {
        int running = 0;
        for (int t = 0; t < TileConfig::kThreads; ++t) {
            const int count = shared[t];
            shared[t] = running;
            running += count;
        }
        shared[TileConfig::kThreads] = running;
    }
    processor_sync();
    int first = shared[threadIdx.x];
    int32_t* tile_source = layout.get_owner_tile_ptr(0);
    int32_t* tile_expert = layout.get_owner_tile_ptr(1);
    int32_t* tile_index = layout.get_owner_tile_ptr(2);
    int32_t* tile_rows = layout.get_owner_tile_ptr(3);
    for (int pair = begin; pair < end; ++pair) {
        const int rows = pair_rows[pair];
        pair_first_tile[pair] = first;
        for (int i = 0; i * kBlockM < rows; ++i) {
            tile_source[first + i] = pair / local_experts;
            tile_expert[first + i] = pair % local_experts;
            tile_index[first + i] = i;
            tile_rows[first + i] = min(kBlockM, rows - i * kBlockM);
        }
        first += (rows + kBlockM - 1) / kBlockM;
    }
    const int num_owner_tiles = shared[TileConfig::kThreads];
    __threadfence();
    processor_sync();
    if (threadIdx.x == 0) {
        ControlBlock* control = layout.get_control_ptr();
        control->num_owner_tiles = num_owner_tiles;
        __threadfence();
        store_release(&control->owner_epoch, epoch);
    }
    return num_owner_tiles;
}

// An owner tile's arrival flag (from its source, in this rank's region).
__device__ __forceinline__ const uint64_t* ep_arrival_flag(const KernelParams& params, int owner_tile) {
    const WorkspaceLayout& layout = params.layout;
    return ep_local_flag(params, layout.get_owner_tile_ptr(0)[owner_tile], Round::kDispatch,
                         layout.get_owner_tile_ptr(1)[owner_tile], layout.get_owner_tile_ptr(2)[owner_tile]);
}

// ---- What the GEMM tasks read and write: the owner tile's rows on EP, the workspace's row tile on one GPU ----------

// The expert (weights row: local on EP, global on one GPU) and valid rows of a GEMM row tile.
__device__ __forceinline__ int gemm_tile_expert(const KernelParams& params, int tile) {
    return ep_enabled(params) ? params.layout.get_owner_tile_ptr(1)[tile] : params.layout.get_tile_expert_ptr()[tile];
}
__device__ __forceinline__ int gemm_tile_rows(const KernelParams& params, int tile) {
    return ep_enabled(params) ? params.layout.get_owner_tile_ptr(3)[tile] : params.layout.get_tile_rows_ptr()[tile];
}

// GEMM0's A: the tile's token rows (row stride H).
template <typename Element>
__device__ __forceinline__ const Element* gemm0_input_tile(const KernelParams& params, int tile) {
    if (ep_enabled(params)) {
        const WorkspaceLayout& layout = params.layout;
        return static_cast<const Element*>(params.ep.sym.get_tile_ptr(
            params.ep.sym_base, layout.get_owner_tile_ptr(0)[tile], Round::kDispatch, Buffer::kLanding,
            layout.get_owner_tile_ptr(1)[tile], layout.get_owner_tile_ptr(2)[tile]));
    }
    return params.layout.get_tokens_ptr<Element>() + static_cast<int64_t>(tile) * TileConfig::kBlockM * params.hidden;
}

// GEMM1's output rows of a row tile, row stride H: fp32 (Row = float), or the dtype where the launch stores compact
// rows (one GPU only); on EP the source's landing buffer (mapped) or the staging buffer.
template <typename Row = float>
__device__ __forceinline__ Row* gemm1_output_tile(const KernelParams& params, int tile) {
    if constexpr (std::is_same_v<Row, float>) {
        if (ep_enabled(params)) {
            const WorkspaceLayout& layout = params.layout;
            return static_cast<float*>(ep_tile_destination(params, layout.get_owner_tile_ptr(0)[tile], Round::kCombine,
                                                           layout.get_owner_tile_ptr(1)[tile],
                                                           layout.get_owner_tile_ptr(2)[tile]));
        }
    }
    return reinterpret_cast<Row*>(params.layout.get_expert_out_ptr()) +
           static_cast<int64_t>(tile) * TileConfig::kBlockM * params.hidden;
}

// After the last GEMM1 task of an owner tile: its rows go back to their source with the combine flag. Whole block.
__device__ __forceinline__ void ep_return_tile(const KernelParams& params, uint32_t epoch, int tile) {
    const WorkspaceLayout& layout = params.layout;
    const int source = layout.get_owner_tile_ptr(0)[tile];
    const int expert = layout.get_owner_tile_ptr(1)[tile];
    const int pair_rows = layout.get_pair_rows_ptr()[source * params.ep.local_experts + expert];
    ep_send_tile(params, source, Round::kCombine, expert, layout.get_owner_tile_ptr(2)[tile],
                 layout.get_owner_tile_ptr(3)[tile], SymmetricLayout::flag_value(epoch, static_cast<uint32_t>(pair_rows)));
}

}  // namespace flashmoe::fused
