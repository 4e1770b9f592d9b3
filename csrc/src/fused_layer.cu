// Host side of the fused layer: validation, workspace, occupancy-sized persistent grid, one launch per forward, and
// the translation of the kernel's error record into a status and a message.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "flashmoe/common/capacity.h"
#include "flashmoe/common/device_scope.h"
#include "flashmoe/common/env_setting.h"
#include "flashmoe/common/error.h"
#include "flashmoe/fused/fused_layer.cuh"
#include "flashmoe/fused/tensor_map.h"

namespace flashmoe::fused {
namespace {

int element_bytes_of(int32_t dtype) { return dtype == FLASHMOE_DTYPE_FP32 ? 4 : 2; }

WorkspaceLayout layout_of(const flashmoe_layer_config& config) {
    return WorkspaceLayout(config.max_tokens, config.top_k, config.num_experts, config.hidden_size,
                           config.intermediate_size, element_bytes_of(config.dtype), TileConfig::kBlockM);
}

template <typename Function>
auto by_dtype(int32_t dtype, Function function) {
    switch (dtype) {
        case FLASHMOE_DTYPE_FP16:
            return function(__half{});
        case FLASHMOE_DTYPE_BF16:
            return function(__nv_bfloat16{});
        default:
            return function(float{});
    }
}

// FLASHMOE_EXPERT_GROUP_TILES (A/B runs): the most row tiles of one expert released together, 1 .. 1024
// (TileConfig::kGroupTiles by default; 1 = one at a time).
int32_t group_tiles_setting() {
    return int_setting("FLASHMOE_EXPERT_GROUP_TILES", 1, 1024, TileConfig::kGroupTiles);
}

// FLASHMOE_ROUTES_PER_CHUNK (A/B runs): routes per chunk of the chunked slot assignment, 256 .. 65536
// (WorkspaceLayout::kRoutesPerChunk by default).
int32_t routes_per_chunk_setting() {
    return int_setting("FLASHMOE_ROUTES_PER_CHUNK", 256, 65536, WorkspaceLayout::kRoutesPerChunk);
}

// FLASHMOE_COMBINE_SLICE_COLUMNS (A/B runs): the narrowest column slice of a COMBINE task, 8 .. 65536
// (TileConfig::kCombineSliceColumns by default; 65536: one task per token tile for any hidden size of a real model).
int32_t combine_slice_columns_setting() {
    return int_setting("FLASHMOE_COMBINE_SLICE_COLUMNS", 8, 65536, TileConfig::kCombineSliceColumns);
}

// FLASHMOE_TASKS_PER_PROCESSOR (A/B runs): GEMM tasks per processor the column splits keep while the pieces allow,
// 1 .. 16 (TileConfig::kTasksPerProcessor by default).
int32_t tasks_per_processor_setting() {
    return int_setting("FLASHMOE_TASKS_PER_PROCESSOR", 1, 16, TileConfig::kTasksPerProcessor);
}

// FLASHMOE_PAIR_GEMM0_GROUP_TASKS (A/B runs): the fewest GEMM0 column tasks a row tile group needs for paired tasks
// (TmaMaps::pair_group_tasks); -1 (unset): the processor count.
int32_t pair_group_tasks_setting() {
    return int_setting("FLASHMOE_PAIR_GEMM0_GROUP_TASKS", 0, 1 << 30, -1);
}

// FLASHMOE_PAIR_GROUP_ROWS (A/B runs): the fewest valid rows of a group that runs on pairs whatever its task count
// (TmaMaps::pair_group_rows), 1 .. 2^30; -1 (unset): TileConfig::kPairGroupRows. 2^30: by task count only (before
// item 62); 129: groups of three tiles or more (item 62); 65: every group of two tiles or more.
int32_t pair_group_rows_setting() {
    return int_setting("FLASHMOE_PAIR_GROUP_ROWS", 1, 1 << 30, -1);
}

// FLASHMOE_WEIGHT_L2_PROMOTION / FLASHMOE_TOKEN_L2_PROMOTION (A/B runs): the L2 promotion in bytes of the weight
// maps (default none: docs/perf-notes.md items 36-37) / of the workspace's token and activation maps
// (default 256): 0 (none), 64, 128 or 256.
int32_t l2_promotion_setting(const char* name, int32_t unset) {
    return choice_setting(name, {0, 64, 128, 256}, unset);
}

// FLASHMOE_SHORT_A_BOX_ROWS (A/B runs): the largest short A box the Hopper tiles use, 0 (none), 16 or 32 (default).
int32_t short_a_rows_setting() {
    std::vector<int32_t> choices{0};
    for (int i = 0; i < TileConfig::kShortABoxes; ++i) choices.push_back(short_a_box_rows(i));
    return choice_setting("FLASHMOE_SHORT_A_BOX_ROWS", choices, choices.back());
}

// FLASHMOE_GEMM1_K_PARTS (A/B runs): the most parts GEMM1's K is split into at decode (gemm1_k_parts, types.cuh;
// docs/perf-notes.md item 78), 1 (never split), 2 or 4 (TileConfig::kMaxGemm1KParts, the default).
int32_t gemm1_k_parts_setting() {
    static_assert(TileConfig::kMaxGemm1KParts == 4, "the choices below end at the default");
    return choice_setting("FLASHMOE_GEMM1_K_PARTS", {1, 2, 4}, TileConfig::kMaxGemm1KParts);
}

// FLASHMOE_GEMM1_L2_PREFETCH (A/B runs): 1 = decode launches prefetch GEMM1's weights into the L2 where they fit
// (gemm1_l2_prefetch_launch, docs/perf-notes.md item 88), 0 (the default since item 133) = never. Off, Qwen3-30B-A3B
// T = 1 was 1-5 % faster (its prefetch delays GEMM0's own weight boxes: item 130) and the paper shape 0.1-1.6 % slower.
bool gemm1_l2_prefetch_setting() { return choice_setting("FLASHMOE_GEMM1_L2_PREFETCH", {0, 1}, 0) != 0; }

// FLASHMOE_DECODE_PREFETCH_STEPS (A/B runs): the loads of a first-wave GEMM0 task each processor prefetches into the L2
// while the slot assignment runs, in launches of one token and at most 8 routes (decode_prefetch_launch,
// docs/perf-notes.md item 114), 0 .. 64 (0: never; TileConfig::kDecodePrefetchSteps by default). Read on every GPU, so
// that a malformed value is refused where the Hopper tiles do not run too.
int32_t decode_prefetch_steps_setting() {
    return int_setting("FLASHMOE_DECODE_PREFETCH_STEPS", 0, 64, TileConfig::kDecodePrefetchSteps);
}

// FLASHMOE_DECODE_PREFETCH_HOLD (A/B runs): 1 = those prefetches wait until the OS block has counted the routes
// (KernelParams::decode_prefetch_hold, docs/perf-notes.md item 116), 0 (the default) = they start at once. Read on every
// GPU, as the steps are.
bool decode_prefetch_hold_setting() { return choice_setting("FLASHMOE_DECODE_PREFETCH_HOLD", {0, 1}, 0) != 0; }

// The fewest routes (T·k) of a launch that stores its expert rows in the layer's dtype (compact_rows_launch,
// docs/perf-notes.md items 90-91). A layer of expert_output_precision FP32: never (2^31 - 1). Otherwise
// FLASHMOE_COMPACT_ROWS_MIN_ROUTES (A/B runs: 0 = every launch where they apply, 2^31 - 1 = none), read either way so
// that a malformed value is refused; unset, TileConfig::kCompactRowsMinRoutes for bf16 and never for fp16 (an fp16 row
// overflows past 65504 where its weighted sum in fp32 may not; bf16 has fp32's range).
int32_t compact_rows_min_routes(const flashmoe_layer_config& config) {
    const int32_t setting = int_setting("FLASHMOE_COMPACT_ROWS_MIN_ROUTES", 0, INT32_MAX,
                                        config.dtype == FLASHMOE_DTYPE_BF16 ? TileConfig::kCompactRowsMinRoutes
                                                                            : INT32_MAX);
    return config.expert_output_precision == FLASHMOE_EXPERT_OUTPUT_FP32 ? INT32_MAX : setting;
}

// A setting of the form 0 = never, 1 = by the launch's rule, 2 = always (FLASHMOE_TOKEN_DISPATCH, FLASHMOE_EVEN_SPLIT).
int32_t by_setting(int32_t setting, bool rule) { return setting == 2 || (setting == 1 && rule) ? 1 : 0; }

}  // namespace

const char* role_name(int32_t role) {
    switch (static_cast<Role>(role)) {
        case Role::kOs: return "os";
        case Role::kScheduler: return "scheduler";
        case Role::kSubscriber: return "subscriber";
        case Role::kProcessor: return "processor";
    }
    return "unknown";
}

const char* wait_name(int32_t what) {
    switch (static_cast<WaitWhat>(what)) {
        case WaitWhat::kNothing: return "nothing";
        case WaitWhat::kRouting: return "the slot assignment";
        case WaitWhat::kTask: return "the task behind its queue ticket";
        case WaitWhat::kDispatch: return "the dispatch of a row tile";
        case WaitWhat::kGemm0Done: return "all GEMM0 tiles of a row tile";
        case WaitWhat::kGemm1Done: return "all GEMM1 tiles of a row tile a token tile needs";
        case WaitWhat::kRingSpace: return "space in its task ring";
        case WaitWhat::kReadyTask: return "a ready task";
        case WaitWhat::kBadRoute: return "a valid expert id";
        case WaitWhat::kBadRouteWeight: return "a finite routing weight";
        case WaitWhat::kPeerDispatch: return "tokens from a peer (dispatch)";
        case WaitWhat::kPeerCombine: return "expert outputs from a peer (combine)";
        case WaitWhat::kTileLoad: return "the TMA loads of a tile stage";
    }
    return "unknown";
}

flashmoe_status FusedLayer::check(const flashmoe_layer_config& config, std::string& why) {
    auto fail = [&](const std::string& message) {
        why = "fused layer: " + message;
        return FLASHMOE_ERROR_INVALID_ARGUMENT;
    };
    if (config.dtype != FLASHMOE_DTYPE_FP32 && config.dtype != FLASHMOE_DTYPE_FP16 && config.dtype != FLASHMOE_DTYPE_BF16)
        return fail("dtype " + std::to_string(config.dtype) + " is not fp32, fp16 or bf16");
    if (config.mlp_type != FLASHMOE_MLP_GATED && config.mlp_type != FLASHMOE_MLP_CONVENTIONAL)
        return fail("mlp_type " + std::to_string(config.mlp_type) + " is unknown");
    if (config.activation < FLASHMOE_ACT_SILU || config.activation > FLASHMOE_ACT_IDENTITY)
        return fail("activation " + std::to_string(config.activation) + " is unknown");
    if (config.hidden_size < 8 || config.hidden_size % 8 != 0 || config.hidden_size > (1 << 20))
        return fail("hidden_size must be a positive multiple of 8, got " + std::to_string(config.hidden_size));
    if (config.intermediate_size < 8 || config.intermediate_size % 8 != 0 || config.intermediate_size > (1 << 20))
        return fail("intermediate_size must be a positive multiple of 8, got " + std::to_string(config.intermediate_size));
    if (config.num_experts < 1 || config.num_experts > TileConfig::kMaxExperts)
        return fail("num_experts must be in [1, " + std::to_string(TileConfig::kMaxExperts) + "], got " +
                    std::to_string(config.num_experts));
    if (config.top_k < 1 || config.top_k > config.num_experts)
        return fail("top_k must be in [1, num_experts], got " + std::to_string(config.top_k));
    if (config.max_tokens < 1) return fail("max_tokens must be >= 1");
    // NOTE: rows, routes and tiles are int32 in the kernel.
    const WorkspaceLayout layout = layout_of(config);
    if (layout.max_rows * std::max(config.hidden_size, config.intermediate_size) >= (int64_t{1} << 31) ||
        layout.max_routes >= (int64_t{1} << 31))
        return fail("max_tokens * top_k rows of hidden_size do not fit int32 indexing");
    if (config.expert_output_precision != FLASHMOE_EXPERT_OUTPUT_AUTO &&
        config.expert_output_precision != FLASHMOE_EXPERT_OUTPUT_FP32)
        return fail("expert_output_precision " + std::to_string(config.expert_output_precision) + " is unknown");
    for (int32_t value : config.reserved)
        if (value != 0) return fail("reserved fields must be zero");
    why.clear();
    return FLASHMOE_SUCCESS;
}

size_t FusedLayer::workspace_bytes(const flashmoe_layer_config& config) { return layout_of(config).total_bytes; }

FusedLayer::FusedLayer(const flashmoe_layer_config& config, const EpSetup* ep) : config_(config), layout_(layout_of(config)) {
    std::string why;
    const flashmoe_status status = check(config, why);
    if (status != FLASHMOE_SUCCESS) throw Error(status, why);
    DeviceScope scope(config.device);
#if defined(FLASHMOE_EP) && FLASHMOE_EP
    if (ep == nullptr) throw Error(FLASHMOE_ERROR_INTERNAL, "fused layer: libflashmoe_ep builds expert-parallel layers only");
#else
    if (ep != nullptr) throw Error(FLASHMOE_ERROR_UNSUPPORTED, "fused layer: expert parallelism lives in libflashmoe_ep");
#endif
    std::vector<int32_t> expert_local;
    if (ep != nullptr) {
        // Owner tiles: every (source, local expert) pair brings at most C rows, and a source at most T * k rows.
        const int32_t num_experts = static_cast<int32_t>(config.num_experts);
        expert_local.assign(static_cast<size_t>(num_experts), 0);
        std::vector<int32_t> owned(static_cast<size_t>(ep->num_ranks), 0);
        for (int32_t expert = 0; expert < num_experts; ++expert) {
            expert_local[expert] = owned[ep->expert_rank[expert]]++;
        }
        ep_.num_ranks = ep->num_ranks;
        ep_.rank = ep->rank;
        ep_.local_experts = owned[ep->rank];
        ep_.sym_base = ep->sym_base;
        ep_.sym = ep->sym;
        const int64_t pairs = static_cast<int64_t>(ep_.num_pairs());
        const int64_t by_capacity = pairs * ep->sym.tiles_per_pair;
        const int64_t by_routes = ep->num_ranks * ceil_div(config.max_tokens * config.top_k, TileConfig::kBlockM) + pairs;
        layout_ = WorkspaceLayout(config.max_tokens, config.top_k, config.num_experts, config.hidden_size,
                                  config.intermediate_size, element_bytes_of(config.dtype), TileConfig::kBlockM,
                                  std::max<int64_t>(pairs, 1),
                                  std::min(by_capacity, by_routes));
        if (layout_.max_rows * std::max(config.hidden_size, config.intermediate_size) >= (int64_t{1} << 31))
            throw Error(FLASHMOE_ERROR_INVALID_ARGUMENT,
                        "fused layer: the rows this rank may receive do not fit int32 indexing; lower max_tokens");
    }

    int multiprocessors = 0;
    FLASHMOE_CUDA_CHECK(cudaDeviceGetAttribute(&multiprocessors, cudaDevAttrMultiProcessorCount, config.device));
    int shared_limit = 0;
    FLASHMOE_CUDA_CHECK(cudaDeviceGetAttribute(&shared_limit, cudaDevAttrMaxSharedMemoryPerBlockOptin, config.device));
    // The Hopper tiles: compute capability 9.x, 16-bit data, one GPU (see tma_).
    int major = 0;
    FLASHMOE_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, config.device));
    const bool wgmma = major == 9 && config.dtype != FLASHMOE_DTYPE_FP32 && ep == nullptr &&
                       tensor_map_encoder() != nullptr && !env_flag("FLASHMOE_DISABLE_WGMMA");
    const int32_t short_a_rows = wgmma ? short_a_rows_setting() : 0;  // NOTE: may throw; nothing is allocated yet
    const int32_t gemm1_k_parts = wgmma ? gemm1_k_parts_setting() : 1;  // NOTE: may throw, as above
    const bool gemm1_l2_prefetch = wgmma && gemm1_l2_prefetch_setting();  // NOTE: may throw, as above
    const int32_t decode_prefetch_steps = decode_prefetch_steps_setting();  // NOTE: may throw, as above
    const bool decode_prefetch_hold = decode_prefetch_hold_setting();       // NOTE: may throw, as above
    compact_rows_min_routes_ = compact_rows_min_routes(config);        // NOTE: may throw, as above
    group_tiles_ = group_tiles_setting();                              // NOTE: may throw, as above
    routes_per_chunk_ = routes_per_chunk_setting();                    // NOTE: may throw, as above
    direct_gemm0_ = !env_flag("FLASHMOE_DISABLE_DIRECT_GEMM0");
    // Token-major dispatch (item 108) only on one GPU with GEMM0 released direct (no subscriber watches the tile flags
    // it leaves unset) and k within the device loop's bound.
    token_dispatch_ = choice_setting("FLASHMOE_TOKEN_DISPATCH", {0, 1, 2}, 1);  // NOTE: may throw, as above
    if (ep != nullptr || !direct_gemm0_ || config.top_k > TileConfig::kMaxDispatchTopK) token_dispatch_ = 0;
    int l2_bytes = 0;
    FLASHMOE_CUDA_CHECK(cudaDeviceGetAttribute(&l2_bytes, cudaDevAttrL2CacheSize, config.device));
    l2_bytes_ = l2_bytes;
    combine_slice_columns_ = combine_slice_columns_setting();          // NOTE: may throw, as above
    tasks_per_processor_ = tasks_per_processor_setting();              // NOTE: may throw, as above
    even_split_ = choice_setting("FLASHMOE_EVEN_SPLIT", {0, 1, 2}, 1);  // NOTE: may throw, as above
    direct_combine_ = !env_flag("FLASHMOE_DISABLE_DIRECT_COMBINE");
    direct_gemm1_ = choice_setting("FLASHMOE_DIRECT_GEMM1", {0, 1, 2}, 1);  // NOTE: may throw, as above
    const int32_t pair_group_tasks = pair_group_tasks_setting();       // NOTE: may throw, as above
    const int32_t pair_group_rows = pair_group_rows_setting();         // NOTE: may throw, as above
    weight_promotion_ = l2_promotion_setting("FLASHMOE_WEIGHT_L2_PROMOTION", 0);  // NOTE: may throw, as above
    const int32_t token_promotion = l2_promotion_setting("FLASHMOE_TOKEN_L2_PROMOTION", 256);
    shared_bytes_ = by_dtype(config.dtype, [&](auto element) {
        return moe_forward_shared_bytes<decltype(element)>(config.num_experts, wgmma);
    });
    if (shared_bytes_ > static_cast<size_t>(shared_limit))
        throw Error(FLASHMOE_ERROR_UNSUPPORTED, "fused layer: needs " + std::to_string(shared_bytes_) +
                                                    " bytes of shared memory per block, the device allows " +
                                                    std::to_string(shared_limit));
    int blocks_per_sm = 0;
    FLASHMOE_CUDA_CHECK(by_dtype(config.dtype, [&](auto element) {
        return moe_forward_occupancy<decltype(element)>(shared_bytes_, &blocks_per_sm);
    }));
    if (blocks_per_sm < 1) throw Error(FLASHMOE_ERROR_UNSUPPORTED, "fused layer: the kernel does not fit on an SM");
    // Persistent grid: only as many blocks as are co-resident, so every wait can be met.
    num_blocks_ = multiprocessors * std::min(blocks_per_sm, kMaxBlocksPerSm);
    num_blocks_ = std::min(num_blocks_, TileConfig::kMaxProcessors + 1);
    if (num_blocks_ < 2) throw Error(FLASHMOE_ERROR_UNSUPPORTED, "fused layer: fewer than 2 co-resident blocks");

    FLASHMOE_CUDA_CHECK(cudaMalloc(&workspace_, layout_.total_bytes));
    layout_.base = static_cast<char*>(workspace_);
    if (wgmma) {
        try {
            const auto encode_tokens = [&](TmaDescriptor& map, uint32_t box_rows) {
                encode_box_map(map, config.dtype, layout_.get_tokens_ptr<char>(), layout_.max_rows, config.hidden_size,
                               "the fused layer's dispatched tokens", box_rows, token_promotion);
            };
            const auto encode_hidden = [&](TmaDescriptor& map, uint32_t box_rows) {
                encode_box_map(map, config.dtype, layout_.get_hidden_ptr<char>(), layout_.max_rows,
                               config.intermediate_size, "the fused layer's activations h", box_rows, token_promotion);
            };
            encode_tokens(tma_.tokens, TileConfig::kBlockM);
            encode_hidden(tma_.hidden, TileConfig::kBlockM);
            encode_tokens(tma_.tokens_pair, 2 * TileConfig::kBlockM);
            encode_hidden(tma_.hidden_pair, 2 * TileConfig::kBlockM);
            for (int i = 0; i < TileConfig::kShortABoxes; ++i) {
                encode_tokens(tma_.tokens_short[i], short_a_box_rows(i));
                encode_hidden(tma_.hidden_short[i], short_a_box_rows(i));
            }
        } catch (...) {
            cudaFree(workspace_);
            throw;
        }
        tma_.enabled = 1;
        tma_.narrow = env_flag("FLASHMOE_DISABLE_NARROW_GEMM0") ? 0 : 1;  // NOTE: for A/B runs
        tma_.short_a_rows = short_a_rows;
        tma_.evict_first = env_flag("FLASHMOE_DISABLE_EVICT_FIRST") ? 0 : 1;  // NOTE: for A/B runs
        tma_.wide_gemm1 = env_flag("FLASHMOE_DISABLE_WIDE_GEMM1") ? 0 : 1;    // NOTE: for A/B runs
        tma_.swap_ab = env_flag("FLASHMOE_DISABLE_SWAP_AB") ? 0 : 1;          // NOTE: for A/B runs
        tma_.early_weights = env_flag("FLASHMOE_DISABLE_EARLY_WEIGHTS") ? 0 : 1;  // NOTE: for A/B runs
        tma_.narrow_gemm1 = env_flag("FLASHMOE_DISABLE_NARROW_GEMM1") ? 0 : 1;    // NOTE: for A/B runs
        gemm1_k_parts_ = gemm1_k_parts;
        gemm1_l2_prefetch_ = gemm1_l2_prefetch;
        decode_prefetch_steps_ = decode_prefetch_steps;
        decode_prefetch_hold_ = decode_prefetch_hold;
        early_gemm0_ = !env_flag("FLASHMOE_DISABLE_EARLY_GEMM0");  // NOTE: for A/B runs (item 144)
        own_gemm1_tickets_ = !env_flag("FLASHMOE_DISABLE_OWN_GEMM1_TICKETS");  // NOTE: for A/B runs (item 150)
        set_pairs(!env_flag("FLASHMOE_DISABLE_PAIR_GEMM0"), !env_flag("FLASHMOE_DISABLE_PAIR_GEMM1"),  // NOTE: A/B runs
                  pair_group_tasks, pair_group_rows);
    }
    // One-time initialisation: flags and counters zero (epoch 0 never occurs), the first launch's epoch 1.
    FLASHMOE_CUDA_CHECK(cudaMemset(workspace_, 0, layout_.sync_bytes));
    const uint32_t first_epoch = 1;
    FLASHMOE_CUDA_CHECK(cudaMemcpy(&layout_.get_control_ptr()->sequence, &first_epoch, sizeof(first_epoch),
                                   cudaMemcpyHostToDevice));
    FLASHMOE_CUDA_CHECK(cudaHostAlloc(reinterpret_cast<void**>(&error_record_host_), sizeof(ErrorRecord),
                                      cudaHostAllocMapped | cudaHostAllocPortable));
    std::memset(error_record_host_, 0, sizeof(ErrorRecord));
    FLASHMOE_CUDA_CHECK(cudaHostGetDevicePointer(reinterpret_cast<void**>(&error_record_device_), error_record_host_, 0));

    if (ep != nullptr) {
        const size_t experts = static_cast<size_t>(config.num_experts);
        const size_t ranks = static_cast<size_t>(ep->num_ranks);
        const size_t pointer_offset = (2 * experts * sizeof(int32_t) + 15) / 16 * 16;
        FLASHMOE_CUDA_CHECK(cudaMalloc(&ep_arrays_, pointer_offset + 2 * ranks * sizeof(void*)));
        char* arrays = static_cast<char*>(ep_arrays_);
        std::vector<void*> none(ranks, nullptr);
        FLASHMOE_CUDA_CHECK(cudaMemcpy(arrays, ep->expert_rank.data(), experts * sizeof(int32_t), cudaMemcpyHostToDevice));
        FLASHMOE_CUDA_CHECK(cudaMemcpy(arrays + experts * sizeof(int32_t), expert_local.data(),
                                       experts * sizeof(int32_t), cudaMemcpyHostToDevice));
        FLASHMOE_CUDA_CHECK(cudaMemcpy(arrays + pointer_offset, ep->peer_base.data(), ranks * sizeof(void*),
                                       cudaMemcpyHostToDevice));
        FLASHMOE_CUDA_CHECK(cudaMemcpy(arrays + pointer_offset + ranks * sizeof(void*), none.data(),
                                       ranks * sizeof(void*), cudaMemcpyHostToDevice));
        ep_.expert_rank = reinterpret_cast<const int32_t*>(arrays);
        ep_.expert_local = reinterpret_cast<const int32_t*>(arrays + experts * sizeof(int32_t));
        ep_peer_auto_ = reinterpret_cast<void* const*>(arrays + pointer_offset);
        ep_peer_none_ = reinterpret_cast<void* const*>(arrays + pointer_offset + ranks * sizeof(void*));
        ep_.peer_base = ep_peer_auto_;
        ep_all_mapped_ = std::all_of(ep->peer_base.begin(), ep->peer_base.end(), [](void* p) { return p != nullptr; });
    }
}

