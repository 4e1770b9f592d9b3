/*
 * The one narrow C API between the JVM (JavaCPP bindings) and the CUDA C++ library.
 * POD structs, opaque handles, status codes plus a thread-local message. No CUDA types cross this boundary.
 *
 * Conventions (design.md §1, docs/api-semantics.md):
 *  - Row-major tensors. Weights use the nn.Linear layout [out][in]:
 *      gated:        w_gate [E][I][H], w_up [E][I][H], w_down [E][H][I], b_gate/b_up [E][I], b_down [E][H]
 *      conventional: w_up = W1 [E][I][H], w_down = W2 [E][H][I], b_up = b1 [E][I], b_down = b2 [E][H]; w_gate, b_gate NULL
 *      router:       w_router [E][H], optional expert_bias [E] (fp32)
 *  - Activations x and outputs y are [T][H] in the layer dtype; routing is int32 ids [T][k] and fp32 weights [T][k].
 *  - Every pointer in *_args is a device pointer on config.device. Biases are optional (NULL means zero).
 *  - All calls are asynchronous with respect to the host on args.stream (NULL = the legacy default stream),
 *    except create/destroy and the explicitly synchronous helpers at the bottom.
 *  - No call ever calls exit(); failures return a status and set flashmoe_last_error_message().
 */
#ifndef FLASHMOE_CAPI_FLASHMOE_C_H_
#define FLASHMOE_CAPI_FLASHMOE_C_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FLASHMOE_C_API_VERSION 1

/* Mirrors dev.flashmoe.ErrorCode; keep both in step. */
typedef enum flashmoe_status {
    FLASHMOE_SUCCESS = 0,
    FLASHMOE_ERROR_INVALID_ARGUMENT = 1, /* a value breaks a documented rule; nothing was launched */
    FLASHMOE_ERROR_UNSUPPORTED = 2,      /* valid, but not built into this library (dtype, arch, ...) */
    FLASHMOE_ERROR_NO_DEVICE = 3,        /* no usable CUDA device / driver */
    FLASHMOE_ERROR_OUT_OF_MEMORY = 4,
    FLASHMOE_ERROR_CUDA = 5,             /* a CUDA call failed; see flashmoe_last_error_fatal() */
    FLASHMOE_ERROR_NVSHMEM = 6,
    FLASHMOE_ERROR_TIMEOUT = 7,          /* a bounded in-kernel wait expired */
    FLASHMOE_ERROR_ROUTING = 8,          /* device-side check of caller-supplied routing failed */
    FLASHMOE_ERROR_INTERNAL = 9
} flashmoe_status;

typedef enum flashmoe_dtype {
    FLASHMOE_DTYPE_FP32 = 0,
    FLASHMOE_DTYPE_FP16 = 1,
    FLASHMOE_DTYPE_BF16 = 2
} flashmoe_dtype;

typedef enum flashmoe_mlp_type {
    FLASHMOE_MLP_GATED = 0,       /* W_down · (act(x·W_gate^T + b_gate) ⊙ (x·W_up^T + b_up)) + b_down */
    FLASHMOE_MLP_CONVENTIONAL = 1 /* W2 · act(x·W1^T + b1) + b2 */
} flashmoe_mlp_type;

typedef enum flashmoe_activation {
    FLASHMOE_ACT_SILU = 0,
    FLASHMOE_ACT_GELU_ERF = 1,
    FLASHMOE_ACT_GELU_TANH = 2,
    FLASHMOE_ACT_RELU = 3,
    FLASHMOE_ACT_IDENTITY = 4
} flashmoe_activation;

typedef enum flashmoe_kernel_path {
    FLASHMOE_PATH_FUSED = 0,  /* default: the whole layer in one persistent kernel launch */
    FLASHMOE_PATH_UNFUSED = 1 /* several kernels: the GPU-side reference for the fused path */
} flashmoe_kernel_path;

typedef enum flashmoe_expert_output_precision {
    FLASHMOE_EXPERT_OUTPUT_AUTO = 0, /* default: fp32, except bf16 fused forwards of at least 512 routes (T·k)
                                        on a Hopper GPU on one rank, which round each expert output row to the dtype
                                        before the weighted sum (docs/api-semantics.md, Numerics) */
    FLASHMOE_EXPERT_OUTPUT_FP32 = 1  /* always fp32: y never depends on T·k's side of that threshold, and a one-rank
                                        layer's y is bitwise an expert-parallel layer's of the same inputs */
} flashmoe_expert_output_precision;

