// The C API of flashmoe_c.h: argument checks, handles, error reporting, and dispatch to the per-dtype TUs.
// Every entry point runs inside guard(): exceptions become a status plus the thread-local message; nothing exits.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "flashmoe/capi/flashmoe_c.h"
#include "flashmoe/common/capacity.h"
#include "flashmoe/common/env_setting.h"
#include "flashmoe/common/error.h"
#include "flashmoe/router/router_launch.h"
#include "flashmoe/unfused/api.h"
#include "flashmoe/unfused/workspace.h"
#include "capi_internal.h"
#include "flashmoe/comm/ep_plugin.h"
#if FLASHMOE_WITH_FUSED
#include "flashmoe/fused/fused_layer.cuh"
#endif

#ifndef FLASHMOE_VERSION_STRING
#define FLASHMOE_VERSION_STRING "0.0.0"
#endif
#ifndef FLASHMOE_ARCHS_STRING
#define FLASHMOE_ARCHS_STRING "unknown"
#endif

namespace {

using flashmoe::Error;
using flashmoe::capi::check_range;
using flashmoe::capi::guard;
using flashmoe::capi::invalid;
using flashmoe::capi::require_not_null;
using flashmoe::capi::t_last_error;
using flashmoe::capi::t_last_error_fatal;

// Limits shared with dev.flashmoe.InitArgs: keep both in step.
constexpr int64_t kAlignment = 8;
constexpr int64_t kMaxDim = 65536;
constexpr int64_t kMaxExperts = 512;
constexpr int64_t kMaxTopK = 16;
constexpr int64_t kMaxTokens = int64_t{1} << 20;

void check_dim(const char* field, int64_t value) {
    check_range(field, value, kAlignment, kMaxDim);
    if (value % kAlignment != 0) {
        invalid(field, value, "must be a multiple of " + std::to_string(kAlignment));
    }
}

void check_reserved(const char* struct_name, const int32_t* reserved, int count) {
    for (int index = 0; index < count; ++index) {
        if (reserved[index] != 0) {
            const std::string field = std::string(struct_name) + ".reserved[" + std::to_string(index) + "]";
            invalid(field.c_str(), reserved[index], "must be zero");
        }
    }
}

void check_dtype(const char* field, int32_t dtype) {
    if (dtype != FLASHMOE_DTYPE_FP32 && dtype != FLASHMOE_DTYPE_FP16 && dtype != FLASHMOE_DTYPE_BF16) {
        invalid(field, dtype, "must be FLASHMOE_DTYPE_FP32 (0), FP16 (1) or BF16 (2)");
    }
}

// expert_parallel: called by flashmoe_layer_create_ep, which takes num_ranks > 1 (and 1) through the EP library.
void check_layer_config(const flashmoe_layer_config* config, bool expert_parallel = false) {
    require_not_null("config", config);
    check_dtype("config.dtype", config->dtype);
    if (config->mlp_type != FLASHMOE_MLP_GATED && config->mlp_type != FLASHMOE_MLP_CONVENTIONAL) {
        invalid("config.mlp_type", config->mlp_type, "must be FLASHMOE_MLP_GATED (0) or FLASHMOE_MLP_CONVENTIONAL (1)");
    }
    if (config->activation < FLASHMOE_ACT_SILU || config->activation > FLASHMOE_ACT_IDENTITY) {
        invalid("config.activation", config->activation, "must be a flashmoe_activation in [0, 4]");
    }
    check_range("config.device", config->device, 0, INT32_MAX);
    check_dim("config.hidden_size", config->hidden_size);
    check_dim("config.intermediate_size", config->intermediate_size);
    check_range("config.num_experts", config->num_experts, 1, kMaxExperts);
    check_range("config.top_k", config->top_k, 1, std::min(kMaxTopK, config->num_experts));
    check_range("config.max_tokens", config->max_tokens, 1, kMaxTokens);
    if (!std::isfinite(config->capacity_factor) || config->capacity_factor < 0.0f) {
        invalid("config.capacity_factor", config->capacity_factor, "must be finite and >= 0 (0 = dropless)");
    }
    if (config->allow_tf32 != 0 && config->allow_tf32 != 1) {
        invalid("config.allow_tf32", config->allow_tf32, "must be 0 or 1");
    }
    if (config->kernel_path != FLASHMOE_PATH_FUSED && config->kernel_path != FLASHMOE_PATH_UNFUSED) {
        invalid("config.kernel_path", config->kernel_path,
                "must be FLASHMOE_PATH_FUSED (0) or FLASHMOE_PATH_UNFUSED (1)");
    }
    check_range("config.timeout_ms", config->timeout_ms, 0, 600000);
    check_range("config.num_ranks", config->num_ranks, 0, FLASHMOE_EP_MAX_RANKS);
    check_range("config.rank", config->rank, 0, std::max<int64_t>(config->num_ranks, 1) - 1);
    if (config->expert_output_precision != FLASHMOE_EXPERT_OUTPUT_AUTO &&
        config->expert_output_precision != FLASHMOE_EXPERT_OUTPUT_FP32) {
        invalid("config.expert_output_precision", config->expert_output_precision,
                "must be FLASHMOE_EXPERT_OUTPUT_AUTO (0) or FLASHMOE_EXPERT_OUTPUT_FP32 (1)");
    }
    check_reserved("config", config->reserved, 3);
    if (config->num_ranks > 1 && !expert_parallel) {
        // NOTE: the EP library is loaded (and its absence reported) first, so a caller learns a build problem before
        // the pointer to the right call; P <= 1 never gets here and never loads NVSHMEM.
        flashmoe::capi::require_ep_library("config.num_ranks = " + std::to_string(config->num_ranks));
        throw Error(FLASHMOE_ERROR_INVALID_ARGUMENT,
                    "config.num_ranks = " + std::to_string(config->num_ranks) +
                        ": an expert-parallel layer is created with flashmoe_layer_create_ep (it needs the "
                        "flashmoe_ep_context of this rank and allocates symmetric memory collectively)");
    }
    if (expert_parallel && config->kernel_path != FLASHMOE_PATH_FUSED) {
        invalid("config.kernel_path", config->kernel_path,
                "an expert-parallel layer runs the fused kernel only (FLASHMOE_PATH_FUSED = 0)");
    }
#if FLASHMOE_WITH_FUSED
    if (config->kernel_path == FLASHMOE_PATH_FUSED) {
        std::string why;
        const flashmoe_status status = flashmoe::fused::FusedLayer::check(*config, why);
        if (status != FLASHMOE_SUCCESS) {
            throw Error(status, "fused path: " + why);
        }
    }
#else
    if (config->kernel_path == FLASHMOE_PATH_FUSED) {
        throw Error(FLASHMOE_ERROR_UNSUPPORTED,
                    "config.kernel_path = FLASHMOE_PATH_FUSED: this library was built without the fused kernel "
                    "(FLASHMOE_BUILD_FUSED=OFF); use FLASHMOE_PATH_UNFUSED");
    }
#endif
}

void check_router_config(const flashmoe_router_config* config) {
    require_not_null("config", config);
    check_dtype("config.dtype", config->dtype);
    if (config->scoring != FLASHMOE_SCORING_SOFTMAX && config->scoring != FLASHMOE_SCORING_SIGMOID) {
        invalid("config.scoring", config->scoring, "must be FLASHMOE_SCORING_SOFTMAX (0) or FLASHMOE_SCORING_SIGMOID (1)");
    }
    check_range("config.device", config->device, 0, INT32_MAX);
    if (config->renormalize != 0 && config->renormalize != 1) {
        invalid("config.renormalize", config->renormalize, "must be 0 or 1");
    }
    check_dim("config.hidden_size", config->hidden_size);
    check_range("config.num_experts", config->num_experts, 1, kMaxExperts);
    check_range("config.top_k", config->top_k, 1, std::min(kMaxTopK, config->num_experts));
    check_range("config.max_tokens", config->max_tokens, 1, kMaxTokens);
    check_range("config.num_groups", config->num_groups, 1, config->num_experts);
    if (config->num_experts % config->num_groups != 0) {
        invalid("config.num_groups", config->num_groups,
                "must divide num_experts = " + std::to_string(config->num_experts));
    }
    check_range("config.top_groups", config->top_groups, 1, config->num_groups);
    const int64_t selectable = int64_t{config->top_groups} * (config->num_experts / config->num_groups);
    if (config->top_k > selectable) {
        invalid("config.top_k", config->top_k,
                "must be <= top_groups * num_experts / num_groups = " + std::to_string(selectable) +
                    " (the experts the kept groups hold)");
    }
    if (!std::isfinite(config->routed_scaling_factor) || config->routed_scaling_factor <= 0.0f) {
        invalid("config.routed_scaling_factor", config->routed_scaling_factor, "must be finite and > 0");
    }
    check_reserved("config", config->reserved, 7);
}

// Makes `device` current for the call and restores the caller's device after it (JVM threads share devices).
class DeviceGuard {
   public:
    explicit DeviceGuard(int32_t device) {
        FLASHMOE_CUDA_CHECK(cudaGetDevice(&previous_));
        if (previous_ != device) {
            FLASHMOE_CUDA_CHECK(cudaSetDevice(device));
        }
        changed_ = previous_ != device;
    }
    ~DeviceGuard() {
        if (changed_) {
            cudaSetDevice(previous_);  // NOTE: best effort; a failure here must not mask the call's own error
        }
    }
    DeviceGuard(const DeviceGuard&) = delete;
    DeviceGuard& operator=(const DeviceGuard&) = delete;

