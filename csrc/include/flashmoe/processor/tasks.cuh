// What a processor does for each task type: dispatch of row tiles (before the task loop), GEMM0 with the fused
// epilogue (bias, activation, gate product, rounding of h), GEMM1 (+ bias, fp32 out) and the ordered combine.
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

#include "flashmoe/comm/ep_device.cuh"
#include "flashmoe/common/activation.cuh"
#include "flashmoe/common/dtype.cuh"
#include "flashmoe/common/route_check.cuh"
#include "flashmoe/fused/sync.cuh"
#include "flashmoe/fused/types.cuh"
#include "flashmoe/processor/gemm_tile.cuh"
#include "flashmoe/processor/wgmma_tile.cuh"

namespace flashmoe::fused {

// The tile engine of a dtype: tensor cores for bf16/fp16; for fp32, TF32 tensor cores when the layer allows them,
// else exact fp32 on the SIMT cores.
template <typename Element, int kNumB, bool kTf32>
using GemmTileOf = std::conditional_t<std::is_same_v<Element, float> && !kTf32, SimtGemmTile<Element, kNumB>,
                                      MmaGemmTile<Element, kNumB>>;

template <typename Params>
__device__ __forceinline__ bool tf32_allowed(const Params& params) {
    return params.allow_tf32 != 0;
}

// Dynamic shared memory of a processor: the SM80 tiles' ring, or on Hopper for 16-bit data the wgmma ring.
template <typename Element>
__host__ __device__ constexpr size_t processor_shared_bytes(bool wgmma) {
    constexpr size_t tensor_core = GemmTileOf<Element, 2, true>::kSharedBytes;
    constexpr size_t exact = GemmTileOf<Element, 2, false>::kSharedBytes;
    constexpr size_t sm80 = tensor_core > exact ? tensor_core : exact;
    return wgmma && sizeof(Element) == 2 && WgmmaRing::kSharedBytes > sm80 ? WgmmaRing::kSharedBytes : sm80;
}

// Copies the token rows of one row tile into its slots. Padding rows are left as they are: the GEMM tile never reads
// rows at or beyond the tile's valid rows (it zero-fills them in shared memory), so writing zeros there only cost
// bandwidth (up to 63 x H elements per tile: most of the dispatch time at small T). Called by the whole block.
template <typename Element>
__device__ inline void dispatch_row_tile(const KernelParams& params, int tile) {
    constexpr int kVector = kElementsPer16Bytes<Element>;
    const int hidden = params.hidden;
    const int vectors_per_row = hidden / kVector;
    const int valid_rows = params.layout.get_tile_rows_ptr()[tile];
    const int32_t* row_route = params.layout.get_row_route_ptr();
    const Element* x = static_cast<const Element*>(params.x);
    Element* tokens = params.layout.get_tokens_ptr<Element>();
    const int warp_idx = threadIdx.x / 32;
    const int lane_idx = threadIdx.x % 32;
    for (int local_row = warp_idx; local_row < valid_rows; local_row += TileConfig::kWarps) {
        const int64_t row = static_cast<int64_t>(tile) * TileConfig::kBlockM + local_row;
        uint4* destination = reinterpret_cast<uint4*>(tokens + row * hidden);
        const int token = row_route[row] / params.top_k;
        const uint4* source = reinterpret_cast<const uint4*>(x + static_cast<int64_t>(token) * hidden);
        for (int v = lane_idx; v < vectors_per_row; v += 32) destination[v] = __ldg(source + v);
    }
}

// Token-major dispatch (KernelParams::token_dispatch; docs/perf-notes.md item 108): copies tokens [begin, end) of x,
// each to the rows of its k routes (route_row; dropped routes, -1, are skipped). A warp per token: each lane holds the
// row of its route j = lane (k <= 16) and reads each 16-byte vector of the token once, then stores it to every row,
// so x is read once where the tile order reads it k times. Called by the whole block. Out of line, as
// rank_routing_chunk is (docs/perf-notes.md item 123): only launches whose x outgrows the L2 run it.
template <typename Element>
__device__ __noinline__ void dispatch_token_run(const KernelParams& params, int begin, int end) {
    constexpr int kVector = kElementsPer16Bytes<Element>;
    const int hidden = params.hidden;
    const int vectors_per_row = hidden / kVector;
    const int top_k = params.top_k;
    const int32_t* route_row = params.layout.get_route_row_ptr();
    const Element* x = static_cast<const Element*>(params.x);
    Element* tokens = params.layout.get_tokens_ptr<Element>();
    const int warp_idx = threadIdx.x / 32;
    const int lane_idx = threadIdx.x % 32;
    for (int token = begin + warp_idx; token < end; token += TileConfig::kWarps) {
        const int my_row = lane_idx < top_k ? route_row[static_cast<int64_t>(token) * top_k + lane_idx] : -1;
        // Every lane: the k rows, shuffled before the copy loop (which lanes leave apart where H is not 32 vectors).
        int rows[TileConfig::kMaxDispatchTopK];
#pragma unroll
        for (int j = 0; j < TileConfig::kMaxDispatchTopK; ++j) rows[j] = __shfl_sync(0xffffffffu, my_row, j);
        const uint4* source = reinterpret_cast<const uint4*>(x + static_cast<int64_t>(token) * hidden);
        for (int v = lane_idx; v < vectors_per_row; v += 32) {
            const uint4 value = __ldg(source + v);
#pragma unroll
            for (int j = 0; j < TileConfig::kMaxDispatchTopK; ++j) {
                if (j < top_k && rows[j] >= 0) {
                    reinterpret_cast<uint4*>(tokens + static_cast<int64_t>(rows[j]) * hidden)[v] = value;
                }
            }
        }
    }
}

template <typename Element>
__device__ __forceinline__ float load_bias(const void* bias, int64_t index) {
    return bias == nullptr ? 0.0f : to_float(__ldg(static_cast<const Element*>(bias) + index));
}

// Stores two adjacent columns of one row (column even, both valid: valid_n is a multiple of 8) as one vector.
template <typename Value>
__device__ __forceinline__ void store_pair(Value* destination, float first, float second) {
    if constexpr (std::is_same_v<Value, float>) {
        *reinterpret_cast<float2*>(destination) = make_float2(first, second);
    } else if constexpr (std::is_same_v<Value, __half>) {
        *reinterpret_cast<__half2*>(destination) = __floats2half2_rn(first, second);
    } else {
        *reinterpret_cast<__nv_bfloat162*>(destination) = __floats2bfloat162_rn(first, second);
    }
}

// What the GEMM epilogues read of the launch, read by the task before its k-loop and kept in registers (or the
// task's stack frame) across it (docs/perf-notes.md item 58). NOTE: read after the loop, these loads (params is a
// generic pointer in the out-of-line tasks; the loop's barriers and asm keep the compiler from hoisting them) were the
// epilogues' first stall: long scoreboard waits on the first use of hidden, intermediate and the bias pointers.
template <typename Element>
struct Gemm0Out {
    Element* h;          // workspace h [rows][I]
    const void* b_gate;  // [E][I] or null
    const void* b_up;    // [E][I] or null
    int intermediate;
    int activation;
};
template <typename Element>
__device__ __forceinline__ Gemm0Out<Element> gemm0_out(const KernelParams& params) {
    return Gemm0Out<Element>{params.layout.get_hidden_ptr<Element>(), params.b_gate, params.b_up, params.intermediate,
                             params.activation};
}
// Row: float (fp32 rows), or the layer's dtype where the launch stores compact rows (KernelParams::compact_rows: one
// GPU, so never the EP buffers).
template <typename Row>
struct Gemm1Out {
    Row* rows;           // the row tile's output rows, row stride H (on EP: bound for their source)
    const void* b_down;  // [E][H] or null
    int hidden;
};
template <typename Row>
__device__ __forceinline__ Gemm1Out<Row> gemm1_out(const KernelParams& params, int tile) {
    return Gemm1Out<Row>{gemm1_output_tile<Row>(params, tile), params.b_down, params.hidden};
}

// A GEMM1 task's share of K (gemm1_k_parts, types.cuh; docs/perf-notes.md item 78): part `index` of `parts` covers
// K boxes first_box .. first_box + boxes - 1 and stores its rows index * k_part_rows(parts) rows into the row tile's
// output rows, b_down added by part 0 only (the COMBINE adds the parts). One part (index 0): the whole K, as before.
struct Gemm1KPart {
    int index;
    int parts;
    int first_box;
    int boxes;
};
// A GEMM1 task's part, from its split's pieces [piece_begin, piece_end) (gemm1_split): with the launch's K parts
// (gemm1_k_parts: read here from the parameters, not passed, which kept a task's arguments in registers), the task's
// one piece p is (column piece p / k_parts, part p % k_parts), and piece_begin / piece_end become the column piece's.
__device__ __forceinline__ Gemm1KPart gemm1_k_part(const KernelParams& params, int& piece_begin, int& piece_end) {
    const int k_parts = gemm1_k_parts(params);
    const int all_boxes = WgmmaRing::k_boxes(params.intermediate);
    if (k_parts <= 1) return Gemm1KPart{0, 1, 0, all_boxes};
    const int boxes = all_boxes / k_parts;
    const int index = piece_begin % k_parts;
    piece_begin /= k_parts;
    piece_end = piece_begin + 1;
    return Gemm1KPart{index, k_parts, index * boxes, boxes};
}
// The output rows and bias of a part of a row tile's GEMM1.
template <typename Row>
__device__ __forceinline__ Gemm1Out<Row> gemm1_out(const KernelParams& params, int tile, const Gemm1KPart& part) {
    Gemm1Out<Row> out = gemm1_out<Row>(params, tile);
    out.rows += static_cast<int64_t>(part.index * k_part_rows(part.parts)) * out.hidden;
    if (part.index != 0) out.b_down = nullptr;
    return out;
}

// GEMM0's epilogue of (row tile, one 64-column piece of I): h = act(x·W_gate^T + b_gate) ⊙ (x·W_up^T + b_up), or
// act(x·W1^T + b1), rounded to the dtype. Any tile type of the accumulator contract; `acc` is the row tile's
// accumulators[b][i][j] (a wgmma tile's accumulators[r] for its row block r). `narrow` (gated wgmma tiles,
// gemm0_narrow): a piece is kNarrowPieceColumns columns of I, gate in the tile's columns 0..31 of accumulators[0] and
// up in its columns 32..63 (thread column j + 8 is column(j) + 32); accumulators[1] are unused.
// NOTE: rows at or beyond the tile's valid rows are padding: never stored, in h and out alike; nothing reads them
// (the combine follows route_row; GEMM1's rows of them are padding again).
// kActivation is the launch's activation as a constant (store_gemm0_piece chooses it once per piece: with_activation):
// the loop's code is then one straight run of that activation's arithmetic, where a switch per element laid every
// activation's code between the stores. That code runs once per task; at decode ~3/4 of the warp stall samples in
// this epilogue's code were waits for instruction fetches (docs/perf-notes.md item 57).
template <typename Element, bool kGated, int kActivation, typename Tile, typename Accumulators>
__device__ __forceinline__ void store_gemm0_piece_as(const Gemm0Out<Element>& out, int tile, int expert,
                                                     int valid_m, int piece, const Accumulators& acc, bool narrow) {
    constexpr int kNarrowUp = Tile::kColumnsPerThread / 2;  // thread column of the up half (wgmma fragment)
    const int piece_columns = narrow ? TileConfig::kNarrowPieceColumns : TileConfig::kBlockN;
    const int intermediate = out.intermediate;
    const int column_begin = piece * piece_columns;
    // NOTE: narrow: thread columns j >= 8 are column(j) >= 32 >= valid_n, so only the gate half is visited.
    const int valid_n = min(piece_columns, intermediate - column_begin);
    const int64_t row_begin = static_cast<int64_t>(tile) * TileConfig::kBlockM;
    // NOTE: copied to locals: the stores to h below might alias `out` (a reference), and every field read in the loop
    // was reloaded after each store.
    Element* const h = out.h;
    const void* const b_gate = out.b_gate;
    const void* const b_up = out.b_up;
    constexpr int kColumnStep = Tile::kPairedColumns ? 2 : 1;
#pragma unroll
    for (int j = 0; j < Tile::kColumnsPerThread; j += kColumnStep) {
        const int column = Tile::column(j);
        // NOTE: every tile's column(j) grows with j, so the first column past the piece ends the thread's columns:
        // one branch to the loop's end instead of one per remaining column block (narrow pieces skip half).
        if (column >= valid_n) break;
        float bias_up[kColumnStep];
        float bias_gate[kColumnStep];
#pragma unroll
        for (int c = 0; c < kColumnStep; ++c) {
            const int64_t bias_index = static_cast<int64_t>(expert) * intermediate + column_begin + column + c;
            bias_up[c] = load_bias<Element>(b_up, bias_index);
            bias_gate[c] = kGated ? load_bias<Element>(b_gate, bias_index) : 0.0f;
        }
#pragma unroll
        for (int i = 0; i < Tile::kRowsPerThread; ++i) {
            if (Tile::row(i) >= valid_m) continue;
            const int64_t row = row_begin + Tile::row(i);
            float value[kColumnStep];
#pragma unroll
            for (int c = 0; c < kColumnStep; ++c) {
                if constexpr (kGated) {
                    const float up = narrow ? acc[0][i][(j + c + kNarrowUp) % Tile::kColumnsPerThread]
                                            : acc[1][i][j + c];
                    value[c] = apply_activation(kActivation, acc[0][i][j + c] + bias_gate[c]) * (up + bias_up[c]);
                } else {
                    value[c] = apply_activation(kActivation, acc[0][i][j + c] + bias_up[c]);
                }
            }
            Element* destination = h + row * intermediate + column_begin + column;
            if constexpr (kColumnStep == 2) {
                store_pair(destination, value[0], value[1]);
            } else {
                *destination = from_float<Element>(value[0]);
            }
        }
    }
}

template <typename Element, bool kGated, typename Tile, typename Accumulators>
__device__ __forceinline__ void store_gemm0_piece(const Gemm0Out<Element>& out, int tile, int expert, int valid_m,
                                                  int piece, const Accumulators& acc, bool narrow = false) {
    with_activation(out.activation, [&](auto activation) {
        store_gemm0_piece_as<Element, kGated, decltype(activation)::value, Tile>(out, tile, expert, valid_m, piece, acc,
                                                                                 narrow);
    });
}

// GEMM1's epilogue of (row tile, one piece of H from column_begin): rows = h·W_down^T + b_down, kept in fp32 for the
// combine, or rounded to the dtype where the launch stores compact rows (Row; `tile_out`: gemm1_out of the row tile).
// The piece is the tile's kBlockN-column blocks side by side: acc[b] (the accumulator contract's [b][i][j]) holds
// columns column_begin + b·kBlockN onwards (one block, or two for GEMM1's wide pieces). Columns at or past H are not
// stored, nor a block's columns from `block_columns` on (a narrow piece's 32: gemm1_narrow).
template <typename Element, typename Tile, typename Row, typename Accumulators>
__device__ __forceinline__ void store_gemm1_piece(const Gemm1Out<Row>& tile_out, int expert, int valid_m,
                                                  int column_begin, const Accumulators& acc,
                                                  int block_columns = TileConfig::kBlockN) {
    constexpr int kBlocks = static_cast<int>(std::extent_v<Accumulators, 0>);
    const int hidden = tile_out.hidden;
    Row* const out = tile_out.rows;  // NOTE: locals, as in store_gemm0_piece_as
    const void* const b_down = tile_out.b_down;
    constexpr int kColumnStep = Tile::kPairedColumns ? 2 : 1;
#pragma unroll
    for (int b = 0; b < kBlocks; ++b) {
        const int block_begin = column_begin + b * TileConfig::kBlockN;
        const int valid_n = min(block_columns, hidden - block_begin);
#pragma unroll
        for (int j = 0; j < Tile::kColumnsPerThread; j += kColumnStep) {
            const int column = Tile::column(j);
            if (column >= valid_n) continue;
            float bias[kColumnStep];
#pragma unroll
            for (int c = 0; c < kColumnStep; ++c) {
                bias[c] = load_bias<Element>(b_down, static_cast<int64_t>(expert) * hidden + block_begin + column + c);
            }
#pragma unroll
            for (int i = 0; i < Tile::kRowsPerThread; ++i) {
                if (Tile::row(i) >= valid_m) continue;
                Row* destination = out + static_cast<int64_t>(Tile::row(i)) * hidden + block_begin + column;
                if constexpr (kColumnStep == 2) {
                    store_pair(destination, acc[b][i][j] + bias[0], acc[b][i][j + 1] + bias[1]);
                } else {
                    *destination = from_float<Row>(acc[b][i][j] + bias[0]);
                }
            }
        }
    }
}

// One piece of GEMM0 on the SM80 tiles (cp.async + mma.sync, or SIMT for exact fp32).
template <typename Element, bool kGated, bool kTf32>
__device__ inline void run_gemm0_with(const KernelParams& params, const Task& task, int valid_m, int piece,
                                      float* shared) {
    using Tile = GemmTileOf<Element, kGated ? 2 : 1, kTf32>;
    const int hidden = params.hidden;
    const int intermediate = params.intermediate;
    const int column_begin = piece * TileConfig::kBlockN;
    const int valid_n = min(TileConfig::kBlockN, intermediate - column_begin);
    const int64_t weight_offset = (static_cast<int64_t>(task.expert) * intermediate + column_begin) * hidden;
    const Element* a = gemm0_input_tile<Element>(params, task.tile);
    Tile tile;
    if constexpr (kGated) {
        const Element* const b[2] = {static_cast<const Element*>(params.w_gate) + weight_offset,
                                     static_cast<const Element*>(params.w_up) + weight_offset};
        tile.run(a, hidden, b, hidden, valid_n, hidden, shared, valid_m);
    } else {
        const Element* const b[1] = {static_cast<const Element*>(params.w_up) + weight_offset};
        tile.run(a, hidden, b, hidden, valid_n, hidden, shared, valid_m);
    }
    store_gemm0_piece<Element, kGated, Tile>(gemm0_out<Element>(params), task.tile, task.expert, valid_m, piece,
                                             tile.accumulators);
}

// One piece of GEMM1 on the SM80 tiles.
template <typename Element, bool kTf32>
__device__ inline void run_gemm1_with(const KernelParams& params, const Task& task, int valid_m, int piece,
                                      float* shared) {
    using Tile = GemmTileOf<Element, 1, kTf32>;
    const int hidden = params.hidden;
    const int intermediate = params.intermediate;
    const int column_begin = piece * TileConfig::kBlockN;
    const int valid_n = min(TileConfig::kBlockN, hidden - column_begin);
    const int64_t row_begin = static_cast<int64_t>(task.tile) * TileConfig::kBlockM;
    const Element* a = params.layout.get_hidden_ptr<Element>() + row_begin * intermediate;
    const Element* const b[1] = {static_cast<const Element*>(params.w_down) +
                                 (static_cast<int64_t>(task.expert) * hidden + column_begin) * intermediate};
    Tile tile;
    tile.run(a, intermediate, b, intermediate, valid_n, intermediate, shared, valid_m);
    store_gemm1_piece<Element, Tile>(gemm1_out<float>(params, task.tile), task.expert, valid_m, column_begin,
                                     tile.accumulators);
}

// Whether this compilation pass runs the Hopper tiles for Element: sm_90a device code, 16-bit data, one GPU (the
// expert-parallel library keeps the SM80 tiles: its A rows live in the symmetric region, which has no tensor map).
template <typename Element>
__host__ __device__ constexpr bool wgmma_path_compiled() {
    return FLASHMOE_WGMMA && sizeof(Element) == 2 && !ep_enabled(KernelParams{});
}

// Hopper tiles: the A box of a row tile of `rows` valid rows, the shortest that holds them (docs/perf-notes.md
// item 25): the index of a short box (TmaMaps::tokens_short, hidden_short), or -1 for the full 64 rows.
__device__ __forceinline__ int short_a_box(const KernelParams& params, int rows) {
#pragma unroll
    for (int i = 0; i < TileConfig::kShortABoxes; ++i) {
        if (rows <= short_a_box_rows(i) && short_a_box_rows(i) <= params.tma.short_a_rows) return i;
    }
    return -1;
}
__device__ __forceinline__ int a_box_bytes(int short_box) {
    return (short_box < 0 ? TileConfig::kBlockM : short_a_box_rows(short_box)) * WgmmaRing::kBoxBytesK;
}

// Hopper tiles: the L2 policy of a row tile's weight boxes (docs/perf-notes.md item 26). EVICT_FIRST when the tile is
// its expert's only one (fewer than kBlockM valid rows, and the tile before it belongs to another expert:
// `first_of_expert()`, asked only then): no other tile of the launch reads those weights, so streaming them need not
// evict what the launch and the next one read again (the OS block's routes and code, x, the workspace). EVICT_NORMAL
// otherwise.
template <typename FirstOfExpert>
__device__ __forceinline__ uint64_t weight_cache_hint(const KernelParams& params, int rows,
                                                      FirstOfExpert first_of_expert) {
    constexpr uint64_t kNormal = static_cast<uint64_t>(cute::TMA::CacheHintSm90::EVICT_NORMAL);
    constexpr uint64_t kFirst = static_cast<uint64_t>(cute::TMA::CacheHintSm90::EVICT_FIRST);
    if (params.tma.evict_first == 0 || rows >= TileConfig::kBlockM) return kNormal;
    return first_of_expert() ? kFirst : kNormal;
}

// What a GEMM task reads of its row tile and the launch before its first load, read by the caller and passed in
// registers. NOTE: the GEMM tasks run out of line (their own registers: docs/perf-notes.md item 32), where params is a
// generic pointer and each field a generic load; the kernel reads it from the constant bank. Reading these in the
// task cost ~3 us at T = 1 (a chain of dependent loads before the first TMA copy of every task).
struct GemmTaskSetup {
    uint64_t b_hint;  // weight_cache_hint (Hopper tiles)
    int rows;         // gemm_tile_rows: the row tile's valid rows (every epilogue)
    int short_box;    // short_a_box (Hopper tiles)
    bool hopper;      // params.tma.enabled
};
// A task's setup for a row tile of `rows` valid rows; `first_of_expert()`: whether the tile before it belongs to
// another expert (weight_cache_hint).
template <typename FirstOfExpert>
__device__ __forceinline__ GemmTaskSetup gemm_task_setup(const KernelParams& params, int rows,
                                                         FirstOfExpert first_of_expert) {
    GemmTaskSetup setup{static_cast<uint64_t>(cute::TMA::CacheHintSm90::EVICT_NORMAL), rows, -1,
                        params.tma.enabled != 0};
    if (setup.hopper) {
        setup.short_box = short_a_box(params, setup.rows);
        setup.b_hint = weight_cache_hint(params, setup.rows, first_of_expert);
    }
    return setup;
}
// The same from the slot assignment's tile metadata (after the routing's acquire).
__device__ __forceinline__ GemmTaskSetup gemm_task_setup(const KernelParams& params, const Task& task) {
    return gemm_task_setup(params, gemm_tile_rows(params, task.tile), [&] {
        return task.tile == 0 || params.layout.get_tile_expert_ptr()[task.tile - 1] != task.expert;
    });
}

// The acquires of a GEMM task's A rows on one GPU, by its thread 0 (direct releases: the task was released before its
// inputs were complete). False when the launch is aborting (a timeout noted: note_timeout, item 124).
// GEMM0 (gemm0_released_direct): row tiles tile .. tile + tiles - 1 dispatched, by their dispatch flags or the count
// of processors through their dispatch loop, after which `all_dispatched` (thread 0's, across its tasks) is set and no
// more is checked.
__device__ inline bool acquire_dispatched(const KernelParams& params, uint32_t epoch, int tile, int tiles,
                                          bool& all_dispatched) {
    if (all_dispatched) return true;
    const uint64_t limit_ns = params.task_timeout_ns;
    if (params.token_dispatch != 0) {
        // Token-major (item 108): no tile is complete before every processor's dispatch. NOTE: such a wait ends: a
        // processor in its dispatch loop waits on nothing.
        all_dispatched = wait_epoch_count<true>(params, epoch,
                                                &params.layout.get_control_ptr()->processors_dispatched,
                                                static_cast<uint32_t>(params.num_processors), limit_ns,
                                                Role::kProcessor, WaitWhat::kDispatch, gemm_tile_expert(params, tile),
                                                tile);
        return all_dispatched;
    }
    const uint32_t* dispatch_flag = params.layout.get_dispatch_flag_ptr();
    // NOTE: relaxed loads issued together, then an acquire load of what decided (the count, or each flag seen set; a
    // flag waited for is acquired by its wait): no fence (wait_epoch_count, docs/perf-notes.md item 134).
    const uint64_t processors = load_relaxed(&params.layout.get_control_ptr()->processors_dispatched);
    const uint32_t first = load_relaxed(dispatch_flag + tile);
    const uint32_t second = tiles > 1 ? load_relaxed(dispatch_flag + tile + 1) : epoch;
    all_dispatched = epoch_count(processors, epoch) == static_cast<uint32_t>(params.num_processors);
    if (!all_dispatched) {
        // NOTE: such a wait ends: every row tile was claimed by a processor that copies it without waiting.
        for (int t = 0; t < tiles; ++t) {
            if ((t == 0 ? first : second) != epoch) {
                if (!wait_equals<true>(params, epoch, dispatch_flag + tile + t, epoch, limit_ns, Role::kProcessor,
                                       WaitWhat::kDispatch, gemm_tile_expert(params, tile + t), tile + t)) {
                    return false;
                }
            } else {
                (void)load_acquire(dispatch_flag + tile + t);  // NOTE: a set flag keeps this launch's epoch
            }
        }
    } else {
        // NOTE: the count is final once every processor is through its dispatch loop
        (void)load_acquire(&params.layout.get_control_ptr()->processors_dispatched);
    }
    return true;
}
// GEMM1 (gemm1_released_direct): the GEMM0 outputs of row tiles tile .. tile + tiles - 1, by their GEMM0 counts
// (`gemm0_tasks` each).
__device__ inline bool acquire_gemm0_done(const KernelParams& params, uint32_t epoch, int tile, int tiles,
                                          uint32_t gemm0_tasks) {
    for (int t = 0; t < tiles; ++t) {
        if (!wait_epoch_count<true>(params, epoch, params.layout.get_gemm0_count_ptr() + tile + t, gemm0_tasks,
                                    params.task_timeout_ns, Role::kProcessor, WaitWhat::kGemm0Done,
                                    gemm_tile_expert(params, tile + t), tile + t)) {
            return false;
        }
    }
    return true;
}
// The acquires above for a task that run_processor's thread 0 makes before the task (pairs; GEMM0 before every
// dispatch is seen, or GEMM1 released directly, where early weights are off), out of line: a decode launch defers
// them into its tasks (InputWait) and its task loop jumps over this code (docs/perf-notes.md item 125). False when the
// launch is aborting (a timeout noted).
__device__ __noinline__ inline bool acquire_task_inputs(const KernelParams& params, uint32_t epoch, TaskType type,
                                                        int tile, uint32_t gemm0_tasks, bool& all_dispatched) {
    const bool pair = type == TaskType::kGemm0Pair || type == TaskType::kGemm1Pair;
    return type == TaskType::kGemm0 || type == TaskType::kGemm0Pair
               ? acquire_dispatched(params, epoch, tile, pair ? 2 : 1, all_dispatched)
               : acquire_gemm0_done(params, epoch, tile, pair ? 2 : 1, gemm0_tasks);
}

// A GEMM task's acquire of its A rows left to the task (docs/perf-notes.md item 72): the processor's thread 0 passes
// it to a Hopper GEMM task of one row tile instead of waiting before the task, and the task's thread 0 waits after
// issuing its first weight boxes (WgmmaTile::run's deferred_a), so the weights load during the wait. kind kNone: the
// rows were acquired before the task (or need no acquire). The same value reaches every thread of the block;
// `all_dispatched` points at thread 0's flag, and only thread 0 acquires.
struct InputWait {
    enum Kind : int32_t { kNone = 0, kDispatched = 1, kGemm0Done = 2 };
    int32_t kind;
    uint32_t gemm0_tasks;  // kGemm0Done: GEMM0 tasks per row tile
    bool* all_dispatched;  // kDispatched: acquire_dispatched's flag (thread 0's)
    __device__ __forceinline__ bool deferred() const { return kind != kNone; }  // WgmmaTile::run's deferred_a
};
// Thread 0 of a task of row tile `tile`, inside WgmmaTile::run. False when the launch is aborting (recorded).
__device__ inline bool acquire_inputs(const KernelParams& params, uint32_t epoch, const InputWait& wait, int tile) {
    if (wait.kind == InputWait::kDispatched) return acquire_dispatched(params, epoch, tile, 1, *wait.all_dispatched);
    if (wait.kind == InputWait::kGemm0Done) return acquire_gemm0_done(params, epoch, tile, 1, wait.gemm0_tasks);
    return true;
}

// A Hopper GEMM0 task's weight boxes: B0 = W_gate and B1 = W_up side by side (gated), or B0 = W1; narrow pieces: 32
// rows of each (landing together in B0's 64 rows, or in the swapped tile's one region); piece p's boxes start at
// row(p) of the maps.
template <bool kGated>
struct Gemm0Weights {
    const TmaDescriptor* maps[2];
    int piece_columns;
    int64_t expert_row;