typedef enum flashmoe_router_scoring {
    FLASHMOE_SCORING_SOFTMAX = 0, /* p = softmax(logits); selection by p */
    FLASHMOE_SCORING_SIGMOID = 1  /* s = sigmoid(logits); selection by s + expert_bias (DeepSeek-V3) */
} flashmoe_router_scoring;

typedef struct flashmoe_layer_config {
    int32_t dtype;            /* flashmoe_dtype */
    int32_t mlp_type;         /* flashmoe_mlp_type */
    int32_t activation;       /* flashmoe_activation */
    int32_t device;           /* CUDA device ordinal */
    int64_t hidden_size;      /* H */
    int64_t intermediate_size;/* I */
    int64_t num_experts;      /* E (P = 1: all local) */
    int64_t top_k;            /* k */
    int64_t max_tokens;       /* maxTokensPerRank: upper bound of num_tokens in any forward */
    float capacity_factor;    /* 0: dropless (negative is invalid); else capacity = max(1, ceil(cf * T * k / E)) per expert */
    int32_t allow_tf32;       /* fp32 only: 1 = TF32 tensor cores, 0 = exact fp32 */
    int32_t kernel_path;      /* flashmoe_kernel_path */
    int32_t timeout_ms;       /* bound of every in-kernel wait of the fused path; 0 = default (4000) */
    int32_t num_ranks;        /* P, expert-parallel ranks; 0 or 1 = one GPU (no NVSHMEM). P > 1 needs libflashmoe_ep */
    int32_t rank;             /* this rank in [0, P); 0 when P <= 1 */
    int32_t expert_output_precision; /* flashmoe_expert_output_precision; 0 = AUTO */
    int32_t reserved[3];      /* must be zero */
} flashmoe_layer_config;

typedef struct flashmoe_expert_weights {
    const void* w_gate; /* gated only */
    const void* w_up;
    const void* w_down;
    const void* b_gate; /* optional */
    const void* b_up;   /* optional */
    const void* b_down; /* optional */
} flashmoe_expert_weights;

typedef struct flashmoe_forward_args {
    const void* x;               /* [T][H] */
    void* y;                     /* [T][H]; every element is written */
    int64_t num_tokens;          /* T, 1 <= T <= max_tokens */
    const int32_t* topk_ids;     /* [T][k], each in [0, E) */
    const float* topk_weights;   /* [T][k] */
    flashmoe_expert_weights weights;
    int32_t* expert_counts;      /* optional [E]: routes assigned to each expert, before capacity drops */
    int32_t* dropped_routes;     /* optional [1]: routes dropped by the capacity rule (0 when dropless) */
    void* stream;                /* cudaStream_t */
} flashmoe_forward_args;

typedef struct flashmoe_router_config {
    int32_t dtype;                 /* flashmoe_dtype of x and w_router */
    int32_t scoring;               /* flashmoe_router_scoring */
    int32_t device;
    int32_t renormalize;           /* 1: divide the k selected weights by their sum */
    int64_t hidden_size;           /* H */
    int64_t num_experts;           /* E */
    int64_t top_k;                 /* k */
    int64_t max_tokens;
    int32_t num_groups;            /* grouped top-k: E split into num_groups contiguous groups; 1 = ungrouped */
    int32_t top_groups;            /* groups kept per token (1 <= top_groups <= num_groups) */
    float routed_scaling_factor;   /* final weights are multiplied by this (1 = none) */
    int32_t reserved[7];           /* must be zero */
} flashmoe_router_config;

typedef struct flashmoe_router_args {
    const void* x;               /* [T][H] */
    int64_t num_tokens;
    const void* w_router;        /* [E][H] */
    const float* expert_bias;    /* optional [E], sigmoid scoring only: added for selection, not to the weights */
    int32_t* topk_ids;           /* out [T][k], sorted by descending selection score, ties to the lower id */
    float* topk_weights;         /* out [T][k] */
    int32_t* expert_counts;      /* optional out [E] */
    void* stream;
} flashmoe_router_args;

typedef struct flashmoe_layer flashmoe_layer;   /* opaque */
typedef struct flashmoe_router flashmoe_router; /* opaque */

/* Library facts. */
int32_t flashmoe_c_api_version(void);
const char* flashmoe_build_info(void); /* static string: version, CUDA version, architectures */