void FusedLayer::map_weights(const flashmoe_expert_weights& weights) {
    if (weights.w_gate == mapped_weights_[0] && weights.w_up == mapped_weights_[1] && weights.w_down == mapped_weights_[2])
        return;
    const int64_t experts = config_.num_experts;
    const int64_t hidden = config_.hidden_size;
    const int64_t intermediate = config_.intermediate_size;
    mapped_weights_[0] = mapped_weights_[1] = mapped_weights_[2] = nullptr;  // NOTE: stays unmapped if a map fails
    const auto encode_weight = [&](TmaDescriptor& map, const void* base, int64_t rows, int64_t inner, const char* what,
                                   uint32_t box_rows) {
        encode_box_map(map, config_.dtype, base, rows, inner, what, box_rows, weight_promotion_);
    };
    if (weights.w_gate != nullptr) {
        encode_weight(tma_.w_gate, weights.w_gate, experts * intermediate, hidden, "w_gate", TileConfig::kBlockM);
        encode_weight(tma_.w_gate_narrow, weights.w_gate, experts * intermediate, hidden, "w_gate",
                      TileConfig::kNarrowPieceColumns);
        encode_weight(tma_.w_up_narrow, weights.w_up, experts * intermediate, hidden, "w_up",
                      TileConfig::kNarrowPieceColumns);
    }
    encode_weight(tma_.w_up, weights.w_up, experts * intermediate, hidden, "w_up", TileConfig::kBlockM);
    encode_weight(tma_.w_down, weights.w_down, experts * hidden, intermediate, "w_down", TileConfig::kBlockM);
    encode_weight(tma_.w_down_narrow, weights.w_down, experts * hidden, intermediate, "w_down",
                  TileConfig::kNarrowPieceColumns);
    mapped_weights_[0] = weights.w_gate;
    mapped_weights_[1] = weights.w_up;
    mapped_weights_[2] = weights.w_down;
}