    __device__ __forceinline__ Gemm0Weights(const TmaMaps& tma, const Task& task, int intermediate, bool narrow)
        : maps{kGated ? (narrow ? &tma.w_gate_narrow : &tma.w_gate) : &tma.w_up,
               narrow ? &tma.w_up_narrow : &tma.w_up},
          piece_columns(narrow ? TileConfig::kNarrowPieceColumns : TileConfig::kBlockN),
          expert_row(static_cast<int64_t>(task.expert) * intermediate) {}
    __device__ __forceinline__ int row(int piece) const { return static_cast<int>(expert_row + piece * piece_columns); }
};

// A Hopper GEMM1 task's weight boxes, of W_down: piece p's box b at row(p, b) (wide pieces: two 64-row boxes side by
// side; narrow pieces: one 32-row box of w_down_narrow).
struct Gemm1Weights {
    const TmaDescriptor* maps[2];
    int piece_columns;
    int64_t expert_row;

    __device__ __forceinline__ Gemm1Weights(const TmaMaps& tma, const Task& task, int hidden, int piece_columns_)
        : maps{piece_columns_ == TileConfig::kNarrowPieceColumns ? &tma.w_down_narrow : &tma.w_down, &tma.w_down},
          piece_columns(piece_columns_),
          expert_row(static_cast<int64_t>(task.expert) * hidden) {}
    __device__ __forceinline__ int row(int piece, int b) const {
        return static_cast<int>(expert_row + piece * piece_columns + b * TileConfig::kBlockN);
    }
};

// A GEMM0 task: pieces [piece_begin, piece_end) of its row tile. False when the launch is aborting. `narrow`: the
// pieces are kNarrowPieceColumns wide (gemm0_narrow: Hopper tiles of a gated MLP only).
template <typename Element, bool kGated>
__device__ __noinline__ bool run_gemm0_task(const KernelParams& params, uint32_t epoch, const Task task,
                                            int piece_begin, int piece_end, bool narrow, const GemmTaskSetup setup,
                                            const InputWait wait, char* shared) {
    if constexpr (wgmma_path_compiled<Element>()) {
        if (setup.hopper) {
            using Tile = WgmmaTile<Element, kGated ? 2 : 1>;
            const TmaMaps& tma = params.tma;
            const Gemm0Weights<kGated> weights(tma, task, params.intermediate, narrow);
            const Gemm0Out<Element> out = gemm0_out<Element>(params);
            Tile tile;
            const bool ok = tile.run(
                params, epoch, shared, setup.short_box < 0 ? &tma.tokens : &tma.tokens_short[setup.short_box],
                task.tile * TileConfig::kBlockM,
                weights.maps, [&](int piece, int) { return weights.row(piece); }, piece_begin, piece_end,
                WgmmaRing::k_boxes(params.hidden),
                [&](int piece) {
                    store_gemm0_piece<Element, kGated, Tile>(out, task.tile, task.expert, setup.rows, piece,
                                                             tile.accumulators[0], narrow);
                },
                narrow,
                a_box_bytes(setup.short_box), setup.b_hint, wait.deferred(),
                [&] { return acquire_inputs(params, epoch, wait, task.tile); });
            // NOTE: h goes to GEMM1's TMA loads (the async proxy) in other blocks.
            detail::fence_proxy_async_global();
            return ok;
        }
    }
    if (narrow) __trap();  // NOTE: unreachable: narrow pieces imply the Hopper tiles (params.tma.enabled)
    if (wait.deferred()) __trap();  // NOTE: unreachable: a deferred acquire implies the Hopper tiles
    for (int piece = piece_begin; piece < piece_end; ++piece) {
        if constexpr (std::is_same_v<Element, float>) {
            if (!tf32_allowed(params)) {
                run_gemm0_with<Element, kGated, false>(params, task, setup.rows, piece, reinterpret_cast<float*>(shared));
                continue;
            }
        }
        run_gemm0_with<Element, kGated, true>(params, task, setup.rows, piece, reinterpret_cast<float*>(shared));
    }
    return true;
}

// A paired GEMM0 task (gemm0_paired, docs/perf-notes.md item 33): pieces [piece_begin, piece_end) of row tiles
// task.tile and task.tile + 1 of one expert, in one 128-row pass over each weight box (the gated Hopper tile only). The
// first tile is full (an expert's tiles are full but its last); `second_rows` are the second's valid rows. False when
// the launch is aborting.
template <typename Element>
__device__ __noinline__ bool run_gemm0_pair_task(const KernelParams& params, uint32_t epoch, const Task task,
                                                 int piece_begin, int piece_end, const GemmTaskSetup setup,
                                                 int second_rows, char* shared) {
    if constexpr (wgmma_path_compiled<Element>()) {
        using Tile = WgmmaTile<Element, 2, 2>;
        const TmaMaps& tma = params.tma;
        const Gemm0Weights<true> weights(tma, task, params.intermediate, false);
        const Gemm0Out<Element> out = gemm0_out<Element>(params);
        Tile tile;
        const bool ok = tile.run(
            params, epoch, shared, &tma.tokens_pair, task.tile * TileConfig::kBlockM, weights.maps,
            [&](int piece, int) { return weights.row(piece); }, piece_begin, piece_end,
            WgmmaRing::k_boxes(params.hidden),
            [&](int piece) {
                store_gemm0_piece<Element, true, Tile>(out, task.tile, task.expert, setup.rows, piece,
                                                       tile.accumulators[0]);
                store_gemm0_piece<Element, true, Tile>(out, task.tile + 1, task.expert, second_rows, piece,
                                                       tile.accumulators[1]);
            },
            false, Tile::kABytes, setup.b_hint);
        // NOTE: h goes to GEMM1's TMA loads (the async proxy) in other blocks.
        detail::fence_proxy_async_global();
        return ok;
    }
    __trap();  // NOTE: unreachable: paired tasks imply the Hopper tiles (params.tma.enabled)
    return false;
}

// Calls f with a value of the launch's GEMM1 row type (Gemm1Out): the dtype where the launch stores compact rows
// (KernelParams::compact_rows, set only where the Hopper tiles run), float otherwise. Each GEMM1 task function is
// instantiated for both, so a launch of fp32 rows runs the code it ran before compact rows existed (docs/perf-notes.md
// item 90: the row format chosen per load or per piece inside one function cost decode).
template <typename Element, typename F>
__device__ __forceinline__ bool with_row_type(const KernelParams& params, F&& f) {
    if constexpr (wgmma_path_compiled<Element>()) {
        if (params.compact_rows != 0) return f(Element{});
    }
    return f(float{});
}

// A GEMM1 task: pieces [piece_begin, piece_end) of its row tile, of `piece_columns` (the split's) columns of H. False
// when the launch is aborting. Wide pieces (2 x kBlockN: gemm1_wide, Hopper tiles only) are one m64n128 pass over two
// 64-row boxes of W_down; narrow ones (kNarrowPieceColumns: gemm1_narrow, Hopper tiles only) an m64n64 pass over one
// 32-row box whose other 32 columns are not stored. With K parts (gemm1_k_part; Hopper tiles only) the task's one
// piece is a column piece's part. Row: the output rows' type (float, or Element for compact rows: Hopper tiles only).
template <typename Element, typename Row>
__device__ __noinline__ bool run_gemm1_task(const KernelParams& params, uint32_t epoch, const Task task,
                                            int piece_begin, int piece_end, int piece_columns,
                                            const GemmTaskSetup setup, const InputWait wait, char* shared) {
    const bool wide = piece_columns == 2 * TileConfig::kBlockN;
    const bool narrow = piece_columns == TileConfig::kNarrowPieceColumns;
    const Gemm1KPart part = gemm1_k_part(params, piece_begin, piece_end);
    if constexpr (wgmma_path_compiled<Element>()) {
        if (setup.hopper) {
            const Gemm1Weights weights(params.tma, task, params.hidden, piece_columns);
            const int short_box = setup.short_box;
            const TmaDescriptor* map_a = short_box < 0 ? &params.tma.hidden : &params.tma.hidden_short[short_box];
            const Gemm1Out<Row> out = gemm1_out<Row>(params, task.tile, part);
            if (wide) {
                constexpr int kWideColumns = 2 * TileConfig::kBlockN;
                WgmmaTile<Element, 2> tile;
                tile.k_first = part.first_box;
                return tile.run(
                    params, epoch, shared, map_a, task.tile * TileConfig::kBlockM, weights.maps,
                    [&](int piece, int b) { return weights.row(piece, b); }, piece_begin, piece_end, part.boxes,
                    [&](int piece) {
                        store_gemm1_piece<Element, decltype(tile)>(out, task.expert, setup.rows, piece * kWideColumns,
                                                                   tile.accumulators[0]);
                    },
                    false, a_box_bytes(short_box), setup.b_hint, wait.deferred(),
                    [&] { return acquire_inputs(params, epoch, wait, task.tile); });
            }
            WgmmaTile<Element, 1> tile;
            tile.k_first = part.first_box;
            return tile.run(
                params, epoch, shared, map_a, task.tile * TileConfig::kBlockM, weights.maps,
                [&](int piece, int b) { return weights.row(piece, b); }, piece_begin, piece_end, part.boxes,
                [&](int piece) {
                    store_gemm1_piece<Element, decltype(tile)>(out, task.expert, setup.rows, piece * piece_columns,
                                                               tile.accumulators[0], piece_columns);
                },
                narrow, a_box_bytes(short_box), setup.b_hint, wait.deferred(),
                [&] { return acquire_inputs(params, epoch, wait, task.tile); });
        }
    }
    if (wide || narrow || part.parts > 1) __trap();  // NOTE: unreachable: wide and narrow pieces and K parts imply
                                                     // the Hopper tiles
    if constexpr (!std::is_same_v<Row, float>) {
        __trap();  // NOTE: unreachable: compact rows imply the Hopper tiles (compact_rows_launch)
        return false;
    }
    if (wait.deferred()) __trap();  // NOTE: unreachable: a deferred acquire implies the Hopper tiles
    for (int piece = piece_begin; piece < piece_end; ++piece) {
        if constexpr (std::is_same_v<Element, float>) {
            if (!tf32_allowed(params)) {
                run_gemm1_with<Element, false>(params, task, setup.rows, piece, reinterpret_cast<float*>(shared));
                continue;
            }
        }
        run_gemm1_with<Element, true>(params, task, setup.rows, piece, reinterpret_cast<float*>(shared));
    }
    return true;
}

// A paired GEMM1 task (gemm1_paired, docs/perf-notes.md item 34): wide pieces [piece_begin, piece_end) (2 x kBlockN
// columns of H each) of row tiles task.tile and task.tile + 1 of one expert, in one 128-row pass over each pair of
// W_down boxes. `second_rows`: the second tile's valid rows (the first is full). False when the launch is aborting.
// Row: as run_gemm1_task's.
template <typename Element, typename Row>
__device__ __noinline__ bool run_gemm1_pair_task(const KernelParams& params, uint32_t epoch, const Task task,
                                                 int piece_begin, int piece_end, const GemmTaskSetup setup,
                                                 int second_rows, char* shared) {
    if constexpr (wgmma_path_compiled<Element>()) {
        using Tile = WgmmaTile<Element, 2, 2>;
        constexpr int kWideColumns = 2 * TileConfig::kBlockN;
        const TmaMaps& tma = params.tma;
        const Gemm1Weights weights(tma, task, params.hidden, kWideColumns);
        const Gemm1Out<Row> out[2] = {gemm1_out<Row>(params, task.tile), gemm1_out<Row>(params, task.tile + 1)};
        Tile tile;
        return tile.run(
            params, epoch, shared, &tma.hidden_pair, task.tile * TileConfig::kBlockM, weights.maps,
            [&](int piece, int b) { return weights.row(piece, b); }, piece_begin, piece_end,
            WgmmaRing::k_boxes(params.intermediate),
            [&](int piece) {
                store_gemm1_piece<Element, Tile>(out[0], task.expert, setup.rows, piece * kWideColumns,
                                                 tile.accumulators[0]);
                store_gemm1_piece<Element, Tile>(out[1], task.expert, second_rows, piece * kWideColumns,
                                                 tile.accumulators[1]);
            },
            false, Tile::kABytes, setup.b_hint);
    }
    __trap();  // NOTE: unreachable: paired tasks imply the Hopper tiles (params.tma.enabled)
    return false;
}

// Swap-AB decode tiles (docs/perf-notes.md item 71). A row tile of at most 16 valid rows (its A through the 16-row
// short box, short_a_box 0) runs its GEMM tasks with the operands swapped: each 64-row weight box is the wgmma's A
// (M = 64 output columns) and the tile's 16 token rows are its B (N = 16), so a k16 step is one m64n16k16 per weight
// box where the 64-row tile issues an m64n128k16 of 48 or more padding rows (WgmmaTile's kSwapTokens). The pieces,
// the tasks and what every column's result depends on stay as they are (one fixed-K-order pass per piece). Only in
// launches of few rows per tile (swap_ab_launch, item 77). FLASHMOE_DISABLE_SWAP_AB=1 keeps the 64-row tiles (A/B).
static_assert(short_a_box_rows(0) == 16, "the swapped tile's 16 tokens are short box 0's rows");
__device__ __forceinline__ bool swap_ab_task(const KernelParams& params, const GemmTaskSetup& setup,
                                             int num_row_tiles) {
    return setup.hopper && setup.short_box == 0 && params.tma.swap_ab != 0 &&
           swap_ab_launch(static_cast<int64_t>(params.num_tokens) * params.top_k, num_row_tiles);
}

// GEMM0's epilogue on the swapped fragment: register r of weight box b is (token swapped_row(r), column
// swapped_column(r) of the box). Gated: gate and up of a column are the same register of boxes 0 and 1 (`first`,
// `second`); narrow pieces (both 32-row halves in box 0, `first`: gate in the box's rows 0..31, held by warps 0-1, up
// in rows 32..63, warps 2-3) pass the up values through `exchange` to the warps holding the gate. Ungated: `first`.
// Rows past valid_m and columns past the piece are padding, not stored. One element per store: a thread's columns
// are 8 apart.
template <typename Element, bool kGated, int kActivation, typename Tile>
__device__ __forceinline__ void store_gemm0_swapped_as(const Gemm0Out<Element>& out, int tile, int expert,
                                                       int valid_m, int piece,
                                                       const float (&first)[Tile::kSwappedAccumulators],
                                                       const float (&second)[Tile::kSwappedAccumulators], bool narrow,
                                                       float (*exchange)[32]) {
    constexpr int kRegisters = Tile::kSwappedAccumulators;
    const int piece_columns = narrow ? TileConfig::kNarrowPieceColumns : TileConfig::kBlockN;
    const int intermediate = out.intermediate;
    const int column_begin = piece * piece_columns;
    const int valid_n = min(piece_columns, intermediate - column_begin);
    const int64_t row_begin = static_cast<int64_t>(tile) * TileConfig::kBlockM;
    Element* const h = out.h;  // NOTE: locals, as in store_gemm0_piece_as
    const void* const b_gate = out.b_gate;
    const void* const b_up = out.b_up;
    const int warp = static_cast<int>(threadIdx.x) / 32;
    const int lane = static_cast<int>(threadIdx.x) % 32;
    float up[kRegisters];
#pragma unroll
    for (int r = 0; r < kRegisters; ++r) up[r] = kGated ? second[r] : first[r];
    if constexpr (kGated) {
        if (narrow) {
            // NOTE: every thread reaches this barrier (narrow is the launch's); the exchange is next written in the
            // next piece's epilogue, after the k-loop's block-wide vote.
            if (warp >= 2) {
#pragma unroll
                for (int r = 0; r < kRegisters; ++r) exchange[(warp - 2) * kRegisters + r][lane] = first[r];
            }
            processor_sync();
            if (warp >= 2) return;
#pragma unroll
            for (int r = 0; r < kRegisters; ++r) up[r] = exchange[warp * kRegisters + r][lane];
        }
    }
    // The thread's two columns (rows g and g + 8 of its warp's 16 in the box): bias loads once per column.
#pragma unroll
    for (int half = 0; half < 2; ++half) {
        const int column = Tile::swapped_column(2 * half);
        if (column >= valid_n) continue;
        const int64_t bias_index = static_cast<int64_t>(expert) * intermediate + column_begin + column;
        const float bias_up = load_bias<Element>(b_up, bias_index);
        const float bias_gate = kGated ? load_bias<Element>(b_gate, bias_index) : 0.0f;
#pragma unroll
        for (int r = 0; r < kRegisters; ++r) {
            if ((r % 4) / 2 != half) continue;
            const int row = Tile::swapped_row(r);
            if (row >= valid_m) continue;
            float value;
            if constexpr (kGated) {
                value = apply_activation(kActivation, first[r] + bias_gate) * (up[r] + bias_up);
            } else {
                value = apply_activation(kActivation, up[r] + bias_up);
            }
            h[(row_begin + row) * intermediate + column_begin + column] = from_float<Element>(value);
        }
    }
}

// Bytes [begin, end) after `base` prefetched into the L2 by the calling thread, in bulk prefetches of at most 32 KB
// (the bounds whole 16-byte units, `base` 16-byte aligned: the weights are, where the Hopper tiles run).
__device__ __forceinline__ void prefetch_l2(const char* base, int64_t begin, int64_t end) {
#if FLASHMOE_WGMMA
    constexpr uint32_t kChunk = 32 * 1024;
    for (int64_t offset = begin; offset < end; offset += kChunk) {
        const uint32_t bytes = static_cast<uint32_t>(end - offset < kChunk ? end - offset : kChunk);
        asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;" ::"l"(base + offset), "r"(bytes) : "memory");
    }
#else
    __trap();  // NOTE: unreachable: the prefetches run in swap-AB tasks only, which imply the Hopper tiles
#endif
}

// GEMM1's weights prefetched into the L2 during GEMM0 at decode (KernelParams::gemm1_l2_prefetch, docs/perf-notes.md
// item 88): a swap-AB GEMM0 task of GEMM0 pieces [piece_begin, piece_end) of `num_pieces` (its ColumnSplit's) of
// `expert` prefetches the same fraction of the expert's W_down ([H][I], contiguous), so that the expert's GEMM0 tasks
// together cover all of it once per row tile and GEMM1 reads it from the L2. One lane of warp 1 issues it while
// thread 0 issues the task's weight boxes. The bounds are whole 16-byte units: H · I · 2 is a multiple of 16 (H is
// whole 16-byte chunks).
// NOTE: not the GEMM0 task's own rows the same way: prefetched ahead of its ring they cost decode +15 to +25 % (item
// 89), as per-box prefetches did (item 59).
template <typename Element>
__device__ __noinline__ void prefetch_gemm1_share(const KernelParams& params, int expert, int piece_begin,
                                                  int piece_end, int num_pieces) {
    const int64_t expert_units = static_cast<int64_t>(params.hidden) * params.intermediate * sizeof(Element) / 16;
    prefetch_l2(static_cast<const char*>(params.w_down) + expert * expert_units * 16,
                expert_units * piece_begin / num_pieces * 16, expert_units * piece_end / num_pieces * 16);
}

// Where the one-token prefetches wait for the OS block's count pass (KernelParams::decode_prefetch_hold; perf-notes item
// 116): a warp polls until the OS block has counted the routes (ControlBlock::routes_counted_epoch), or has published
// the slot assignment, or the launch aborts, for at most kAbortCheckAfterNs; false (no prefetch: it is only a hint,
// never a correctness matter) when it gave up. Whole warp; lane 0 polls, relaxed: nothing is read through the flag.
__device__ __noinline__ inline bool routes_counted(const KernelParams& params, uint32_t epoch) {
    bool counted = false;
    if (threadIdx.x % 32 == 0) {
        const ControlBlock* control = params.layout.get_control_ptr();
        const WaitClock clock(kAbortCheckAfterNs);
        while (!(counted = load_relaxed(&control->routes_counted_epoch) == epoch ||
                           load_relaxed(&control->routing_epoch) == epoch) &&
               !is_aborted(params, epoch) && !clock.expired()) {
            __nanosleep(32);
        }
    }
    return __shfl_sync(0xffffffffu, counted, 0);
}

// The launch's TMA tensor maps into the SM's descriptor cache (prefetch.tensormap), so that a task's first copy
// through each map does not wait for its descriptor's fetch (docs/perf-notes.md item 138). One thread, at the
// processor's start, while it waits for the slot assignment; only a hint.
__device__ __forceinline__ void prefetch_tma_maps(const TmaMaps& tma) {
#if FLASHMOE_WGMMA
    const TmaDescriptor* maps[] = {&tma.tokens,        &tma.hidden,        &tma.w_gate,     &tma.w_up,
                                   &tma.w_down,        &tma.w_gate_narrow, &tma.w_up_narrow, &tma.w_down_narrow,
                                   &tma.tokens_pair,   &tma.hidden_pair};
#pragma unroll
    for (const TmaDescriptor* map : maps) {
        asm volatile("prefetch.tensormap [%0];" ::"l"(map) : "memory");
    }
#pragma unroll
    for (int i = 0; i < TileConfig::kShortABoxes; ++i) {
        asm volatile("prefetch.tensormap [%0];" ::"l"(&tma.tokens_short[i]) : "memory");
        asm volatile("prefetch.tensormap [%0];" ::"l"(&tma.hidden_short[i]) : "memory");
    }
#endif
}

// A launch's row tiles as the slot assignment lays them out (os/routing.cuh assign_slots), found by a warp from the
// routes themselves: with at most 32 routes (a lane each) every expert reached keeps one row tile (its routes, at most
// 32, capped at the capacity, which must be at least 1 for the expert to keep any), and row tile i is the i-th
// smallest of those experts. Row r of a tile is its expert's r-th route in route order (rank_routes: ranks follow
// route order; routes ranked at or past the capacity are dropped). Only valid routes count, as the slot assignment
// counts them (route_check.cuh). Lane j (j < T·k) gets route j's expert and its expert's routes (`peers`), and where
// it is its expert's first route (`leader`) the expert's row tile and rows; every lane gets the tile count. Called by
// a whole warp. For decode_prefetch_launch (item 114: T = 1, k <= 8) and early_gemm0_launch (items 144, 146: T·k <=
// 32).
struct DecodeTiles {
    int expert;      // route lane's expert, or -1 (no route, or an invalid one)
    uint32_t peers;  // the lanes (routes) of that expert, in route order
    bool leader;     // the lane is its expert's first route and the expert keeps a row tile
    int tile;        // leader: the expert's row tile
    int rows;        // leader: the row tile's valid rows
    int tiles;       // the launch's row tiles
};
__device__ __forceinline__ DecodeTiles decode_tiles(const KernelParams& params) {
    const int lane_idx = static_cast<int>(threadIdx.x) % 32;
    const int routes = params.num_tokens * params.top_k;  // <= 32 (the callers' rules)
    const int expert =
        lane_idx < routes ? checked_route_expert(params.topk_ids, params.topk_weights, lane_idx, params.num_experts)
                          : -1;
    const uint32_t peers = __match_any_sync(0xffffffffu, expert);
    const bool leader = expert >= 0 && params.capacity > 0 && lane_idx == __ffs(peers) - 1;
    const uint32_t leaders = __ballot_sync(0xffffffffu, leader);
    int tile = 0;
    for (int lane = 0; lane < 32; ++lane) {
        const int other = __shfl_sync(0xffffffffu, expert, lane);
        tile += (leaders >> lane & 1u) != 0 && other < expert ? 1 : 0;
    }
    return DecodeTiles{expert, peers, leader, tile, min(__popc(peers), params.capacity), __popc(leaders)};
}

// GEMM0 task `index` of the launch in queue_gemm0_direct's order for decode_tiles' row tiles (groups of one tile):
// column task index % per_tile of row tile index / per_tile, of that tile's expert; kExit past the last task, with
// `lane` -1, else the lane that leads the tile's expert (its rows and routes). Called by the whole warp.
__device__ __forceinline__ Task decode_gemm0_task(const DecodeTiles& tiles, int per_tile, int index, int& lane) {
    const int tile = index / per_tile;
    const uint32_t owner = __ballot_sync(0xffffffffu, tiles.leader && tiles.tile == tile);
    lane = owner == 0 ? -1 : __ffs(owner) - 1;
    if (owner == 0) return Task{static_cast<int32_t>(TaskType::kExit), -1, -1, -1};
    return Task{static_cast<int32_t>(TaskType::kGemm0), tile, index - tile * per_tile,
                __shfl_sync(0xffffffffu, tiles.expert, lane)};
}

// An early launch's GEMM0 task, run before the slot assignment is out (KernelParams::early_gemm0; docs/perf-notes.md
// items 144, 146). The launch's GEMM0 tasks are tiles x per-tile, in queue_gemm0_direct's order (task t: column task t %
// per-tile of row tile t / per-tile); where the processors cover them all, processor p runs task p itself, and the
// task loop's tickets start after them. Called by a whole warp; lane 0's result is the processor's.
// (An aggregate without member initializers: processor.cuh shares it through a __shared__ variable.)
struct EarlyGemm0 {
    int tickets;      // GEMM0 tasks the launch runs early (all of them), or 0: none
    int tiles;        // the launch's row tiles (tickets > 0)
    Task task;        // processor p < tickets: task p (kNone where it is the withheld task, as write_queue_entry makes
                      // it); else kExit
    int rows;         // its row tile's valid rows
    uint32_t routes;  // its row tile's routes (lanes of decode_tiles), in route order: row r is the r-th
};
// No early task: a launch off the early path, or a processor past the GEMM0 tasks.
__device__ __forceinline__ EarlyGemm0 no_early_gemm0() {
    return EarlyGemm0{0, 0, Task{static_cast<int32_t>(TaskType::kExit), -1, -1, -1}, 0, 0u};
}
// `tile_meta` (shared, kMaxEarlyTiles entries): where the path is taken, entry t of each of the launch's row tiles is
// set to its (expert, valid rows), for the task loop's GEMM1 tasks of the launch (item 147).
constexpr int kMaxEarlyTiles = 32;  // an early launch's row tiles: at most one a route (early_gemm0_launch)
__device__ __forceinline__ EarlyGemm0 early_gemm0_task(const KernelParams& params, int processor_idx, int2* tile_meta) {
    EarlyGemm0 early = no_early_gemm0();
    const DecodeTiles tiles = decode_tiles(params);
    if (tiles.tiles == 0) return early;
    const int per_tile = gemm0_split(params, tiles.tiles).num_tasks;
    if (tiles.tiles * per_tile > params.num_processors) return early;  // a task would wait for a processor
    early.tickets = tiles.tiles * per_tile;
    early.tiles = tiles.tiles;
    if (tiles.leader) tile_meta[tiles.tile] = make_int2(tiles.expert, tiles.rows);
    int lane;
    early.task = decode_gemm0_task(tiles, per_tile, processor_idx, lane);
    if (lane < 0) return early;  // processor_idx >= tickets
    if (static_cast<int64_t>(processor_idx) == params.withhold_task) {
        early.task.type = static_cast<int32_t>(TaskType::kNone);
    }
    early.rows = __shfl_sync(0xffffffffu, tiles.rows, lane);
    early.routes = __shfl_sync(0xffffffffu, tiles.peers, lane);
    return early;
}

// An early GEMM0 task's A rows: row r (r < rows) of its row tile of the dispatched tokens is the token of the tile's
// r-th route (`routes`, lanes of decode_tiles: route j is token j / k), where dispatch_row_tile would copy it. Each
// processor of the tile writes the same bytes; early launches skip the dispatch. Called by the whole block; the caller
// fences (async proxy) and synchronises before the task's TMA loads.
// The route of row `row` of an early row tile: the row-th set bit of its `routes` (lanes of decode_tiles, in route
// order; row < popcount). NOTE: a loop that clears the lowest set bits, not __fns: each __fns call site inlined ~900
// instructions (sm_30_intrinsics.hpp) into the kernel, which cost launches that never run them (docs/perf-notes.md
// item 149).
__device__ __forceinline__ int early_row_route(uint32_t routes, int row) {
#pragma unroll 1
    for (int i = 0; i < row; ++i) routes &= routes - 1u;
    return __ffs(static_cast<int>(routes)) - 1;
}

template <typename Element>
__device__ inline void copy_decode_rows(const KernelParams& params, int tile, int rows, uint32_t routes) {
    constexpr int kVector = kElementsPer16Bytes<Element>;
    const int vectors_per_row = params.hidden / kVector;
    const uint4* x = static_cast<const uint4*>(params.x);
    uint4* destination = reinterpret_cast<uint4*>(params.layout.get_tokens_ptr<Element>() +
                                                  static_cast<int64_t>(tile) * TileConfig::kBlockM * params.hidden);
    for (int i = static_cast<int>(threadIdx.x); i < rows * vectors_per_row; i += TileConfig::kThreads) {
        const int row = i / vectors_per_row;
        const int token = early_row_route(routes, row) / params.top_k;  // the row-th route's token
        destination[i] = __ldg(x + static_cast<int64_t>(token) * vectors_per_row + (i - row * vectors_per_row));
    }
}

// One-token launches (KernelParams::decode_prefetch_steps > 0: decode_prefetch_launch, at most 8 routes): warp 1 of
// processor `processor_idx`, before the slot assignment is out, prefetches into the L2 the first decode_prefetch_steps
// loads (piece by piece, K box by K box, as WgmmaTile::run issues them) of the weight boxes of GEMM0 queue entry
// processor_idx: column task processor_idx % per_tile of row tile processor_idx / per_tile (queue_gemm0_direct's order
// for groups of one tile). The processors together prefetch the launch's first wave of GEMM0 tasks, whichever
// processor claims each. The row tiles come from the routes themselves (decode_tiles). Where GEMM0 is not released
// with the slot assignment (FLASHMOE_DISABLE_DIRECT_GEMM0=1: the dispatch subscriber queues it) entry p may be another
// task; the prefetches are then other L2 lines, never a correctness matter. docs/perf-notes.md item 114.
template <typename Element>
__device__ __noinline__ void prefetch_first_gemm0(const KernelParams& params, int processor_idx) {
#if FLASHMOE_WGMMA
    if constexpr (wgmma_path_compiled<Element>()) {
        const int lane_idx = static_cast<int>(threadIdx.x) % 32;
        const DecodeTiles tiles = decode_tiles(params);
        if (tiles.tiles == 0) return;
        const ColumnSplit split = gemm0_split(params, tiles.tiles);
        int lane;
        const Task task = decode_gemm0_task(tiles, split.num_tasks, processor_idx, lane);
        if (lane < 0) return;  // no GEMM0 task first (past the launch's tasks): nothing to prefetch
        if (lane_idx != 0) return;
        // The task's own maps and rows: maps[1] up, maps[0] gate (the gated form's; an ungated MLP loads up alone).
        const Gemm0Weights<true> weights(params.tma, task, params.intermediate,
                                         split.piece_columns != TileConfig::kBlockN);
        const int k_boxes = WgmmaRing::k_boxes(params.hidden);
        const int piece_end = split.piece_end(task.n_tile);
        int piece = split.piece_begin(task.n_tile);
        int k_box = 0;
        for (int load = 0; load < params.decode_prefetch_steps && piece < piece_end; ++load) {
            const int row = weights.row(piece);
            cute::SM90_TMA_LOAD_2D::PREFETCH::copy(weights.maps[1], k_box * WgmmaRing::kBoxElementsK, row);
            if (params.gated) {
                cute::SM90_TMA_LOAD_2D::PREFETCH::copy(weights.maps[0], k_box * WgmmaRing::kBoxElementsK, row);
            }
            if (++k_box == k_boxes) {
                k_box = 0;
                ++piece;
            }
        }
    }
#endif
}

// Debug only (off by default): -DFLASHMOE_TASK_STAMPS makes a swap-AB GEMM task's thread 0 record, in traced launches,
// where its time goes as three WAIT events inside the task: tile -2 from its entry to its inputs acquired (a deferred
// acquire, InputWait; at its entry where the processor acquired them before), -3 from there to its k-loop's end (its
// first epilogue), -4 from there to its return. Written inline (the GEMM tasks may hold no call: C7509). The trace's
// summaries count them as waits; read them from the Chrome-trace JSON (docs/perf-notes.md item 129).
// A deferred acquire is split further (item 130): -5 from the entry to the first stages' weight boxes issued, -6 from
// there to the inputs seen by relaxed loads (a poll of its own before acquire_inputs, which then finds them at once
// and spends its acquire, a fence until item 134 and an acquire load since: -2's rest).
#if defined(FLASHMOE_TASK_STAMPS)
struct TaskStamps {
    const TraceBuffer& trace;
    uint64_t entry = trace_clock();
    uint64_t issued = 0;
    uint64_t seen = 0;
    uint64_t acquired = 0;
    uint64_t kloop_end = 0;