/* The message of the last failed call on this thread ("" if none). Valid until the next call on this thread. */
const char* flashmoe_last_error_message(void);
/* 1 if the last failure on this thread left the CUDA context unusable (sticky error). */
int32_t flashmoe_last_error_fatal(void);

/* Devices. */
flashmoe_status flashmoe_device_count(int32_t* count); /* 0 and SUCCESS when no driver / device */
flashmoe_status flashmoe_device_name(int32_t device, char* buffer, int32_t buffer_bytes);

/* Layer: host contract first (can_implement, workspace), then create / forward / destroy. */
flashmoe_status flashmoe_layer_check(const flashmoe_layer_config* config);
flashmoe_status flashmoe_layer_workspace_bytes(const flashmoe_layer_config* config, size_t* bytes);
flashmoe_status flashmoe_layer_create(const flashmoe_layer_config* config, flashmoe_layer** layer);
flashmoe_status flashmoe_layer_forward(flashmoe_layer* layer, const flashmoe_forward_args* args);
flashmoe_status flashmoe_layer_destroy(flashmoe_layer* layer); /* NULL is a no-op */
/* Waits for the layer's most recent forward and reports what the device recorded during it, once:
 *   FLASHMOE_ERROR_ROUTING  an expert id was outside [0, E) or a routing weight was not finite: those routes
 *                           contributed zero and were not counted, y is fully written;
 *   FLASHMOE_ERROR_TIMEOUT  a bounded in-kernel wait expired (the message names role, block, expert and tile); the
 *                           launch was aborted and y is not valid; the layer stays usable;
 *   FLASHMOE_SUCCESS        nothing was recorded.
 * Under stream capture no ordering event is recorded: synchronize the stream before calling this. */
flashmoe_status flashmoe_layer_check_last_forward(flashmoe_layer* layer);
/* Debug fault injection (fused path): the scheduler withholds the task with this ordinal (-1 = off), so the launch
 * must end by timeout. For tests of the no-hang guarantee only. NOTE: only GEMM tasks have waiters; an ordinal that
 * lands on a COMBINE task (queued after the GEMM1 tasks of its tokens) leaves that task's slice of y unwritten and the
 * forward ends without an error, so tests withhold ordinals among the first GEMM0 tasks (fused_test: 0, 57, 400). */
flashmoe_status flashmoe_layer_debug_withhold_task(flashmoe_layer* layer, int32_t task_ordinal);

/* Router: one fused launch (gate GEMM + scoring + (grouped) top-k + renormalise/scale). */
flashmoe_status flashmoe_router_check(const flashmoe_router_config* config);
flashmoe_status flashmoe_router_create(const flashmoe_router_config* config, flashmoe_router** router);
flashmoe_status flashmoe_router_run(flashmoe_router* router, const flashmoe_router_args* args);
flashmoe_status flashmoe_router_destroy(flashmoe_router* router);

/* Synchronous memory helpers, so the JVM side needs no other CUDA binding. */
flashmoe_status flashmoe_malloc(int32_t device, size_t bytes, void** ptr);
flashmoe_status flashmoe_free(int32_t device, void* ptr);
flashmoe_status flashmoe_memcpy_htod(int32_t device, void* dst, const void* src, size_t bytes);
flashmoe_status flashmoe_memcpy_dtoh(int32_t device, void* dst, const void* src, size_t bytes);
flashmoe_status flashmoe_memset(int32_t device, void* ptr, int32_t value, size_t bytes);
flashmoe_status flashmoe_stream_synchronize(int32_t device, void* stream);
/* The device a stream belongs to; -1 for the special handles (NULL/legacy, per-thread), which follow the current
 * device. Lets the JVM side reject a stream of another device before any launch. */
flashmoe_status flashmoe_stream_device(void* stream, int32_t* device);
flashmoe_status flashmoe_mem_get_info(int32_t device, size_t* free_bytes, size_t* total_bytes);

/* Expert parallelism (docs/expert-parallel.md). The NVSHMEM-dependent half lives in libflashmoe_ep.so (built with
 * --with-nvshmem), which this library loads with dlopen on the first call that needs it — never for P = 1, so
 * single-GPU use needs no NVSHMEM at run time. Calls that need it return FLASHMOE_ERROR_UNSUPPORTED ("built without
 * NVSHMEM: rebuild with --with-nvshmem") when it is absent, and FLASHMOE_ERROR_NVSHMEM naming the failed NVSHMEM call.
 * Placement: expert_ranks[e] = the rank owning expert e; NULL = contiguous blocks (needs E % P == 0: rank r owns
 * experts [r·E/P, (r+1)·E/P)). Every rank holds E_local = max experts of any rank. */