   private:
    int previous_ = 0;
    bool changed_ = false;
};

flashmoe::UnfusedWorkspaceShape workspace_shape(const flashmoe_layer_config& config) {
    flashmoe::UnfusedWorkspaceShape shape{};
    shape.max_tokens = config.max_tokens;
    shape.top_k = config.top_k;
    shape.num_experts = config.num_experts;
    shape.hidden_size = config.hidden_size;
    shape.intermediate_size = config.intermediate_size;
    shape.element_bytes = config.dtype == FLASHMOE_DTYPE_FP32 ? 4 : 2;
    return shape;
}

bool stream_is_capturing(cudaStream_t stream) {
    cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
    FLASHMOE_CUDA_CHECK(cudaStreamIsCapturing(stream, &capture));
    return capture != cudaStreamCaptureStatusNone;
}

}  // namespace

struct flashmoe_layer {
    flashmoe_layer_config config;
    void* workspace_memory = nullptr;
    flashmoe::UnfusedWorkspace workspace{};
    // Orders forwards on different streams: they share the workspace (waited on, then recorded, by each forward).
    cudaEvent_t workspace_free = nullptr;
    bool broken = false;  // a sticky CUDA error was seen: every later call fails fast
#if FLASHMOE_WITH_FUSED
    std::unique_ptr<flashmoe::fused::FusedLayer> fused;  // set when config.kernel_path is FLASHMOE_PATH_FUSED
#endif
    // Expert-parallel layers live in libflashmoe_ep.so (flashmoe_layer_create_ep): the plugin and its layer.
    const flashmoe_ep_plugin* ep_plugin = nullptr;
    void* ep_layer = nullptr;
};