    __device__ explicit TaskStamps(const TraceBuffer& buffer) : trace(buffer) {}
    // Thread 0, in the deferred acquire: the weight boxes are issued; poll (relaxed, bounded) until the inputs are
    // there, as acquire_inputs would.
    __device__ void poll_inputs(const KernelParams& params, uint32_t epoch, const InputWait& wait, int tile) {
        issued = trace_clock();
        const auto there = [&] {
            if (wait.kind == InputWait::kGemm0Done) {
                return epoch_count(load_relaxed(params.layout.get_gemm0_count_ptr() + tile), epoch) ==
                       wait.gemm0_tasks;
            }
            if (wait.kind != InputWait::kDispatched || *wait.all_dispatched) return true;
            const bool all = epoch_count(load_relaxed(&params.layout.get_control_ptr()->processors_dispatched),
                                         epoch) == static_cast<uint32_t>(params.num_processors);
            return all || (params.token_dispatch == 0 && load_relaxed(params.layout.get_dispatch_flag_ptr() + tile) ==
                                                             epoch);
        };
        poll_until<true>(params, epoch, true, params.task_timeout_ns, Role::kProcessor,
                         wait.kind == InputWait::kGemm0Done ? WaitWhat::kGemm0Done : WaitWhat::kDispatch, -1, tile,
                         there);
        seen = trace_clock();
    }
    __device__ void mark_acquired() {
        if (threadIdx.x == 0) acquired = trace_clock();
    }
    __device__ void mark_kloop_end() {
        if (threadIdx.x == 0 && kloop_end == 0) kloop_end = trace_clock();
    }
    __device__ void finish() const {
        if (threadIdx.x != 0 || trace.events == nullptr) return;
        const uint64_t now = trace_clock();
        const uint64_t ready = acquired != 0 ? acquired : entry;
        const uint64_t loop_end = kloop_end != 0 ? kloop_end : now;
        trace_write_event(trace, TraceKind::kWait, -2, entry, ready);
        trace_write_event(trace, TraceKind::kWait, -3, ready, loop_end);
        trace_write_event(trace, TraceKind::kWait, -4, loop_end, now);
        if (issued != 0) {
            trace_write_event(trace, TraceKind::kWait, -5, entry, issued);
            trace_write_event(trace, TraceKind::kWait, -6, issued, seen);
        }
    }
};
#define FLASHMOE_TASK_STAMP(statement) statement
#else
#define FLASHMOE_TASK_STAMP(statement) \
    do {                               \
    } while (0)
#endif

// A GEMM0 task of a swap-AB row tile (swap_ab_task): as run_gemm0_task's Hopper path, on the swapped tile.
template <typename Element, bool kGated>
__device__ __noinline__ bool run_gemm0_swap_task(const KernelParams& params, uint32_t epoch, const Task task,
                                                 int piece_begin, int piece_end, bool narrow,
                                                 const GemmTaskSetup setup, const InputWait wait, char* shared) {
    if constexpr (wgmma_path_compiled<Element>()) {
        constexpr int kRegisters = WgmmaTile<Element, 1, 1, 0, 16>::kSwappedAccumulators;
        __shared__ float exchange[kGated ? 2 * kRegisters : 1][32];  // narrow pieces' up values
        const TmaMaps& tma = params.tma;
        const Gemm0Weights<kGated> weights(tma, task, params.intermediate, narrow);
        const Gemm0Out<Element> out = gemm0_out<Element>(params);
        FLASHMOE_TASK_STAMP(TaskStamps stamps(params.trace));
        // The tile by its B regions (item 74): two for gated 64-column pieces (5 stages), one for narrow pieces and
        // ungated MLPs (9 stages).
        const auto run = [&](auto regions) {
            constexpr int kRegions = decltype(regions)::value;
            using Tile = WgmmaTile<Element, kGated ? 2 : 1, 1, 0, 16, kRegions>;
            Tile tile;
            return tile.run(
                params, epoch, shared, &tma.tokens_short[0], task.tile * TileConfig::kBlockM, weights.maps,
                [&](int piece, int) { return weights.row(piece); }, piece_begin, piece_end,
                WgmmaRing::k_boxes(params.hidden),
                [&](int piece) {
                    FLASHMOE_TASK_STAMP(stamps.mark_kloop_end());
                    with_activation(out.activation, [&](auto activation) {
                        store_gemm0_swapped_as<Element, kGated, decltype(activation)::value, Tile>(
                            out, task.tile, task.expert, setup.rows, piece, tile.accumulators[0],
                            tile.accumulators[kRegions - 1], narrow, exchange);
                    });
                },
                narrow, a_box_bytes(0), setup.b_hint, wait.deferred(), [&] {
                    FLASHMOE_TASK_STAMP(stamps.poll_inputs(params, epoch, wait, task.tile));
                    const bool acquired = acquire_inputs(params, epoch, wait, task.tile);
                    FLASHMOE_TASK_STAMP(stamps.mark_acquired());
                    return acquired;
                });
        };
        bool ok;
        if constexpr (kGated) {
            ok = narrow ? run(std::integral_constant<int, 1>{}) : run(std::integral_constant<int, 2>{});
        } else {
            ok = run(std::integral_constant<int, 1>{});
        }
        // NOTE: h goes to GEMM1's TMA loads (the async proxy) in other blocks.
        detail::fence_proxy_async_global();
        FLASHMOE_TASK_STAMP(stamps.finish());
        return ok;
    }
    __trap();  // NOTE: unreachable: swap-AB tasks imply the Hopper tiles (swap_ab_task)
    return false;
}

// A GEMM1 task of a swap-AB row tile (swap_ab_task): as run_gemm1_task's Hopper path (64-column, wide or narrow
// pieces), on the swapped tile; the epilogue stores register r of box b at (token swapped_row(r), column
// b · 64 + swapped_column(r) of the piece) as a Row (fp32, or the dtype for compact rows), with b_down. A narrow
// piece's 32-row box fills the wgmma's rows 0..31 (warps 0-1); rows 32..63 are not stored. With K parts, a column
// piece's part (gemm1_k_part).
template <typename Element, typename Row>
__device__ __noinline__ bool run_gemm1_swap_task(const KernelParams& params, uint32_t epoch, const Task task,
                                                 int piece_begin, int piece_end, int piece_columns,
                                                 const GemmTaskSetup setup, const InputWait wait, char* shared) {
    if constexpr (wgmma_path_compiled<Element>()) {
        const Gemm1KPart part = gemm1_k_part(params, piece_begin, piece_end);
        const bool narrow = piece_columns == TileConfig::kNarrowPieceColumns;
        const Gemm1Weights weights(params.tma, task, params.hidden, piece_columns);
        // A box's columns stored: 64, or a narrow piece's 32.
        const int block_columns = narrow ? TileConfig::kNarrowPieceColumns : TileConfig::kBlockN;
        const Gemm1Out<Row> out = gemm1_out<Row>(params, task.tile, part);
        FLASHMOE_TASK_STAMP(TaskStamps stamps(params.trace));
        const auto run = [&](auto boxes) {
            constexpr int kBoxes = decltype(boxes)::value;
            using Tile = WgmmaTile<Element, kBoxes, 1, 0, 16>;
            Tile tile;
            tile.k_first = part.first_box;
            return tile.run(
                params, epoch, shared, &params.tma.hidden_short[0], task.tile * TileConfig::kBlockM, weights.maps,
                [&](int piece, int b) { return weights.row(piece, b); }, piece_begin, piece_end, part.boxes,
                [&](int piece) {
                    FLASHMOE_TASK_STAMP(stamps.mark_kloop_end());
                    const int hidden = out.hidden;
                    Row* const rows = out.rows;  // NOTE: locals, as in store_gemm1_piece
                    const void* const b_down = out.b_down;
#pragma unroll
                    for (int b = 0; b < kBoxes; ++b) {
#pragma unroll
                        for (int half = 0; half < 2; ++half) {
                            const int box_column = Tile::swapped_column(2 * half);
                            const int column = piece * piece_columns + b * TileConfig::kBlockN + box_column;
                            if (box_column >= block_columns || column >= hidden) continue;
                            const float bias = load_bias<Element>(b_down, static_cast<int64_t>(task.expert) * hidden +
                                                                              column);
#pragma unroll
                            for (int r = 0; r < Tile::kSwappedAccumulators; ++r) {
                                if ((r % 4) / 2 != half) continue;
                                const int row = Tile::swapped_row(r);
                                if (row >= setup.rows) continue;
                                rows[static_cast<int64_t>(row) * hidden + column] =
                                    from_float<Row>(tile.accumulators[b][r] + bias);
                            }
                        }
                    }
                },
                narrow, a_box_bytes(0), setup.b_hint, wait.deferred(), [&] {
                    FLASHMOE_TASK_STAMP(stamps.poll_inputs(params, epoch, wait, task.tile));
                    const bool acquired = acquire_inputs(params, epoch, wait, task.tile);
                    FLASHMOE_TASK_STAMP(stamps.mark_acquired());
                    return acquired;
                });
        };
        const bool ok = piece_columns == 2 * TileConfig::kBlockN ? run(std::integral_constant<int, 2>{})
                                                                 : run(std::integral_constant<int, 1>{});
        FLASHMOE_TASK_STAMP(stamps.finish());
        return ok;
    }
    __trap();  // NOTE: unreachable: swap-AB tasks imply the Hopper tiles (swap_ab_task)
    return false;
}

// After a row tile's last GEMM1 task (one GPU): each of the tile's valid rows counts its route done for the route's
// token tile (the COMBINE subscriber's readiness). Called by the whole block after acquiring the tile's outputs.
__device__ inline void count_tile_routes_done(const KernelParams& params, uint32_t epoch, int tile) {
    const int row = static_cast<int>(threadIdx.x);
    const bool valid = row < gemm_tile_rows(params, tile);
    const int token_tile =
        valid ? token_tile_of_route(params, params.layout.get_row_route_ptr()[tile * TileConfig::kBlockM + row]) : -1;
    fence_acq_rel_gpu();  // NOTE: each counting lane releases after the tile's outputs it acquired through the barrier
    count_routes_done(params.layout.get_token_done_ptr(), epoch, token_tile, valid);
}

// Stores four adjacent values of one row (column a multiple of 4; H is a multiple of 8) as one vector.
template <typename Element>
__device__ __forceinline__ void store_quad(Element* destination, const float4& value) {
    if constexpr (std::is_same_v<Element, float>) {
        *reinterpret_cast<float4*>(destination) = value;
    } else {
        Element quad[4] = {from_float<Element>(value.x), from_float<Element>(value.y), from_float<Element>(value.z),
                           from_float<Element>(value.w)};
        *reinterpret_cast<uint2*>(destination) = *reinterpret_cast<const uint2*>(quad);
    }
}

constexpr int kCombineMaxTopK = 16;  // the C API's bound on k: a COMBINE token's routes in shared memory
// A COMBINE thread's loads in flight (run_combine's fp32 loop and combine_compact): kCombineColumnsInFlight columns x
// kCombineRoutesInFlight routes, all issued before the first sum. One column at a time (4 loads in flight per thread)
// made a 4-token task take ~35 us for its 256 KB at Qwen3's shape: ~7 GB/s per block, latency-bound; 2 columns x 8
// routes (32 KB per block) ~30 us at T >= 1024; 4 x 8 took 2-3 % off T = 4096 (docs/perf-notes.md item 48).
constexpr int kCombineColumnsInFlight = 4;
constexpr int kCombineRoutesInFlight = 8;
static_assert(kCombineColumnsInFlight * kCombineRoutesInFlight <= 32, "one bit per load in flight");

// run_combine's loop where GEMM1 ran in K parts (gemm1_k_parts(params) > 1; decode only: T * k * k_parts <= kBlockM):
// a thread's float4 column of a token at a time, a route's parts (k_part_rows apart) loaded at once and added in part
// order, then weighted in j order. Out of line: inlined, its code sat in the middle of the kernel's COMBINE and cost
// launches that never run it ~2 us at Qwen3 T = 1 (docs/perf-notes.md item 78). `dry`: the same code with its stores
// off (run_combine's dry pass, item 118).
template <typename Element>
__device__ __noinline__ void combine_parts(const KernelParams& params, Element* y, int token_begin, int num_tokens,
                                           const float* const (*rows)[kCombineMaxTopK],
                                           const float (*weights)[kCombineMaxTopK], int vector_begin,
                                           int slice_vectors, bool dry) {
    constexpr int kMaxParts = TileConfig::kMaxGemm1KParts;
    const int k_parts = gemm1_k_parts(params);
    const int hidden = params.hidden;
    const int top_k = params.top_k;
    const int64_t part_stride = static_cast<int64_t>(k_part_rows(k_parts)) * hidden;
    const int num_items = num_tokens * slice_vectors;
    for (int item = threadIdx.x; item < num_items; item += TileConfig::kThreads) {
        const int token = item / slice_vectors;
        const int column = (vector_begin + item - token * slice_vectors) * 4;
        float4 sum = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
#pragma unroll 2
        for (int j = 0; j < top_k; ++j) {
            const float* source = rows[token][j];
            if (source == nullptr) continue;  // dropped: adds nothing
            float4 part[kMaxParts];
#pragma unroll
            for (int p = 0; p < kMaxParts; ++p) {
                part[p] = p < k_parts ? *reinterpret_cast<const float4*>(source + p * part_stride + column)
                                      : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
            }
            float4 value = part[0];
#pragma unroll
            for (int p = 1; p < kMaxParts; ++p) {
                if (p >= k_parts) break;
                value.x += part[p].x;
                value.y += part[p].y;
                value.z += part[p].z;
                value.w += part[p].w;
            }
            const float weight = weights[token][j];
            sum.x = fmaf(weight, value.x, sum.x);
            sum.y = fmaf(weight, value.y, sum.y);
            sum.z = fmaf(weight, value.z, sum.z);
            sum.w = fmaf(weight, value.w, sum.w);
        }
        if (!dry) store_quad(y + static_cast<int64_t>(token_begin + token) * hidden + column, sum);
    }
}

// A COMBINE thread's item `item` of a slice of `slice_vectors` vectors of `columns` columns from vector
// `vector_begin`, over the task's tokens (`num_items` = tokens x slice_vectors): its token in the tile and first
// column; token -1 past the items.
__device__ __forceinline__ void combine_item(int item, int num_items, int slice_vectors, int vector_begin, int columns,
                                             int& token, int& column) {
    token = item < num_items ? item / slice_vectors : -1;
    column = item < num_items ? (vector_begin + item - token * slice_vectors) * columns : 0;
}

// Two adjacent 16-bit values (the low half first) widened to fp32.
template <typename Element>
__device__ __forceinline__ float2 widen_pair(uint32_t bits) {
    if constexpr (std::is_same_v<Element, __half>) {
        __half2 pair;
        memcpy(&pair, &bits, sizeof(pair));
        return __half22float2(pair);
    } else {
        static_assert(std::is_same_v<Element, __nv_bfloat16>, "compact rows are 16-bit");
        return make_float2(__uint_as_float(bits << 16), __uint_as_float(bits & 0xffff0000u));
    }
}

// run_combine's loop over compact rows (KernelParams::compact_rows: the expert rows in the dtype, row stride H; one
// GPU, Hopper tiles, no K parts; docs/perf-notes.md item 90): as the fp32 loop, on 8-column vectors (16 bytes of a
// row) where that one takes float4 columns, so a thread's 32 loads in flight move the same 512 bytes over twice the
// columns. The slice is cut in 8-column vectors (combine_slice_begin's `columns`). A round's 32 loads are cp.async
// copies into the processor's idle wgmma ring (`shared`; 64 of its 96 KB, slot i of thread t at i · kThreads + t, so
// a warp's copies and reads are consecutive 16-byte words), all issued before the thread waits for them; then each
// route's row is read back, widened to fp32 and weighted in j order, as the fp32 loop does. A dropped or absent route
// copies nothing (a zero-fill of 0 bytes) and adds nothing.
// NOTE: out of line, so launches of fp32 rows keep the COMBINE code they had (inlined, this loop cost Qwen3 T = 1
// +1.6 %). Loads into registers, out of line, were placed each next to its sums by ptxas in every variant tried
// (predicated or not, 4 or 2 vectors in flight, generic or global loads) and waited one by one (Qwen3 T = 4096 -0.5 %
// where inlined loads took -6.6 %; item 90's SASS and call3): copies into shared memory cannot be sunk so.
// NOTE: the ring's stages are written by TMA (the async proxy) in the block's GEMM tasks before and after a COMBINE:
// each thread fences between its generic accesses here and the async proxy's, before and after; the processor's
// barrier after every task orders them across threads. `slices`: combine_slices(params), as run_combine has it.
template <typename Element>
__device__ __noinline__ void combine_compact(const KernelParams& params, Element* y, int token_begin, int num_tokens,
                                             const float* const (*rows)[kCombineMaxTopK],
                                             const float (*weights)[kCombineMaxTopK], int slices, int slice,
                                             char* shared) {
    constexpr int kColumnsInFlight = kCombineColumnsInFlight;
    constexpr int kRoutesInFlight = kCombineRoutesInFlight;
    constexpr int kVector = 8;  // columns of a 16-byte copy
    constexpr int kSlots = kColumnsInFlight * kRoutesInFlight;
    static_assert(kVector * sizeof(Element) == sizeof(uint4), "a vector is one 16-byte copy");
    static_assert(kSlots * TileConfig::kThreads * sizeof(uint4) <= WgmmaRing::kRingBytes, "a round fits the ring");
    const int hidden = params.hidden;
    const int top_k = params.top_k;
    const int vector_begin = combine_slice_begin(hidden, slices, slice, kVector);
    const int slice_vectors = combine_slice_begin(hidden, slices, slice + 1, kVector) - vector_begin;
    const int num_items = num_tokens * slice_vectors;
    const WgmmaRing ring(shared);
    // This thread's slot 0; slot i is i · kThreads 16-byte words further.
    const uint32_t stage_address =
        static_cast<uint32_t>(__cvta_generic_to_shared(reinterpret_cast<uint4*>(ring.stages) + threadIdx.x));
    const Element* const nothing = static_cast<const Element*>(params.y);  // an absent route's source: 0 bytes read
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");  // the ring's TMA writes before, these copies after
    for (int first = threadIdx.x; first < num_items; first += kColumnsInFlight * TileConfig::kThreads) {
        int token[kColumnsInFlight];
        int column[kColumnsInFlight];
        float sum[kColumnsInFlight][kVector];
#pragma unroll
        for (int u = 0; u < kColumnsInFlight; ++u) {
            combine_item(first + u * TileConfig::kThreads, num_items, slice_vectors, vector_begin, kVector, token[u],
                         column[u]);
#pragma unroll
            for (int c = 0; c < kVector; ++c) sum[u][c] = 0.0f;
        }
        for (int j_begin = 0; j_begin < top_k; j_begin += kRoutesInFlight) {
            uint32_t loaded = 0;  // bit u * kRoutesInFlight + r: route j_begin + r of column u exists (not dropped)
#pragma unroll
            for (int u = 0; u < kColumnsInFlight; ++u) {
#pragma unroll
                for (int r = 0; r < kRoutesInFlight; ++r) {
                    const int j = j_begin + r;
                    const Element* row = token[u] >= 0 && j < top_k
                                             ? reinterpret_cast<const Element*>(rows[token[u]][j])
                                             : nullptr;
                    const int slot = u * kRoutesInFlight + r;
                    const uint32_t destination =
                        stage_address + static_cast<uint32_t>(slot * TileConfig::kThreads * sizeof(uint4));
                    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(destination),
                                 "l"(row != nullptr ? row + column[u] : nothing), "r"(row != nullptr ? 16 : 0)
                                 : "memory");
                    if (row != nullptr) loaded |= 1u << slot;
                }
            }
            asm volatile("cp.async.wait_all;\n" ::: "memory");  // this thread's copies (it reads only its own slots)
#pragma unroll
            for (int u = 0; u < kColumnsInFlight; ++u) {
#pragma unroll
                for (int r = 0; r < kRoutesInFlight; ++r) {
                    const int j = j_begin + r;
                    const int slot = u * kRoutesInFlight + r;
                    if (!(loaded >> slot & 1u)) continue;  // dropped or absent: adds nothing
                    const float weight = weights[token[u]][j];
                    uint32_t words[4];
                    asm volatile("ld.shared.v4.u32 {%0, %1, %2, %3}, [%4];\n"
                                 : "=r"(words[0]), "=r"(words[1]), "=r"(words[2]), "=r"(words[3])
                                 : "r"(stage_address +
                                       static_cast<uint32_t>(slot * TileConfig::kThreads * sizeof(uint4)))
                                 : "memory");
#pragma unroll
                    for (int q = 0; q < 4; ++q) {
                        const float2 pair = widen_pair<Element>(words[q]);
                        sum[u][2 * q] = fmaf(weight, pair.x, sum[u][2 * q]);
                        sum[u][2 * q + 1] = fmaf(weight, pair.y, sum[u][2 * q + 1]);
                    }
                }
            }
        }
#pragma unroll
        for (int u = 0; u < kColumnsInFlight; ++u) {
            if (token[u] < 0) continue;
            alignas(16) Element packed[kVector];
#pragma unroll
            for (int c = 0; c < kVector; ++c) packed[c] = from_float<Element>(sum[u][c]);
            *reinterpret_cast<uint4*>(y + static_cast<int64_t>(token_begin + token[u]) * hidden + column[u]) =
                *reinterpret_cast<const uint4*>(packed);
        }
    }
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");  // these accesses before the ring's next TMA writes
}