void FusedLayer::set_ep_transport(int32_t transport) {
    if (!expert_parallel()) throw Error(FLASHMOE_ERROR_UNSUPPORTED, "not an expert-parallel layer");
    if (transport < 0 || transport > 2)
        throw Error(FLASHMOE_ERROR_INVALID_ARGUMENT,
                    "transport = " + std::to_string(transport) + ": must be AUTO (0), PUT (1) or STORE (2)");
    if (transport == static_cast<int32_t>(comm::Transport::kStore) && !ep_all_mapped_)
        throw Error(FLASHMOE_ERROR_INVALID_ARGUMENT,
                    "transport = STORE: some peer is not reachable by load/store (nvshmem_ptr is NULL); use AUTO");
    ep_transport_ = transport;
    ep_.peer_base = transport == static_cast<int32_t>(comm::Transport::kPut) ? ep_peer_none_ : ep_peer_auto_;
}

void FusedLayer::enable_trace(int32_t events_per_block) {
    if (events_per_block < 0 || events_per_block > (1 << 20))
        throw Error(FLASHMOE_ERROR_INVALID_ARGUMENT,
                    "events_per_block = " + std::to_string(events_per_block) + ": must be in [0, 1048576]");
    DeviceScope scope(config_.device);
    FLASHMOE_CUDA_CHECK(cudaDeviceSynchronize());  // NOTE: a forward in flight may still write the old buffers
    if (trace_.events != nullptr) cudaFree(trace_.events);
    if (trace_.counts != nullptr) cudaFree(trace_.counts);
    trace_ = TraceBuffer{};
    if (events_per_block == 0) return;
    const size_t events = static_cast<size_t>(num_blocks_) * static_cast<size_t>(events_per_block);
    FLASHMOE_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&trace_.events), events * sizeof(TraceEvent)));
    const cudaError_t counts = cudaMalloc(reinterpret_cast<void**>(&trace_.counts), num_blocks_ * sizeof(uint32_t));
    if (counts != cudaSuccess) {
        cudaFree(trace_.events);
        trace_ = TraceBuffer{};
        FLASHMOE_CUDA_CHECK(counts);
    }
    FLASHMOE_CUDA_CHECK(cudaMemset(trace_.counts, 0, num_blocks_ * sizeof(uint32_t)));
    trace_.capacity = events_per_block;
}

