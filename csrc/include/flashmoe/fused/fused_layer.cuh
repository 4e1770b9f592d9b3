// Host contract of the fused (single-launch) layer: check, workspace size, create, forward, destroy, and the
// report of an in-kernel failure. Declarations only, so the C API's TU does not compile the kernel; the per-dtype
// TUs (csrc/src/fused_{fp32,fp16,bf16}.cu) instantiate the launches, csrc/src/fused_layer.cu implements the class.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "flashmoe/capi/flashmoe_c.h"
#include "flashmoe/fused/types.cuh"

namespace flashmoe::fused {

// Per-dtype entry points (defined in fused_launch.cuh, instantiated once per dtype).
// wgmma: the launch runs the Hopper tiles (KernelParams.tma.enabled), whose ring is larger.
template <typename Element>
size_t moe_forward_shared_bytes(int64_t num_experts, bool wgmma);
// Raises the kernel's dynamic shared-memory limit and returns how many blocks fit on one SM.
template <typename Element>
cudaError_t moe_forward_occupancy(size_t shared_bytes, int* blocks_per_sm);
template <typename Element>
cudaError_t launch_moe_forward(const KernelParams& params, int num_blocks, size_t shared_bytes, cudaStream_t stream);

// What an expert-parallel layer adds (built by libflashmoe_ep.so, which owns the symmetric region).
struct EpSetup {
    int32_t num_ranks = 0;
    int32_t rank = 0;
    std::vector<int32_t> expert_rank;  // [E] owner of each global expert
    void* sym_base = nullptr;          // this rank's symmetric region, sym.total_bytes, zeroed once
    comm::SymmetricLayout sym{};
    std::vector<void*> peer_base;      // [P] nvshmem_ptr(sym_base, peer); null where only puts reach the peer
};

class FusedLayer {
   public:
    static constexpr uint64_t kDefaultTimeoutNs = 4000000000ull;  // 4 s: far above any legitimate forward
    // NOTE: a processor is one warpgroup with the register budget of the whole kernel (255) and, on Hopper, a 97 KB
    // ring: two fit on an SM.
    static constexpr int kMaxBlocksPerSm = 2;

    // Whether this path implements the config; `why` says what is not.
    static flashmoe_status check(const flashmoe_layer_config& config, std::string& why);
    static size_t workspace_bytes(const flashmoe_layer_config& config);

    // Throws flashmoe::Error (INVALID_ARGUMENT, UNSUPPORTED, OUT_OF_MEMORY, CUDA) on failure.
    explicit FusedLayer(const flashmoe_layer_config& config, const EpSetup* ep = nullptr);
    ~FusedLayer();
    FusedLayer(const FusedLayer&) = delete;
    FusedLayer& operator=(const FusedLayer&) = delete;

    // One kernel launch on args.stream; no other work is enqueued (graph capture gives exactly one kernel node).
    // Asynchronous: in-kernel failures (timeouts, bad routes) are reported by device_error() once the stream is done.
    flashmoe_status forward(const flashmoe_forward_args& args, std::string& error);

    // After the stream has completed: the failure of the latest launch not yet reported (SUCCESS when none).
    flashmoe_status device_error(std::string& error);