// run_combine's loop over fp32 rows (no K parts, no compact rows): a thread keeps the loads of kCombineColumnsInFlight
// columns x kCombineRoutesInFlight routes in flight at once (all independent) and only then sums them, in j order.
// `dry`: the same code with its stores off (run_combine's dry pass, item 118). Out of line, so that both passes run
// one copy of the code.
template <typename Element>
__device__ __noinline__ void combine_rows(Element* y, int token_begin, int num_tokens, int hidden, int top_k,
                                          const float* const (*rows)[kCombineMaxTopK],
                                          const float (*weights)[kCombineMaxTopK], int vector_begin,
                                          int slice_vectors, bool dry) {
    constexpr int kColumnsInFlight = kCombineColumnsInFlight;
    constexpr int kRoutesInFlight = kCombineRoutesInFlight;
    const int num_items = num_tokens * slice_vectors;
    for (int first = threadIdx.x; first < num_items; first += kColumnsInFlight * TileConfig::kThreads) {
        int token[kColumnsInFlight];
        int column[kColumnsInFlight];
        float4 sum[kColumnsInFlight];
#pragma unroll
        for (int u = 0; u < kColumnsInFlight; ++u) {
            combine_item(first + u * TileConfig::kThreads, num_items, slice_vectors, vector_begin, 4, token[u],
                         column[u]);
            sum[u] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        }
        for (int j_begin = 0; j_begin < top_k; j_begin += kRoutesInFlight) {
            float4 value[kColumnsInFlight][kRoutesInFlight];
            uint32_t loaded = 0;  // bit u * kRoutesInFlight + r: route j_begin + r of column u exists (not dropped)
#pragma unroll
            for (int u = 0; u < kColumnsInFlight; ++u) {
#pragma unroll
                for (int r = 0; r < kRoutesInFlight; ++r) {
                    const int j = j_begin + r;
                    const float* source = token[u] >= 0 && j < top_k ? rows[token[u]][j] : nullptr;
                    value[u][r] = source != nullptr ? *reinterpret_cast<const float4*>(source + column[u])
                                                    : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
                    if (source != nullptr) loaded |= 1u << (u * kRoutesInFlight + r);
                }
            }
#pragma unroll
            for (int u = 0; u < kColumnsInFlight; ++u) {
#pragma unroll
                for (int r = 0; r < kRoutesInFlight; ++r) {
                    const int j = j_begin + r;
                    if (!(loaded >> (u * kRoutesInFlight + r) & 1u)) continue;  // dropped or absent: adds nothing
                    const float weight = weights[token[u]][j];
                    sum[u].x = fmaf(weight, value[u][r].x, sum[u].x);
                    sum[u].y = fmaf(weight, value[u][r].y, sum[u].y);
                    sum[u].z = fmaf(weight, value[u][r].z, sum[u].z);
                    sum[u].w = fmaf(weight, value[u][r].w, sum[u].w);
                }
            }
        }
#pragma unroll
        for (int u = 0; u < kColumnsInFlight; ++u) {
            if (token[u] >= 0 && !dry) {
                store_quad(y + static_cast<int64_t>(token_begin + token[u]) * hidden + column[u], sum[u]);
            }
        }
    }
}