void FusedLayer::read_trace(std::vector<TraceEvent>& events, int64_t& dropped) const {
    events.clear();
    dropped = 0;
    if (trace_.events == nullptr) return;
    DeviceScope scope(config_.device);
    std::vector<uint32_t> counts(static_cast<size_t>(num_blocks_));
    std::vector<TraceEvent> all(static_cast<size_t>(num_blocks_) * static_cast<size_t>(trace_.capacity));
    FLASHMOE_CUDA_CHECK(cudaMemcpy(counts.data(), trace_.counts, counts.size() * sizeof(uint32_t), cudaMemcpyDeviceToHost));
    FLASHMOE_CUDA_CHECK(cudaMemcpy(all.data(), trace_.events, all.size() * sizeof(TraceEvent), cudaMemcpyDeviceToHost));
    for (int block = 0; block < num_blocks_; ++block) {
        const uint32_t recorded = counts[static_cast<size_t>(block)];
        const uint32_t kept = std::min<uint32_t>(recorded, static_cast<uint32_t>(trace_.capacity));
        dropped += recorded - kept;
        for (uint32_t i = 0; i < kept; ++i) events.push_back(all[static_cast<size_t>(block) * trace_.capacity + i]);
    }
}

void FusedLayer::set_debug_withhold_signals(bool withhold) {
    if (!expert_parallel()) throw Error(FLASHMOE_ERROR_UNSUPPORTED, "not an expert-parallel layer");
    ep_.withhold_signals = withhold ? 1 : 0;
}