    // Bound of every in-kernel wait (subscribers; the scheduler waits 1.5x, processors 2x).
    void set_timeout_ns(uint64_t timeout_ns) { timeout_ns_ = timeout_ns; }
    // Debug fault injection: the scheduler never sends the task with this ordinal (-1: off).
    void set_debug_withhold_task(int32_t ordinal) { withhold_task_ = ordinal; }
    // Debug fault injection: the bound of the waits inside a processor's GEMM task (KernelParams::task_timeout_ns;
    // 0: 2x the timeout), so that a test can make such a wait expire first (fused_test check_task_timeout).
    void set_debug_task_timeout_ns(uint64_t timeout_ns) { task_timeout_ns_ = timeout_ns; }
    // The most row tiles of one expert released together (KernelParams::group_tiles, >= 1); for tests and A/B runs.
    void set_group_tiles(int32_t tiles) { group_tiles_ = tiles < 1 ? 1 : tiles; }
    // Whether GEMM1 may take wide pieces (TmaMaps::wide_gemm1; only where the Hopper tiles run); for tests and A/B runs.
    void set_wide_gemm1(bool allowed) { tma_.wide_gemm1 = allowed ? 1 : 0; }
    // Whether GEMM0 and GEMM1 may run on paired row tiles (TmaMaps::pair_gemm0, pair_gemm1; Hopper tiles, GEMM0 gated
    // only), the fewest GEMM0 column tasks a group needs for them (TmaMaps::pair_group_tasks; -1: the processor
    // count, the default) and the fewest valid rows that pair a group whatever its tasks (TmaMaps::pair_group_rows;
    // -1: TileConfig::kPairGroupRows); for tests and A/B runs.
    void set_pairs(bool gemm0, bool gemm1, int32_t group_tasks = -1, int32_t group_rows = -1) {
        tma_.pair_gemm0 = gemm0 ? 1 : 0;
        tma_.pair_gemm1 = gemm1 ? 1 : 0;
        tma_.pair_group_tasks = group_tasks < 0 ? num_processors() : group_tasks;
        tma_.pair_group_rows = group_rows < 0 ? TileConfig::kPairGroupRows : group_rows;
    }
    int32_t pair_group_rows() const { return tma_.pair_group_rows; }
    bool hopper_tiles() const { return tma_.enabled != 0; }
    // Expert parallelism: how tiles travel (comm::Transport; kStore needs every peer mapped) and the debug switch
    // that makes this rank withhold every signal. Throw INVALID_ARGUMENT / UNSUPPORTED.
    void set_ep_transport(int32_t transport);
    void set_debug_withhold_signals(bool withhold);
    bool expert_parallel() const { return ep_.num_ranks > 0; }
    // In-kernel trace: events_per_block > 0 turns it on for later forwards, 0 off. read_trace: the latest forward's
    // events (after the stream completed), block by block; dropped = events recorded past a block's capacity.
    void enable_trace(int32_t events_per_block);
    void read_trace(std::vector<TraceEvent>& events, int64_t& dropped) const;
    int num_blocks() const { return num_blocks_; }
    // Processor blocks of every launch (KernelParams::num_processors): the grid less the OS block.
    int num_processors() const { return num_blocks_ - 1; }
    // The kernel's error record as last written (valid once the stream is done; epoch 0 = never written).
    ErrorRecord error_record() const { return *error_record_host_; }
    const WorkspaceLayout& layout() const { return layout_; }