#define FLASHMOE_EP_UNIQUE_ID_BYTES 128
#define FLASHMOE_EP_MAX_RANKS 1024

typedef enum flashmoe_ep_bootstrap {
    FLASHMOE_EP_BOOTSTRAP_UNIQUE_ID = 0, /* rank 0 calls flashmoe_ep_get_unique_id; the caller's launcher shares it */
    FLASHMOE_EP_BOOTSTRAP_MPI = 1        /* under mpirun: NVSHMEM's MPI bootstrap plugin (MPI_COMM_WORLD) */
} flashmoe_ep_bootstrap;

typedef struct flashmoe_ep_config {
    int32_t device;            /* CUDA device ordinal this rank uses (NVSHMEM binds it at init) */
    int32_t bootstrap;         /* flashmoe_ep_bootstrap */
    int32_t rank;              /* UNIQUE_ID: in [0, num_ranks). MPI: 0 (taken from MPI) or the MPI rank */
    int32_t num_ranks;         /* UNIQUE_ID: in [1, FLASHMOE_EP_MAX_RANKS]. MPI: 0 (taken from MPI) or the MPI size */
    const uint8_t* unique_id;  /* UNIQUE_ID: FLASHMOE_EP_UNIQUE_ID_BYTES from rank 0; MPI: NULL */
    int64_t heap_bytes;        /* symmetric heap to reserve; 0 = NVSHMEM's default / NVSHMEM_SYMMETRIC_SIZE */
    int32_t reserved[6];       /* must be zero */
} flashmoe_ep_config;

typedef struct flashmoe_ep_context flashmoe_ep_context; /* opaque; one live per process (NVSHMEM is per process) */

/* SUCCESS when libflashmoe_ep.so loads here (loads it; NVSHMEM is not initialised); else UNSUPPORTED and why. */
flashmoe_status flashmoe_ep_library_status(void);
/* Optional, before any other ep call: load libflashmoe_ep.so from this path. NULL (and every other ep call that needs
 * it): $FLASHMOE_EP_LIBRARY, then beside libflashmoe.so, then the loader's search path. $FLASHMOE_NVSHMEM_LIB_DIR, when
 * set, names the folder of libnvshmem_host.so.3 to load first (else its RUNPATH $ORIGIN / LD_LIBRARY_PATH). */
flashmoe_status flashmoe_ep_load_library(const char* path);
/* Symmetric workspace bytes of a layer (pure arithmetic: works without libflashmoe_ep and without a GPU). */
flashmoe_status flashmoe_ep_workspace_bytes(const flashmoe_layer_config* config, const int32_t* expert_ranks,
                                            size_t* bytes);
/* The default placement: expert_ranks[e] = e / (E / P); INVALID_ARGUMENT unless E % P == 0. */
flashmoe_status flashmoe_ep_default_placement(int64_t num_experts, int32_t num_ranks, int32_t* expert_ranks);
/* Checks a placement: every entry in [0, num_ranks). */
flashmoe_status flashmoe_ep_check_placement(int64_t num_experts, int32_t num_ranks, const int32_t* expert_ranks);
/* Rank 0 (UNIQUE_ID bootstrap): a fresh id to hand to every rank before they all call flashmoe_ep_create. */
flashmoe_status flashmoe_ep_get_unique_id(uint8_t* unique_id, size_t bytes);
/* Collective: every rank calls it (same num_ranks). Initialises NVSHMEM on config.device. */
flashmoe_status flashmoe_ep_create(const flashmoe_ep_config* config, flashmoe_ep_context** context);
/* Collective: frees what the context still holds and finalises NVSHMEM. NULL is a no-op. */
flashmoe_status flashmoe_ep_destroy(flashmoe_ep_context* context);
flashmoe_status flashmoe_ep_rank_info(const flashmoe_ep_context* context, int32_t* rank, int32_t* num_ranks);
/* Collective: `bytes` (the same on every rank) of zeroed symmetric memory. Freed by flashmoe_ep_free (collective)
 * or by flashmoe_ep_destroy. */
flashmoe_status flashmoe_ep_alloc(flashmoe_ep_context* context, size_t bytes, void** ptr);
flashmoe_status flashmoe_ep_free(flashmoe_ep_context* context, void* ptr);
/* nvshmem_ptr(local, peer): the peer's address of a symmetric address when it is load/store reachable (NVLink,
 * P2P, or the rank itself), else NULL (then only puts reach it). */