// COMBINE of column slice task.n_tile of a token tile (combine_slices): y[t] = sum over j = 0..k-1 (in that order) of
// w[t][j] · out[row(t, j)] on the slice's columns, dropped routes contributing nothing, accumulated in fp32 and rounded
// once. A token's k row pointers and weights are looked up once (warp w for token w, lane j for route j, into shared
// memory); then every thread of the block takes float4 columns of the tile's tokens, so a tile of one token (decode)
// still uses the whole block.
// Released direct (combine_released_direct), thread 0 first waits for the token tile's routes to be done (its
// token_done count, as the GEMM1 subscriber's check) while the warps look the routes up, and traces the wait as a
// WAIT event ending at `trace_mark` (thread 0's). False when the launch is aborting (recorded).
// NOTE: looking the routes up once per column step made every COMBINE task latency-bound (~200 us for 16 tokens at
// Qwen3's shape), and one warp per token left three of four warps idle at T = 1 (~10 us for one token's 2048 columns).
// With GEMM1 in K parts (gemm1_k_parts): a route's expert output is the sum of its parts' rows, part s
// s * k_part_rows(k_parts) rows after its row, added in part order before the route's weight multiplies it
// (combine_parts).
template <typename Element>
__device__ inline bool run_combine(const KernelParams& params, uint32_t epoch, const Task& task, uint64_t limit_ns,
                                   uint64_t& trace_mark, uint32_t gemm1_tasks_per_tile, char* shared) {
    constexpr int kMaxTopK = kCombineMaxTopK;
    constexpr int kTokens = TileConfig::kTokensPerCombine;
    static_assert(kTokens <= TileConfig::kWarps, "one warp looks up one token's routes");
    static_assert(kTokens * kMaxTopK <= 64, "by row tiles: two routes a lane of warp 0");
    __shared__ const float* rows[kTokens][kMaxTopK];
    __shared__ float weights[kTokens][kMaxTopK];
    __shared__ int tile_ready;
    const int hidden = params.hidden;
    const int top_k = params.top_k;
    const int32_t* route_row = params.layout.get_route_row_ptr();
    const char* out = reinterpret_cast<const char*>(params.layout.get_expert_out_ptr());
    // NOTE: compact rows (combine_compact) are H elements of the dtype apart, fp32 rows H floats.
    const int row_element_bytes = params.compact_rows != 0 ? sizeof(Element) : sizeof(float);
    const int64_t row_bytes = static_cast<int64_t>(hidden) * row_element_bytes;
    Element* y = static_cast<Element*>(params.y);
    const int token_begin = task.tile * kTokens;
    const int num_tokens = min(params.num_tokens, token_begin + kTokens) - token_begin;
    const int warp_idx = threadIdx.x / 32;
    const int lane_idx = threadIdx.x % 32;
    if (warp_idx < num_tokens && lane_idx < top_k) {
        const int64_t route = static_cast<int64_t>(token_begin + warp_idx) * top_k + lane_idx;
        const int row = route_row[route];
        const float* source = nullptr;
        if (row >= 0) {
            if constexpr (ep_enabled(KernelParams{})) {
                source = ep_returned_row(params, row);
            } else {
                source = reinterpret_cast<const float*>(out + row * row_bytes);
            }
        }
        rows[warp_idx][lane_idx] = source;
        weights[warp_idx][lane_idx] = source != nullptr ? __ldg(params.topk_weights + route) : 0.0f;
    }
    const int slices = combine_slices(params);
    const int vector_begin = combine_slice_begin(hidden, slices, task.n_tile);
    const int slice_vectors = combine_slice_begin(hidden, slices, task.n_tile + 1) - vector_begin;
    // Direct COMBINE (combine_released_direct): thread 0 waits for the token tile's done count to reach its routes.
    const auto tile_routes = [&] {
        int route_begin, route_end;
        token_tile_routes(params, task.tile, route_begin, route_end);
        return static_cast<uint32_t>(route_end - route_begin);
    };
    const uint64_t* token_done = params.layout.get_token_done_ptr() + task.tile;
    // The task's loop (compact rows aside): with K parts combine_parts, else combine_rows; `dry`: stores off.
    const auto combine_loop = [&](bool dry) {
        if (gemm1_k_parts(params) > 1) {
            combine_parts<Element>(params, y, token_begin, num_tokens, rows, weights, vector_begin, slice_vectors,
                                   dry);
        } else {
            combine_rows<Element>(y, token_begin, num_tokens, hidden, top_k, rows, weights, vector_begin, slice_vectors,
                                  dry);
        }
    };
    // By the row tiles (gemm1_tasks_per_tile > 0: direct COMBINE in a launch of one token tile that never pairs GEMM1,
    // processor.cuh combine_gemm1_tasks): warp 0 waits for the GEMM1 counts of the row tiles of the token tile's routes
    // themselves, lane l for the routes l and l + 32 (at most kTokens x kCombineMaxTopK = 64), instead of for the token
    // tile's done count: that count is bumped only after the last GEMM1 task's acquire, a barrier, its route lookups and
    // another fence (count_tile_routes_done), on the decode chain's end (docs/perf-notes.md item 137). Each count ends
    // at gemm1_tasks_per_tile.
    const bool by_row_tiles = gemm1_tasks_per_tile > 0;
    const uint64_t* gemm1_count = params.layout.get_gemm1_count_ptr();
    int route_tiles[2] = {-1, -1};  // warp 0, by_row_tiles: lane l's row tiles; -1: none (dropped, past the tile's end)
    // Lane l's first row tile whose count is not complete (relaxed loads), or -1.
    const auto pending_tile = [&] {
#pragma unroll
        for (int i = 0; i < 2; ++i) {
            if (route_tiles[i] >= 0 &&
                epoch_count(load_relaxed(gemm1_count + route_tiles[i]), epoch) != gemm1_tasks_per_tile) {
                return route_tiles[i];
            }
        }
        return -1;
    };
    int lane_pending = -1;  // warp 0, by_row_tiles: pending_tile() at the last look
    if (by_row_tiles && warp_idx == 0) {
        const int32_t* first_route_row = route_row + static_cast<int64_t>(token_begin) * top_k;
#pragma unroll
        for (int i = 0; i < 2; ++i) {
            const int e = lane_idx + 32 * i;  // NOTE: a token tile's routes are contiguous: token-major, k each
            const int row = e < num_tokens * top_k ? first_route_row[e] : -1;
            route_tiles[i] = row >= 0 ? row / TileConfig::kBlockM : -1;
        }
        lane_pending = pending_tile();
    }
    // The dry pass (docs/perf-notes.md item 118): where thread 0 (warp 0 by row tiles) is to wait for the token tile
    // (direct COMBINE, fp32 rows) and the tile is not done yet (one relaxed load; by row tiles a lane's), the others run
    // the loop's code with the stores off while it waits, so that the real pass finds it in the instruction caches. Its
    // loads read rows GEMM1 may still be writing: discarded.
    if (combine_released_direct(params) && params.compact_rows == 0) {
        __shared__ int tile_done_early;  // NOTE: not tile_ready, which thread 0 writes while the others may read this
        if (by_row_tiles) {
            if (warp_idx == 0) {
                const bool all_ready = __all_sync(0xffffffffu, lane_pending < 0);
                if (lane_idx == 0) tile_done_early = all_ready;
            }
        } else if (threadIdx.x == 0) {
            tile_done_early = epoch_count(load_relaxed(token_done), epoch) == tile_routes();
        }
        processor_sync();  // the lookups (the dry pass reads them) and the look at the tile
        if ((by_row_tiles ? warp_idx != 0 : threadIdx.x != 0) && !tile_done_early) combine_loop(true);
    }
    if (by_row_tiles) {
        if (warp_idx == 0) {
            // The first row tile not done yet (lane 0 waits for it, bounded, naming it on a timeout), then a new look
            // at all of them; at the end each lane acquires its row tiles' counts (final once complete).
            bool ok = true;
            while (true) {
                const uint32_t pending = __ballot_sync(0xffffffffu, lane_pending >= 0);
                if (pending == 0) break;
                const int tile = __shfl_sync(0xffffffffu, lane_pending, __ffs(pending) - 1);
                if (lane_idx == 0) {
                    ok = wait_epoch_count(params, epoch, gemm1_count + tile, gemm1_tasks_per_tile, limit_ns,
                                          Role::kProcessor, WaitWhat::kGemm1Done, gemm_tile_expert(params, tile), tile);
                }
                ok = __shfl_sync(0xffffffffu, ok, 0);
                if (!ok) break;
                lane_pending = pending_tile();
            }
            if (ok) {
#pragma unroll
                for (int i = 0; i < 2; ++i) {
                    if (route_tiles[i] >= 0) (void)load_acquire(gemm1_count + route_tiles[i]);
                }
            }
            if (lane_idx == 0) {
                const uint64_t now = trace_clock();
                trace_record(params.trace, TraceKind::kWait, -1, trace_mark, now);
                trace_mark = now;
                tile_ready = ok;
            }
        }
    } else if (threadIdx.x == 0) {
        bool ready = true;
        if (combine_released_direct(params)) {
            ready = wait_epoch_count(params, epoch, token_done, tile_routes(), limit_ns, Role::kProcessor,
                                     WaitWhat::kGemm1Done, -1, task.tile);
            const uint64_t now = trace_clock();
            trace_record(params.trace, TraceKind::kWait, -1, trace_mark, now);
            trace_mark = now;
        }
        tile_ready = ready;
    }
    processor_sync();  // the lookups, and the acquire of the token tile's rows (thread 0's, or warp 0's by row tiles)
    if (!tile_ready) return false;  // NOTE: tile_ready is rewritten only after the barriers that end this task
    if constexpr (wgmma_path_compiled<Element>()) {
        if (__builtin_expect(params.compact_rows != 0, 0)) {  // NOTE: never with K parts (compact_rows_launch)
            combine_compact<Element>(params, y, token_begin, num_tokens, rows, weights, slices, task.n_tile, shared);
            return true;
        }
    }
    combine_loop(false);
    // NOTE: the lookups of this block's next COMBINE are written only after the barriers that end this task.
    return true;
}

}  // namespace flashmoe::fused