FusedLayer::~FusedLayer() {
    int previous = 0;
    cudaGetDevice(&previous);
    cudaSetDevice(config_.device);
    cudaDeviceSynchronize();  // NOTE: an in-flight launch may still use the workspace and the error record
    if (workspace_ != nullptr) cudaFree(workspace_);
    if (error_record_host_ != nullptr) cudaFreeHost(error_record_host_);
    if (ep_arrays_ != nullptr) cudaFree(ep_arrays_);
    if (trace_.events != nullptr) cudaFree(trace_.events);
    if (trace_.counts != nullptr) cudaFree(trace_.counts);
    cudaSetDevice(previous);
}

flashmoe_status FusedLayer::forward(const flashmoe_forward_args& args, std::string& error) {
    auto invalid = [&](const std::string& message) {
        error = "fused layer forward: " + message;
        return FLASHMOE_ERROR_INVALID_ARGUMENT;
    };
    if (args.num_tokens < 1 || args.num_tokens > config_.max_tokens)
        return invalid("num_tokens must be in [1, max_tokens], got " + std::to_string(args.num_tokens));
    if (args.x == nullptr || args.y == nullptr || args.topk_ids == nullptr || args.topk_weights == nullptr)
        return invalid("x, y, topk_ids and topk_weights are required");
    if (args.weights.w_up == nullptr || args.weights.w_down == nullptr)
        return invalid("weights.w_up and weights.w_down are required");
    const bool gated = config_.mlp_type == FLASHMOE_MLP_GATED;
    if (gated && args.weights.w_gate == nullptr) return invalid("weights.w_gate is required for a gated MLP");
    if (!gated && (args.weights.w_gate != nullptr || args.weights.b_gate != nullptr))
        return invalid("a conventional MLP takes no w_gate / b_gate");
    // NOTE: the tiles load 16-byte vectors (cp.async, TMA) and the combine stores 4 elements at once.
    for (const auto& [name, pointer] : {std::pair<const char*, const void*>{"x", args.x}, {"y", args.y},
                                        {"weights.w_gate", args.weights.w_gate}, {"weights.w_up", args.weights.w_up},
                                        {"weights.w_down", args.weights.w_down}})
        if (reinterpret_cast<uintptr_t>(pointer) % 16 != 0)
            return invalid(std::string(name) + " must be 16-byte aligned");

    KernelParams params{};
    params.x = args.x;
    params.y = args.y;
    params.topk_ids = args.topk_ids;
    params.topk_weights = args.topk_weights;
    params.w_gate = args.weights.w_gate;
    params.w_up = args.weights.w_up;
    params.w_down = args.weights.w_down;
    params.b_gate = args.weights.b_gate;
    params.b_up = args.weights.b_up;
    params.b_down = args.weights.b_down;
    params.expert_counts = args.expert_counts;
    params.dropped_routes = args.dropped_routes;
    params.num_tokens = static_cast<int32_t>(args.num_tokens);
    params.hidden = static_cast<int32_t>(config_.hidden_size);
    params.intermediate = static_cast<int32_t>(config_.intermediate_size);
    params.num_experts = static_cast<int32_t>(config_.num_experts);
    params.top_k = static_cast<int32_t>(config_.top_k);
    params.capacity = static_cast<int32_t>(
        expert_capacity(config_.capacity_factor, args.num_tokens, config_.top_k, config_.num_experts));
    params.activation = config_.activation;
    params.gated = gated ? 1 : 0;
    params.allow_tf32 = config_.allow_tf32;
    params.num_processors = num_processors();
    params.withhold_task = withhold_task_;
    params.group_tiles = expert_parallel() ? 1 : group_tiles_;  // EP's GEMM row tiles are arrivals, not groups
    params.routes_per_chunk = routes_per_chunk_;
    params.direct_gemm0 = direct_gemm0_ ? 1 : 0;
    const bool token_rule =
        token_dispatch_launch(args.num_tokens, params.hidden, element_bytes_of(config_.dtype), l2_bytes_);
    params.token_dispatch = by_setting(token_dispatch_, token_rule);
    params.combine_slice_columns = combine_slice_columns_;
    params.tasks_per_processor = tasks_per_processor_;
    params.even_split = by_setting(even_split_, even_split_launch(args.num_tokens, params.top_k, params.num_experts));
    params.gemm1_max_pieces = gemm1_max_pieces(params.intermediate);
    params.direct_combine = direct_combine_ ? 1 : 0;
    params.direct_gemm1 = direct_gemm1_;
    params.gemm1_k_parts = tma_.enabled != 0 ? gemm1_launch_k_parts(args.num_tokens, params.top_k, params.num_experts,
                                                                     params.hidden, params.intermediate,
                                                                     params.num_processors, gemm1_k_parts_)
                                             : 1;
    params.gemm1_l2_prefetch =
        gemm1_l2_prefetch_ &&  // NOTE: set only where the Hopper tiles run
        gemm1_l2_prefetch_launch(args.num_tokens, params.top_k, params.num_experts, params.hidden, params.intermediate,
                                 element_bytes_of(config_.dtype), l2_bytes_);
    // One GPU with GEMM0 released direct (its tasks wait on no subscriber) and every reached expert a row tile (a
    // capacity of at least one row): the processors need nothing of the slot assignment for GEMM0 (items 144, 146).
    // Only where the GEMM0 tasks of min(T·k, E) experts' tiles fit in the processors (early_gemm0_fits; with fewer
    // tiles they fit too, and the device checks the launch's own count, tasks.cuh early_gemm0_task): elsewhere
    // (Mixtral-8x7B T = 1: 448 tasks; Qwen3-30B T = 4: 384) nothing runs early, and item 114's prefetch, which the
    // early path replaces, stays.
    params.early_gemm0 = early_gemm0_ && direct_gemm0_ && !expert_parallel() && params.capacity >= 1 &&
                                 early_gemm0_launch(args.num_tokens, params.top_k) &&
                                 early_gemm0_fits(args.num_tokens, params.top_k, params.num_experts,
                                                  params.intermediate, params.num_processors,
                                                  tma_.narrow != 0 && params.gated != 0, params.tasks_per_processor,
                                                  params.even_split != 0)
                             ? (own_gemm1_tickets_ ? kEarlyGemm0 : kEarlyGemm0 | kEarlyGemm0QueueGemm1)
                             : 0;
    params.decode_prefetch_steps =  // NOTE: 0 where the Hopper tiles do not run (decode_prefetch_steps_), and where the
                                    // GEMM0 tasks run early: they stream those boxes themselves
        decode_prefetch_launch(args.num_tokens, params.top_k) && params.early_gemm0 == 0 ? decode_prefetch_steps_ : 0;
    params.decode_prefetch_hold = params.decode_prefetch_steps > 0 && decode_prefetch_hold_ ? 1 : 0;
    params.compact_rows = compact_rows_launch(args.num_tokens, params.top_k, compact_rows_min_routes_,
                                              tma_.enabled != 0, params.gemm1_k_parts)
                              ? 1
                              : 0;
    params.timeout_ns = timeout_ns_;
    params.task_timeout_ns = task_timeout_ns_ != 0 ? task_timeout_ns_ : 2 * timeout_ns_;
    params.layout = layout_;
    params.error_record = error_record_device_;
    if (expert_parallel()) {
        params.ep = ep_;
        // A (source, expert) pair holds C rows on the wire; dropless C = max_tokens (a token sends one row per
        // route, so only repeated ids in one token can exceed it: the excess is dropped and counted).
        params.capacity = static_cast<int32_t>(std::min<int64_t>(params.capacity, ep_.sym.capacity));
    }

    try {
        DeviceScope scope(config_.device);
        if (tma_.enabled) {
            map_weights(args.weights);
            params.tma = tma_;
        }
        const cudaStream_t stream = static_cast<cudaStream_t>(args.stream);
        if (trace_.events != nullptr) {
            FLASHMOE_CUDA_CHECK(cudaMemsetAsync(trace_.counts, 0, num_blocks_ * sizeof(uint32_t), stream));
            params.trace = trace_;
        }
        const cudaError_t launched = by_dtype(config_.dtype, [&](auto element) {
            return launch_moe_forward<decltype(element)>(params, num_blocks_, shared_bytes_, stream);
        });
        if (launched != cudaSuccess) throw_cuda_error(launched, "launch of moe_forward_kernel", __FILE__, __LINE__);
    } catch (const Error& failure) {
        error = failure.what();
        return failure.status();
    }
    error.clear();
    return FLASHMOE_SUCCESS;
}