namespace {
// A failed plugin call as an Error with the plugin's message.
void check_ep(const flashmoe_ep_plugin* plugin, flashmoe_status status, const char* call) {
    if (status != FLASHMOE_SUCCESS) {
        const char* message = plugin->last_error_message();
        throw Error(status, std::string(call) + ": " + (message != nullptr ? message : "(no message)"));
    }
}

// Calls f with a value of the router's element type (validated dtype: fp32, fp16, else bf16).
template <typename F>
void with_router_element(int32_t dtype, F&& f) {
    switch (dtype) {
        case FLASHMOE_DTYPE_FP32:
            f(float{});
            break;
        case FLASHMOE_DTYPE_FP16:
            f(__half{});
            break;
        default:
            f(__nv_bfloat16{});
            break;
    }
}
}  // namespace

struct flashmoe_router {
    flashmoe_router_config config;
    // Expert-count accumulators and slice arrivals, zeroed once here and re-zeroed by each launch (no memset per run),
    // then the logits of sliced launches (router_scratch_bytes).
    flashmoe::router::RouterScratch* scratch = nullptr;
    // Orders runs on different streams: they share the scratch (waited on, then recorded, by each run that uses it).
    cudaEvent_t scratch_free = nullptr;
    flashmoe::router::RouterTuning tuning;  // router_tuning_from_env, at creation
};

namespace {
// The router's launch choices for A/B runs (router_launch.h RouterTuning); a malformed value fails the creation.
flashmoe::router::RouterTuning router_tuning_from_env() {
    using namespace flashmoe::router;
    RouterTuning tuning;
    tuning.split_max_tokens = flashmoe::int_setting("FLASHMOE_ROUTER_SPLIT_MAX_TOKENS", 0, kSplitMaxTokens,
                                                    static_cast<int32_t>(kSplitMaxTokens));
    return tuning;
}
}  // namespace

namespace flashmoe::capi {
int32_t layer_device(const flashmoe_layer* layer) { return layer->config.device; }
int32_t router_device(const flashmoe_router* router) { return router->config.device; }
}  // namespace flashmoe::capi