flashmoe_status flashmoe_ep_peer_pointer(const flashmoe_ep_context* context, const void* local, int32_t peer,
                                         void** remote);

/* Expert-parallel layer (the fused path across P ranks, design.md §4). config->num_ranks must equal the context's P
 * (P = 1 is allowed: the full NVSHMEM path with the own rank treated as a remote peer) and config->rank its rank.
 * COLLECTIVE: every rank calls it with the same config (except rank) and the same placement, because it allocates the
 * layer's symmetric workspace (flashmoe_ep_workspace_bytes) on the NVSHMEM heap; flashmoe_layer_destroy of such a
 * layer is collective too. expert_ranks: NULL = contiguous blocks. The context must outlive the layer.
 * flashmoe_layer_forward on such a layer is collective: every rank calls it the same number of times, in the same
 * order (its num_tokens may differ, 1 <= T <= max_tokens). Its weights are this rank's local experts only, in
 * increasing global expert id ([E_rank][I][H] etc., E_rank = experts this rank owns); topk_ids are global expert ids;
 * expert_counts ([E], optional) counts this rank's routes per global expert and dropped_routes this rank's routes
 * dropped by the capacity rule (capacity applies per (source rank, expert)). A peer that never signals ends the
 * launch within the layer's timeout; flashmoe_layer_check_last_forward then answers TIMEOUT naming the peer rank,
 * the stage (dispatch or combine), the expert and the tile. */
flashmoe_status flashmoe_layer_create_ep(const flashmoe_layer_config* config, flashmoe_ep_context* context,
                                         const int32_t* expert_ranks, flashmoe_layer** layer);
/* Experts this rank owns under a placement (NULL = contiguous): the leading dimension of its weights. */
flashmoe_status flashmoe_ep_local_experts(int64_t num_experts, int32_t num_ranks, const int32_t* expert_ranks,
                                          int32_t rank, int32_t* local_experts);

typedef enum flashmoe_ep_transport {
    FLASHMOE_EP_TRANSPORT_AUTO = 0,   /* direct stores where nvshmem_ptr maps the peer (NVLink, self), else puts */
    FLASHMOE_EP_TRANSPORT_PUT = 1,    /* nvshmem_putmem_signal_nbi to every peer (tests the remote path on one GPU) */
    FLASHMOE_EP_TRANSPORT_STORE = 2   /* direct stores only; INVALID_ARGUMENT if some peer is not mapped */
} flashmoe_ep_transport;
/* Test hook of an expert-parallel layer: how tiles travel. Takes effect at the next forward. */
flashmoe_status flashmoe_layer_set_ep_transport(flashmoe_layer* layer, int32_t transport);
/* Debug fault injection of an expert-parallel layer: 1 = this rank sends no arrival signal at all (its peers must
 * end by timeout and name it), 0 = normal. For tests of the no-hang guarantee only. */
flashmoe_status flashmoe_layer_debug_withhold_signals(flashmoe_layer* layer, int32_t withhold);

/* In-kernel trace of the fused path (design.md §3): when enabled, each forward records per block the start and end
 * (GPU global timer, ns) of its phases and tasks, for a timeline (benchmarks: dev.flashmoe.bench.trace). Off by
 * default; when on, each forward also enqueues a small memset before its kernel (a captured graph then has 2 nodes).
 * Not available on the unfused path or on expert-parallel layers (UNSUPPORTED). */
typedef enum flashmoe_trace_kind {
    FLASHMOE_TRACE_ROUTING = 0,      /* OS block: slot assignment */
    FLASHMOE_TRACE_COLLECT = 1,      /* OS block, expert parallelism: waiting for every pair's first tile */
    FLASHMOE_TRACE_ROUTING_WAIT = 2, /* processor: waiting for the slot assignment */
    FLASHMOE_TRACE_DISPATCH = 3,     /* processor: gathering its claimed row tiles */
    FLASHMOE_TRACE_WAIT = 4,         /* processor: waiting for its next task */
    FLASHMOE_TRACE_GEMM0 = 5,
    FLASHMOE_TRACE_GEMM1 = 6,
    FLASHMOE_TRACE_COMBINE = 7,
    /* OS block hand-offs (start: the subscriber found the items ready; end: the batch is on its ring; tile: the first
     * row tile of the group, or the first token tile of the run) */
    FLASHMOE_TRACE_PUSH_GEMM0 = 8,   /* dispatched row tiles -> their GEMM0 tasks */
    FLASHMOE_TRACE_PUSH_GEMM1 = 9,   /* row tiles through GEMM0 -> their GEMM1 tasks */
    FLASHMOE_TRACE_PUSH_COMBINE = 10, /* token tiles ready -> their COMBINE tasks */
    FLASHMOE_TRACE_RELEASE = 11      /* scheduler: batches popped (start) until the queue's count is published (end);
                                        tile = that count */
} flashmoe_trace_kind;