   private:
    flashmoe_layer_config config_;
    WorkspaceLayout layout_;
    void* workspace_ = nullptr;
    ErrorRecord* error_record_host_ = nullptr;    // cudaHostAlloc, mapped
    ErrorRecord* error_record_device_ = nullptr;  // its device address
    uint32_t last_reported_epoch_ = 0;
    size_t shared_bytes_ = 0;
    int num_blocks_ = 0;
    uint64_t timeout_ns_ = kDefaultTimeoutNs;
    int32_t withhold_task_ = -1;
    uint64_t task_timeout_ns_ = 0;  // KernelParams::task_timeout_ns; 0: 2 x timeout_ns_
    int32_t group_tiles_ = TileConfig::kGroupTiles;  // KernelParams::group_tiles; FLASHMOE_EXPERT_GROUP_TILES sets it
    // KernelParams::routes_per_chunk; FLASHMOE_ROUTES_PER_CHUNK sets it
    int32_t routes_per_chunk_ = WorkspaceLayout::kRoutesPerChunk;
    bool direct_gemm0_ = true;  // KernelParams::direct_gemm0; FLASHMOE_DISABLE_DIRECT_GEMM0=1 clears it
    // KernelParams::token_dispatch: 0 never, 1 by token_dispatch_launch, 2 always; FLASHMOE_TOKEN_DISPATCH sets it (0
    // where the layer cannot take it: expert parallelism, GEMM0 not released direct, k > kMaxDispatchTopK)
    int32_t token_dispatch_ = 1;
    // KernelParams::combine_slice_columns; FLASHMOE_COMBINE_SLICE_COLUMNS sets it
    int32_t combine_slice_columns_ = TileConfig::kCombineSliceColumns;
    // KernelParams::tasks_per_processor; FLASHMOE_TASKS_PER_PROCESSOR sets it
    int32_t tasks_per_processor_ = TileConfig::kTasksPerProcessor;
    // KernelParams::even_split: 0 never, 1 by even_split_launch, 2 always; FLASHMOE_EVEN_SPLIT sets it
    int32_t even_split_ = 1;
    bool direct_combine_ = true;  // KernelParams::direct_combine; FLASHMOE_DISABLE_DIRECT_COMBINE=1 clears it
    int32_t direct_gemm1_ = 1;    // KernelParams::direct_gemm1; FLASHMOE_DIRECT_GEMM1 sets it
    // The most K parts of GEMM1 at decode (KernelParams::gemm1_k_parts per launch: gemm1_launch_k_parts); 1 without
    // the Hopper tiles; FLASHMOE_GEMM1_K_PARTS sets it
    int32_t gemm1_k_parts_ = 1;
    // Whether decode launches may prefetch GEMM1's weights into the L2 (KernelParams::gemm1_l2_prefetch per launch:
    // gemm1_l2_prefetch_launch over l2_bytes_); FLASHMOE_GEMM1_L2_PREFETCH=0 / 1 sets it
    bool gemm1_l2_prefetch_ = false;
    // Loads of a first-wave GEMM0 task each processor prefetches in one-token launches (KernelParams::
    // decode_prefetch_steps per launch: decode_prefetch_launch); 0 without the Hopper tiles;
    // FLASHMOE_DECODE_PREFETCH_STEPS sets it
    int32_t decode_prefetch_steps_ = 0;
    // Whether one-token launches run their GEMM0 tasks before the slot assignment is out (KernelParams::early_gemm0
    // per launch: early_gemm0_launch); false without the Hopper tiles; FLASHMOE_DISABLE_EARLY_GEMM0=1 clears it
    bool early_gemm0_ = false;
    // Whether those launches' processors make their GEMM1 tasks from their tickets (item 145; KernelParams::early_gemm0's
    // kEarlyGemm0QueueGemm1 where not); FLASHMOE_DISABLE_OWN_GEMM1_TICKETS=1 clears it (item 150, A/B runs)
    bool own_gemm1_tickets_ = true;
    // Whether those prefetches wait for the OS block's count pass (KernelParams::decode_prefetch_hold);
    // FLASHMOE_DECODE_PREFETCH_HOLD sets it
    bool decode_prefetch_hold_ = false;
    // Launches of at least this many routes store their expert rows in the dtype (KernelParams::compact_rows per launch:
    // compact_rows_launch), where the Hopper tiles run; fused_layer.cu compact_rows_min_routes (the dtype, the layer's
    // expert_output_precision, FLASHMOE_COMPACT_ROWS_MIN_ROUTES) sets it
    int32_t compact_rows_min_routes_ = TileConfig::kCompactRowsMinRoutes;
    int64_t l2_bytes_ = 0;  // the device's L2 size
    comm::EpParams ep_{};                   // num_ranks == 0 on one GPU
    void* ep_arrays_ = nullptr;             // device: expert_rank [E], expert_local [E], peer bases [2][P]
    void* const* ep_peer_auto_ = nullptr;   // nvshmem_ptr per peer
    void* const* ep_peer_none_ = nullptr;   // all null: puts to every peer
    bool ep_all_mapped_ = false;
    int32_t ep_transport_ = 0;
    TraceBuffer trace_{};                   // device buffers when the trace is on
    // The Hopper tiles' maps: the workspace's from creation, the weights' for the pointers below. tma_.enabled = 0
    // (the SM80 tiles) for fp32, pre-Hopper devices, expert-parallel layers, and FLASHMOE_DISABLE_WGMMA=1 in the
    // environment at creation (A/B runs).
    TmaMaps tma_{};
    const void* mapped_weights_[3] = {};    // w_gate, w_up, w_down the weight maps were encoded for
    int32_t weight_promotion_ = 0;          // the weight maps' L2 promotion in bytes; FLASHMOE_WEIGHT_L2_PROMOTION sets it
    // Encodes the weight maps when the forward's weights differ from the last ones. Throws on a driver refusal.
    void map_weights(const flashmoe_expert_weights& weights);
};

// Names for messages.
const char* role_name(int32_t role);
const char* wait_name(int32_t what);

}  // namespace flashmoe::fused