// The library compiles with hidden visibility; only these definitions leave it (src/flashmoe.map agrees).
#pragma GCC visibility push(default)
extern "C" {

int32_t flashmoe_c_api_version(void) { return FLASHMOE_C_API_VERSION; }

const char* flashmoe_build_info(void) {
    static const std::string info = [] {
        std::ostringstream text;
        text << "flashmoe " << FLASHMOE_VERSION_STRING << " (C API " << FLASHMOE_C_API_VERSION << "), CUDA runtime "
             << CUDART_VERSION / 1000 << "." << (CUDART_VERSION % 1000) / 10 << " (static), archs "
             << FLASHMOE_ARCHS_STRING
#if FLASHMOE_WITH_FUSED
             << ", layer paths: fused (one kernel, default) and unfused (multi-kernel reference)"
#else
             << ", layer path: unfused (multi-kernel) only"
#endif
#ifdef FLASHMOE_HAVE_NVSHMEM
             << ", nvshmem device library linked"
#endif
            ;
        return text.str();
    }();
    return info.c_str();
}

const char* flashmoe_last_error_message(void) { return t_last_error.c_str(); }

int32_t flashmoe_last_error_fatal(void) { return t_last_error_fatal; }

flashmoe_status flashmoe_device_count(int32_t* count) {
    return guard([&] {
        require_not_null("count", count);
        int devices = 0;
        const cudaError_t error = cudaGetDeviceCount(&devices);
        if (error == cudaErrorNoDevice || error == cudaErrorInsufficientDriver) {
            cudaGetLastError();  // not sticky: clear it so the next call starts clean
            *count = 0;
            return;
        }
        FLASHMOE_CUDA_CHECK(error);
        *count = devices;
    });
}

flashmoe_status flashmoe_device_name(int32_t device, char* buffer, int32_t buffer_bytes) {
    return guard([&] {
        require_not_null("buffer", buffer);
        check_range("buffer_bytes", buffer_bytes, 1, INT32_MAX);
        cudaDeviceProp properties{};
        FLASHMOE_CUDA_CHECK(cudaGetDeviceProperties(&properties, device));
        std::strncpy(buffer, properties.name, static_cast<size_t>(buffer_bytes) - 1);
        buffer[buffer_bytes - 1] = '\0';
    });
}

flashmoe_status flashmoe_layer_check(const flashmoe_layer_config* config) {
    return guard([&] { check_layer_config(config); });
}

flashmoe_status flashmoe_layer_workspace_bytes(const flashmoe_layer_config* config, size_t* bytes) {
    return guard([&] {
        check_layer_config(config);
        require_not_null("bytes", bytes);
#if FLASHMOE_WITH_FUSED
        if (config->kernel_path == FLASHMOE_PATH_FUSED) {
            *bytes = flashmoe::fused::FusedLayer::workspace_bytes(*config);
            return;
        }
#endif
        *bytes = flashmoe::UnfusedWorkspace::layout(workspace_shape(*config), nullptr, nullptr);
    });
}

flashmoe_status flashmoe_layer_create(const flashmoe_layer_config* config, flashmoe_layer** layer) {
    return guard([&] {
        check_layer_config(config);
        require_not_null("layer", layer);
        *layer = nullptr;
        DeviceGuard device(config->device);
        auto* created = new flashmoe_layer();
        created->config = *config;
        try {
#if FLASHMOE_WITH_FUSED
            if (config->kernel_path == FLASHMOE_PATH_FUSED) {
                created->fused = std::make_unique<flashmoe::fused::FusedLayer>(*config);
                if (config->timeout_ms > 0) {
                    created->fused->set_timeout_ns(static_cast<uint64_t>(config->timeout_ms) * 1000000ull);
                }
            }
            const bool unfused = !created->fused;
#else
            const bool unfused = true;
#endif
            if (unfused) {
                const auto shape = workspace_shape(*config);
                const size_t bytes = flashmoe::UnfusedWorkspace::layout(shape, nullptr, nullptr);
                FLASHMOE_CUDA_CHECK(cudaMalloc(&created->workspace_memory, bytes));
                flashmoe::UnfusedWorkspace::layout(shape, created->workspace_memory, &created->workspace);
            }
            FLASHMOE_CUDA_CHECK(cudaEventCreateWithFlags(&created->workspace_free, cudaEventDisableTiming));
        } catch (...) {
            if (created->workspace_memory != nullptr) {
                cudaFree(created->workspace_memory);
            }
            delete created;
            throw;
        }
        *layer = created;
    });
}

flashmoe_status flashmoe_layer_forward(flashmoe_layer* layer, const flashmoe_forward_args* args) {
    return guard([&] {
        require_not_null("layer", layer);
        require_not_null("args", args);
        if (layer->broken) {
            throw Error(FLASHMOE_ERROR_CUDA, "an earlier call on this layer hit a sticky CUDA error", true);
        }
        const flashmoe_layer_config& config = layer->config;
        check_range("args.num_tokens", args->num_tokens, 1, config.max_tokens);
        require_not_null("args.x", args->x);
        require_not_null("args.y", args->y);
        require_not_null("args.topk_ids", args->topk_ids);
        require_not_null("args.topk_weights", args->topk_weights);
        require_not_null("args.weights.w_up", args->weights.w_up);
        require_not_null("args.weights.w_down", args->weights.w_down);
        if (config.mlp_type == FLASHMOE_MLP_GATED) {
            require_not_null("args.weights.w_gate", args->weights.w_gate);
        } else if (args->weights.w_gate != nullptr || args->weights.b_gate != nullptr) {
            invalid("args.weights.w_gate", args->weights.w_gate != nullptr ? "non-NULL" : "NULL (b_gate non-NULL)",
                    "a CONVENTIONAL layer has no gate projection: pass W1 as w_up and W2 as w_down");
        }
        if (args->x == args->y) {
            invalid("args.y", "args.x", "must not alias x");
        }
        DeviceGuard device(config.device);
        auto stream = static_cast<cudaStream_t>(args->stream);
        try {
            const bool capturing = stream_is_capturing(stream);
            if (!capturing) {
                FLASHMOE_CUDA_CHECK(cudaStreamWaitEvent(stream, layer->workspace_free, 0));
            }
#if FLASHMOE_WITH_FUSED
            if (layer->fused) {
                std::string message;
                const flashmoe_status status = layer->fused->forward(*args, message);
                if (status != FLASHMOE_SUCCESS) {
                    throw Error(status, message);
                }
            }
            const bool unfused = !layer->fused && layer->ep_layer == nullptr;
#else
            const bool unfused = layer->ep_layer == nullptr;
#endif
            if (layer->ep_layer != nullptr) {
                check_ep(layer->ep_plugin, layer->ep_plugin->layer_forward(layer->ep_layer, args),
                         "expert-parallel forward");
            }
            const int64_t capacity =
                flashmoe::expert_capacity(config.capacity_factor, args->num_tokens, config.top_k, config.num_experts);
            if (unfused) {
            flashmoe::launch_unfused_routing(layer->workspace, config, *args, capacity, stream);
            switch (config.dtype) {
                case FLASHMOE_DTYPE_FP32:
                    flashmoe::launch_unfused_experts<float>(layer->workspace, config, *args, stream);
                    break;
                case FLASHMOE_DTYPE_FP16:
                    flashmoe::launch_unfused_experts<__half>(layer->workspace, config, *args, stream);
                    break;
                default:
                    flashmoe::launch_unfused_experts<__nv_bfloat16>(layer->workspace, config, *args, stream);
                    break;
            }
            }
            if (!capturing) {
                FLASHMOE_CUDA_CHECK(cudaEventRecord(layer->workspace_free, stream));
            }
        } catch (const Error& error) {
            layer->broken = layer->broken || error.fatal();
            throw;
        }
    });
}

flashmoe_status flashmoe_layer_check_last_forward(flashmoe_layer* layer) {
    return guard([&] {
        require_not_null("layer", layer);
        DeviceGuard device(layer->config.device);
        // The last forward recorded workspace_free; under capture nothing was recorded, so callers sync first.
        FLASHMOE_CUDA_CHECK(cudaEventSynchronize(layer->workspace_free));
        if (layer->ep_layer != nullptr) {
            check_ep(layer->ep_plugin, layer->ep_plugin->layer_device_error(layer->ep_layer), "expert-parallel layer");
            return;
        }
#if FLASHMOE_WITH_FUSED
        if (layer->fused) {
            std::string message;
            const flashmoe_status status = layer->fused->device_error(message);
            if (status != FLASHMOE_SUCCESS) {
                throw Error(status, message);
            }
            return;
        }
#endif
        int32_t invalid_routes = 0;
        FLASHMOE_CUDA_CHECK(cudaMemcpy(&invalid_routes, layer->workspace.status + flashmoe::kStatusInvalidRoutes,
                                       sizeof(int32_t), cudaMemcpyDeviceToHost));
        if (invalid_routes != 0) {
            throw Error(FLASHMOE_ERROR_ROUTING,
                        "unfused layer: " + std::to_string(invalid_routes) + " routes named an expert outside [0, " +
                            std::to_string(layer->config.num_experts) +
                            ") or had a non-finite routing weight; those routes were dropped");
        }
    });
}

flashmoe_status flashmoe_layer_debug_withhold_task(flashmoe_layer* layer, int32_t task_ordinal) {
    return guard([&] {
        require_not_null("layer", layer);
        check_range("task_ordinal", task_ordinal, -1, INT32_MAX);
#if FLASHMOE_WITH_FUSED
        if (layer->fused) {
            layer->fused->set_debug_withhold_task(task_ordinal);
            return;
        }
#endif
        throw Error(FLASHMOE_ERROR_UNSUPPORTED, "task withholding needs the fused path (config.kernel_path = 0)");
    });
}

flashmoe_status flashmoe_layer_enable_trace(flashmoe_layer* layer, int32_t events_per_block) {
    return guard([&] {
        require_not_null("layer", layer);
        check_range("events_per_block", events_per_block, 0, 1 << 20);
#if FLASHMOE_WITH_FUSED
        if (layer->fused) {
            layer->fused->enable_trace(events_per_block);
            return;
        }
#endif
        throw Error(FLASHMOE_ERROR_UNSUPPORTED, layer->ep_layer != nullptr
                                                    ? "the in-kernel trace is not available on expert-parallel layers yet"
                                                    : "the in-kernel trace needs the fused path (config.kernel_path = 0)");
    });
}

flashmoe_status flashmoe_layer_read_trace(flashmoe_layer* layer, flashmoe_trace_event* events, int64_t capacity,
                                          int64_t* count, int64_t* dropped) {
    return guard([&] {
        require_not_null("layer", layer);
        require_not_null("count", count);
        require_not_null("dropped", dropped);
        check_range("capacity", capacity, 0, INT64_MAX);
        if (capacity > 0) require_not_null("events", events);
        static_assert(sizeof(flashmoe_trace_event) == sizeof(flashmoe::fused::TraceEvent), "one event layout");
        static_assert(static_cast<int>(flashmoe::fused::TraceKind::kRelease) == FLASHMOE_TRACE_RELEASE &&
                          static_cast<int>(flashmoe::fused::TraceKind::kCombine) == FLASHMOE_TRACE_COMBINE,
                      "one kind numbering");
#if FLASHMOE_WITH_FUSED
        if (layer->fused) {
            std::vector<flashmoe::fused::TraceEvent> all;
            int64_t lost = 0;
            layer->fused->read_trace(all, lost);
            const int64_t n = std::min<int64_t>(capacity, static_cast<int64_t>(all.size()));
            if (n > 0) std::memcpy(events, all.data(), static_cast<size_t>(n) * sizeof(flashmoe_trace_event));
            *count = n;
            *dropped = lost + (static_cast<int64_t>(all.size()) - n);
            return;
        }
#endif
        throw Error(FLASHMOE_ERROR_UNSUPPORTED, "the in-kernel trace needs the fused path (config.kernel_path = 0)");
    });
}

flashmoe_status flashmoe_layer_create_ep(const flashmoe_layer_config* config, flashmoe_ep_context* context,
                                         const int32_t* expert_ranks, flashmoe_layer** layer) {
    return guard([&] {
        require_not_null("layer", layer);
        *layer = nullptr;
        check_layer_config(config, true);
        const flashmoe::capi::EpContextView view = flashmoe::capi::ep_context_view(context);
        if (config->num_ranks != view.num_ranks || config->rank != view.rank) {
            invalid("config.num_ranks/rank", std::to_string(config->num_ranks) + "/" + std::to_string(config->rank),
                    "must equal the context's " + std::to_string(view.num_ranks) + "/" + std::to_string(view.rank));
        }
        if (config->device != view.device) {
            invalid("config.device", config->device,
                    "must be the context's device " + std::to_string(view.device));
        }
        const std::vector<int32_t> placement =
            flashmoe::capi::ep_placement(config->num_experts, view.num_ranks, expert_ranks);
        DeviceGuard device(config->device);
        auto created = std::make_unique<flashmoe_layer>();
        created->config = *config;
        FLASHMOE_CUDA_CHECK(cudaEventCreateWithFlags(&created->workspace_free, cudaEventDisableTiming));
        const flashmoe_status status =
            view.plugin->layer_create(view.impl, config, placement.data(), &created->ep_layer);
        if (status != FLASHMOE_SUCCESS) {
            cudaEventDestroy(created->workspace_free);
            check_ep(view.plugin, status, "flashmoe_layer_create_ep");
        }
        created->ep_plugin = view.plugin;
        *layer = created.release();
    });
}

flashmoe_status flashmoe_layer_set_ep_transport(flashmoe_layer* layer, int32_t transport) {
    return guard([&] {
        require_not_null("layer", layer);
        check_range("transport", transport, 0, 2);
        if (layer->ep_layer == nullptr) {
            throw Error(FLASHMOE_ERROR_UNSUPPORTED, "not an expert-parallel layer (flashmoe_layer_create_ep)");
        }
        check_ep(layer->ep_plugin, layer->ep_plugin->layer_set_transport(layer->ep_layer, transport),
                 "flashmoe_layer_set_ep_transport");
    });
}

flashmoe_status flashmoe_layer_debug_withhold_signals(flashmoe_layer* layer, int32_t withhold) {
    return guard([&] {
        require_not_null("layer", layer);
        check_range("withhold", withhold, 0, 1);
        if (layer->ep_layer == nullptr) {
            throw Error(FLASHMOE_ERROR_UNSUPPORTED, "not an expert-parallel layer (flashmoe_layer_create_ep)");
        }
        check_ep(layer->ep_plugin, layer->ep_plugin->layer_withhold_signals(layer->ep_layer, withhold),
                 "flashmoe_layer_debug_withhold_signals");
    });
}

flashmoe_status flashmoe_layer_destroy(flashmoe_layer* layer) {
    if (layer == nullptr) {
        return FLASHMOE_SUCCESS;
    }
    return guard([&] {
        DeviceGuard device(layer->config.device);
        // cudaFree waits for work still using the workspace; free everything even if one step fails.
#if FLASHMOE_WITH_FUSED
        layer->fused.reset();  // its destructor synchronizes and frees its own workspace
#endif
        // Collective on an expert-parallel layer: frees its symmetric region.
        const flashmoe_status ep_status =
            layer->ep_layer != nullptr ? layer->ep_plugin->layer_destroy(layer->ep_layer) : FLASHMOE_SUCCESS;
        const std::string ep_message =
            ep_status != FLASHMOE_SUCCESS ? std::string(layer->ep_plugin->last_error_message()) : std::string();
        const cudaError_t event_error = cudaEventDestroy(layer->workspace_free);
        const cudaError_t free_error = layer->workspace_memory != nullptr ? cudaFree(layer->workspace_memory) : cudaSuccess;
        delete layer;
        if (ep_status != FLASHMOE_SUCCESS) {
            throw Error(ep_status, "expert-parallel layer destroy: " + ep_message);
        }
        FLASHMOE_CUDA_CHECK(free_error);
        FLASHMOE_CUDA_CHECK(event_error);
    });
}

flashmoe_status flashmoe_router_check(const flashmoe_router_config* config) {
    return guard([&] { check_router_config(config); });
}

flashmoe_status flashmoe_router_create(const flashmoe_router_config* config, flashmoe_router** router) {
    return guard([&] {
        check_router_config(config);
        require_not_null("router", router);
        *router = nullptr;
        DeviceGuard device(config->device);
        std::unique_ptr<flashmoe_router> created(new flashmoe_router{*config});
        created->tuning = router_tuning_from_env();
        try {
            FLASHMOE_CUDA_CHECK(cudaMalloc(&created->scratch,
                                           flashmoe::router::router_scratch_bytes(config->max_tokens, config->num_experts)));
            // The counters only: the logits are written before they are read by every launch that uses them.
            FLASHMOE_CUDA_CHECK(cudaMemsetAsync(created->scratch, 0, sizeof(flashmoe::router::RouterScratch), nullptr));
            FLASHMOE_CUDA_CHECK(cudaStreamSynchronize(nullptr));  // zeroed before any run, on any stream
            FLASHMOE_CUDA_CHECK(cudaEventCreateWithFlags(&created->scratch_free, cudaEventDisableTiming));
            with_router_element(config->dtype, [](auto element) {
                flashmoe::allow_router_shared_memory<decltype(element)>();
            });
        } catch (...) {
            if (created->scratch_free != nullptr) cudaEventDestroy(created->scratch_free);
            if (created->scratch != nullptr) cudaFree(created->scratch);
            throw;
        }
        *router = created.release();
    });
}

flashmoe_status flashmoe_router_run(flashmoe_router* router, const flashmoe_router_args* args) {
    return guard([&] {
        require_not_null("router", router);
        require_not_null("args", args);
        const flashmoe_router_config& config = router->config;
        check_range("args.num_tokens", args->num_tokens, 1, config.max_tokens);
        require_not_null("args.x", args->x);
        require_not_null("args.w_router", args->w_router);
        require_not_null("args.topk_ids", args->topk_ids);
        require_not_null("args.topk_weights", args->topk_weights);
        if (args->expert_bias != nullptr && config.scoring != FLASHMOE_SCORING_SIGMOID) {
            invalid("args.expert_bias", "non-NULL", "an expert bias is only used with SIGMOID scoring");
        }
        DeviceGuard device(config.device);
        auto stream = static_cast<cudaStream_t>(args->stream);
        // Runs that count, or that slice the experts (small T), share the handle's scratch: order them across streams.
        // Under capture nothing but the kernel is enqueued (one kernel node); the caller orders a captured run against
        // runs outside the graph.
        const bool ordered =
            flashmoe::router::router_run_uses_scratch(args->num_tokens, args->expert_counts != nullptr, router->tuning) &&
            !stream_is_capturing(stream);
        if (ordered) {
            FLASHMOE_CUDA_CHECK(cudaStreamWaitEvent(stream, router->scratch_free, 0));
        }
        with_router_element(config.dtype, [&](auto element) {
            flashmoe::launch_router<decltype(element)>(config, *args, router->scratch, router->tuning, stream);
        });
        if (ordered) {
            FLASHMOE_CUDA_CHECK(cudaEventRecord(router->scratch_free, stream));
        }
    });
}

flashmoe_status flashmoe_router_destroy(flashmoe_router* router) {
    if (router == nullptr) {
        return FLASHMOE_SUCCESS;
    }
    return guard([&] {
        DeviceGuard device(router->config.device);
        // cudaFree waits for runs still using the scratch; free everything even if one step fails.
        const cudaError_t event_error = cudaEventDestroy(router->scratch_free);
        const cudaError_t free_error = cudaFree(router->scratch);
        delete router;
        FLASHMOE_CUDA_CHECK(free_error);
        FLASHMOE_CUDA_CHECK(event_error);
    });
}

flashmoe_status flashmoe_malloc(int32_t device, size_t bytes, void** ptr) {
    return guard([&] {
        require_not_null("ptr", ptr);
        *ptr = nullptr;
        DeviceGuard guard_device(device);
        FLASHMOE_CUDA_CHECK(cudaMalloc(ptr, bytes));
    });
}

flashmoe_status flashmoe_free(int32_t device, void* ptr) {
    return guard([&] {
        if (ptr == nullptr) {
            return;
        }
        DeviceGuard guard_device(device);
        FLASHMOE_CUDA_CHECK(cudaFree(ptr));
    });
}

flashmoe_status flashmoe_memcpy_htod(int32_t device, void* dst, const void* src, size_t bytes) {
    return guard([&] {
        require_not_null("dst", dst);
        require_not_null("src", src);
        DeviceGuard guard_device(device);
        FLASHMOE_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
    });
}

flashmoe_status flashmoe_memcpy_dtoh(int32_t device, void* dst, const void* src, size_t bytes) {
    return guard([&] {
        require_not_null("dst", dst);
        require_not_null("src", src);
        DeviceGuard guard_device(device);
        FLASHMOE_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
    });
}

flashmoe_status flashmoe_memset(int32_t device, void* ptr, int32_t value, size_t bytes) {
    return guard([&] {
        require_not_null("ptr", ptr);
        DeviceGuard guard_device(device);
        FLASHMOE_CUDA_CHECK(cudaMemset(ptr, value, bytes));
    });
}

flashmoe_status flashmoe_stream_synchronize(int32_t device, void* stream) {
    return guard([&] {
        DeviceGuard guard_device(device);
        FLASHMOE_CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)));
    });
}

flashmoe_status flashmoe_stream_device(void* stream, int32_t* device) {
    return guard([&] {
        require_not_null("device", device);
        const auto handle = static_cast<cudaStream_t>(stream);
        if (handle == nullptr || handle == cudaStreamLegacy || handle == cudaStreamPerThread) {
            *device = -1;
            return;
        }
        int owner = -1;
        FLASHMOE_CUDA_CHECK(cudaStreamGetDevice(handle, &owner));
        *device = owner;
    });
}

flashmoe_status flashmoe_mem_get_info(int32_t device, size_t* free_bytes, size_t* total_bytes) {
    return guard([&] {
        require_not_null("free_bytes", free_bytes);
        require_not_null("total_bytes", total_bytes);
        DeviceGuard guard_device(device);
        FLASHMOE_CUDA_CHECK(cudaMemGetInfo(free_bytes, total_bytes));
    });
}

}  // extern "C"
#pragma GCC visibility pop