typedef struct flashmoe_trace_event {
    uint64_t start_ns;
    uint64_t end_ns;
    int32_t block; /* 0 = the OS block, 1.. = processors */
    int32_t sm;
    int32_t kind;  /* flashmoe_trace_kind */
    int32_t tile;  /* row tile (GEMM0/1, PUSH_GEMM0/1), token tile (COMBINE, PUSH_COMBINE), released count
                      (RELEASE), else -1 */
} flashmoe_trace_event;

/* events_per_block > 0: record up to that many events per block in every later forward; 0: off (frees the buffer). */
flashmoe_status flashmoe_layer_enable_trace(flashmoe_layer* layer, int32_t events_per_block);
/* After the latest forward completed (synchronize first): its events, block by block, into `events` (up to
 * `capacity`); `count` = events copied, `dropped` = events a block recorded past its capacity. */
flashmoe_status flashmoe_layer_read_trace(flashmoe_layer* layer, flashmoe_trace_event* events, int64_t capacity,
                                          int64_t* count, int64_t* dropped);

/* Benchmark helpers (what benchmarks/ and docs/perf-notes.md measure with; METHOD.md of the device tool).
 * flashmoe_bench_time_layer: captures ONE forward of `args` (args->stream is ignored) into a CUDA graph on a private
 * stream (use_graph = 1; 0 launches the forward directly each time), replays it `warmup` times, then `iters` times,
 * each bracketed by CUDA events; times_ms[i] = the i-th replay's device time. Synchronizes, then reports what the
 * device recorded during the replays (as flashmoe_layer_check_last_forward). Collective on an expert-parallel layer.
 * flashmoe_bench_time_layer_sets: the same over `num_sets` forwards args[0 .. num_sets - 1] (1 .. 1024; each its
 * own inputs and routing), one graph captured per set; the warm-up and timed replays take the sets in turn (replay i
 * runs set i mod num_sets), so that a replay does not find the expert weights of the one before in the L2 (the
 * device tool's METHOD.md: rotate among input sets that fit in the cache). num_sets = 1 is flashmoe_bench_time_layer.
 * flashmoe_bench_time_router: the same as flashmoe_bench_time_layer for one router run. */
flashmoe_status flashmoe_bench_time_layer(flashmoe_layer* layer, const flashmoe_forward_args* args, int32_t warmup,
                                          int32_t iters, int32_t use_graph, float* times_ms);
flashmoe_status flashmoe_bench_time_layer_sets(flashmoe_layer* layer, const flashmoe_forward_args* args,
                                               int32_t num_sets, int32_t warmup, int32_t iters, int32_t use_graph,
                                               float* times_ms);
flashmoe_status flashmoe_bench_time_router(flashmoe_router* router, const flashmoe_router_args* args, int32_t warmup,
                                           int32_t iters, int32_t use_graph, float* times_ms);
/* Device copy bandwidth: the median of `iters` device-to-device copies of `bytes`, counting read + write
 * (2 * bytes per copy), in bytes per second. */
flashmoe_status flashmoe_bench_copy_bandwidth(int32_t device, size_t bytes, int32_t iters, double* bytes_per_second);
/* The bf16 matmul rate: the median of `iters` m x m x m GEMMs (bf16 in and out, fp32 accumulate) by cuBLAS, loaded
 * with dlopen at this call only ($FLASHMOE_CUBLAS_LIBRARY, else libcublas.so.13, .so.12, .so): libflashmoe.so never
 * links cuBLAS. UNSUPPORTED, saying where it looked, when none loads. `detail` (optional) receives the library used. */
flashmoe_status flashmoe_bench_matmul_rate(int32_t device, int32_t m, int32_t iters, double* flops_per_second,
                                           char* detail, int32_t detail_bytes);

#ifdef __cplusplus
}
#endif

#endif /* FLASHMOE_CAPI_FLASHMOE_C_H_ */