flashmoe_status FusedLayer::device_error(std::string& error) {
    volatile ErrorRecord* record = error_record_host_;
    const uint32_t epoch = record->epoch;
    if (epoch == 0 || epoch == last_reported_epoch_) {
        error.clear();
        return FLASHMOE_SUCCESS;
    }
    last_reported_epoch_ = epoch;
    const auto status = static_cast<flashmoe_status>(record->status);
    char message[512];
    if (status == FLASHMOE_ERROR_ROUTING && record->what == static_cast<int32_t>(WaitWhat::kBadRouteWeight)) {
        uint32_t bits = static_cast<uint32_t>(record->observed);
        float weight;
        std::memcpy(&weight, &bits, sizeof(weight));
        std::snprintf(message, sizeof(message),
                      "fused layer: routing error in launch %u: token %d has a non-finite routing weight (%g) for "
                      "expert %d; the route was dropped",
                      epoch, record->tile, static_cast<double>(weight), record->expert);
    } else if (status == FLASHMOE_ERROR_ROUTING) {
        std::snprintf(message, sizeof(message),
                      "fused layer: routing error in launch %u: token %d names expert %d, outside [0, %llu); the "
                      "route was dropped",
                      epoch, record->tile, record->expert, static_cast<unsigned long long>(record->expected));
    } else if (record->peer >= 0) {
        std::snprintf(message, sizeof(message),
                      "fused layer: in-kernel timeout in launch %u on rank %d: %s (block %d, warp %d) waited %.1f ms "
                      "for %s: peer rank %d never signalled (stage %s, expert %d, tile %d of the pair): saw %#llx, "
                      "expected epoch %u; the launch was aborted",
                      epoch, ep_.rank, role_name(record->role), record->block, record->warp, record->waited_ns * 1e-6,
                      wait_name(record->what), record->peer,
                      record->what == static_cast<int32_t>(WaitWhat::kPeerCombine) ? "combine" : "dispatch",
                      record->expert, record->tile, static_cast<unsigned long long>(record->observed), epoch);
    } else {
        std::snprintf(message, sizeof(message),
                      "fused layer: in-kernel timeout in launch %u: %s (block %d, warp %d) waited %.1f ms for %s "
                      "(expert %d, tile %d): saw %llu, expected %llu; the launch was aborted",
                      epoch, role_name(record->role), record->block, record->warp, record->waited_ns * 1e-6,
                      wait_name(record->what), record->expert, record->tile,
                      static_cast<unsigned long long>(record->observed),
                      static_cast<unsigned long long>(record->expected));
    }
    error = message;
    return status;
}

}  // namespace flashmoe::fused
