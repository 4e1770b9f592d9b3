// libflashmoe_ep.so: the NVSHMEM half of expert parallelism (bootstrap, symmetric heap, peer mappings), loaded by
// libflashmoe.so with dlopen only when a caller asks for it. Exports one symbol, flashmoe_ep_plugin_v1.
// NOTE: NVSHMEM's inline nvshmem_init / nvshmemx_init_attr call exit() on failure; we call nvshmemi_init_thread
// ourselves and map every NVSHMEM failure to FLASHMOE_ERROR_NVSHMEM with the call named.
#include <cuda_runtime_api.h>
#include <nvshmem.h>
#include <nvshmemx.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>
#include <new>
#include <set>
#include <string>

#include "flashmoe/capi/flashmoe_c.h"
#include "flashmoe/comm/ep_plugin.h"
#include "flashmoe/comm/symmetric_layout.cuh"
#include "flashmoe/common/error.h"
#include "flashmoe/fused/fused_layer.cuh"

#define FLASHMOE_EP_STR2(x) #x
#define FLASHMOE_EP_STR(x) FLASHMOE_EP_STR2(x)

namespace {

using flashmoe::Error;

static_assert(sizeof(nvshmemx_uniqueid_t) == FLASHMOE_EP_UNIQUE_ID_BYTES, "NVSHMEM unique id size changed");

thread_local std::string t_message;

struct Context {
    int32_t device = 0;
    int32_t rank = 0;
    int32_t num_ranks = 0;
    std::set<void*> allocations;
};

std::mutex g_mutex;
Context* g_live = nullptr;  // NVSHMEM is initialised once per process

template <typename Body>
flashmoe_status guard(Body&& body) {
    try {
        body();
        return FLASHMOE_SUCCESS;
    } catch (const Error& error) {
        t_message = error.what();
        return error.status();
    } catch (const std::bad_alloc&) {
        t_message = "host memory allocation failed";
        return FLASHMOE_ERROR_OUT_OF_MEMORY;
    } catch (const std::exception& error) {
        t_message = std::string("internal error: ") + error.what();
        return FLASHMOE_ERROR_INTERNAL;
    } catch (...) {
        t_message = "internal error: unknown exception";
        return FLASHMOE_ERROR_INTERNAL;
    }
}

void check_nvshmem(int status, const std::string& call) {
    if (status != 0) {
        throw Error(FLASHMOE_ERROR_NVSHMEM, call + " failed with NVSHMEM status " + std::to_string(status) +
                                                " (NVSHMEM_DEBUG=WARN or INFO prints why)");
    }
}

// Device side of NVSHMEM answers: proves the device library is linked and its state initialised.
__global__ void probe_kernel(int* out) {
    out[0] = nvshmem_my_pe();
    out[1] = nvshmem_n_pes();
}

void probe_device(int rank, int num_ranks) {
    int* device_out = nullptr;
    FLASHMOE_CUDA_CHECK(cudaMalloc(&device_out, 2 * sizeof(int)));
    int host_out[2] = {-1, -1};
    probe_kernel<<<1, 1>>>(device_out);
    const cudaError_t launch = cudaGetLastError();
    const cudaError_t sync = cudaDeviceSynchronize();
    const cudaError_t copy = cudaMemcpy(host_out, device_out, sizeof(host_out), cudaMemcpyDeviceToHost);
    cudaFree(device_out);
    FLASHMOE_CUDA_CHECK(launch);
    FLASHMOE_CUDA_CHECK(sync);
    FLASHMOE_CUDA_CHECK(copy);
    if (host_out[0] != rank || host_out[1] != num_ranks) {
        throw Error(FLASHMOE_ERROR_NVSHMEM, "device-side nvshmem_my_pe/n_pes = " + std::to_string(host_out[0]) + "/" +
                                                std::to_string(host_out[1]) + ", host says " + std::to_string(rank) +
                                                "/" + std::to_string(num_ranks) +
                                                ": the device library's state is not initialised");
    }
}

void set_env_default(const char* name, const std::string& value) {
    if (std::getenv(name) == nullptr) {
        setenv(name, value.c_str(), 0);
    }
}

const char* last_error_message() { return t_message.c_str(); }

flashmoe_status get_unique_id(uint8_t* unique_id, size_t bytes) {
    return guard([&] {
        nvshmemx_uniqueid_t id = NVSHMEMX_UNIQUEID_INITIALIZER;
        check_nvshmem(nvshmemx_get_uniqueid(&id), "nvshmemx_get_uniqueid");
        std::memcpy(unique_id, &id, bytes < sizeof(id) ? bytes : sizeof(id));
    });
}

flashmoe_status create(const flashmoe_ep_config* config, void** context, int32_t* rank, int32_t* num_ranks) {
    return guard([&] {
        std::lock_guard<std::mutex> lock(g_mutex);
        if (g_live != nullptr) {
            throw Error(FLASHMOE_ERROR_INVALID_ARGUMENT,
                        "an expert-parallel context is already live in this process (NVSHMEM is initialised once "
                        "per process): destroy it first");
        }
        if (nvshmemx_init_status() != NVSHMEM_STATUS_NOT_INITIALIZED) {
            throw Error(FLASHMOE_ERROR_UNSUPPORTED,
                        "NVSHMEM is already initialised in this process by other code; flashmoe needs to own it");
        }
        FLASHMOE_CUDA_CHECK(cudaSetDevice(config->device));
        if (config->heap_bytes > 0) {
            // NOTE: read by NVSHMEM at init only; a value the user exported wins.
            set_env_default("NVSHMEM_SYMMETRIC_SIZE", std::to_string(config->heap_bytes));
        }
        int provided = 0;
        nvshmemi_version_t version = {NVSHMEM_VENDOR_MAJOR_VERSION, NVSHMEM_VENDOR_MINOR_VERSION,
                                      NVSHMEM_VENDOR_PATCH_VERSION};
        if (config->bootstrap == FLASHMOE_EP_BOOTSTRAP_UNIQUE_ID) {
            nvshmemx_uniqueid_t id;
            std::memcpy(&id, config->unique_id, sizeof(id));
            nvshmemx_init_attr_t attr = NVSHMEMX_INIT_ATTR_INITIALIZER;
            check_nvshmem(nvshmemx_set_attr_uniqueid_args(config->rank, config->num_ranks, &id, &attr),
                          "nvshmemx_set_attr_uniqueid_args(rank " + std::to_string(config->rank) + " of " +
                              std::to_string(config->num_ranks) + ")");
            check_nvshmem(nvshmemi_init_thread(NVSHMEM_THREAD_SERIALIZED, &provided, NVSHMEMX_INIT_WITH_UNIQUEID, &attr,
                                               version),
                          "NVSHMEM init with the unique-id bootstrap (nvshmemi_init_thread)");
        } else {
            set_env_default("NVSHMEM_BOOTSTRAP", "MPI");
            check_nvshmem(nvshmemi_init_thread(NVSHMEM_THREAD_SERIALIZED, &provided, 0, nullptr, version),
                          "NVSHMEM init with the MPI bootstrap (nvshmemi_init_thread, NVSHMEM_BOOTSTRAP=" +
                              std::string(std::getenv("NVSHMEM_BOOTSTRAP")) + ")");
        }
        auto owned = new Context();
        owned->device = config->device;
        owned->rank = nvshmem_my_pe();
        owned->num_ranks = nvshmem_n_pes();
        try {
            if ((config->num_ranks != 0 && owned->num_ranks != config->num_ranks) ||
                (config->num_ranks != 0 && owned->rank != config->rank)) {
                throw Error(FLASHMOE_ERROR_INVALID_ARGUMENT,
                            "NVSHMEM says rank " + std::to_string(owned->rank) + " of " +
                                std::to_string(owned->num_ranks) + ", but config asks for rank " +
                                std::to_string(config->rank) + " of " + std::to_string(config->num_ranks));
            }
            probe_device(owned->rank, owned->num_ranks);
        } catch (...) {
            nvshmem_finalize();
            delete owned;
            throw;
        }
        g_live = owned;
        *context = owned;
        *rank = owned->rank;
        *num_ranks = owned->num_ranks;
    });
}

flashmoe_status destroy(void* context) {
    return guard([&] {
        std::lock_guard<std::mutex> lock(g_mutex);
        auto* owned = static_cast<Context*>(context);
        if (owned == nullptr || owned != g_live) {
            throw Error(FLASHMOE_ERROR_INVALID_ARGUMENT, "not the live expert-parallel context");
        }
        FLASHMOE_CUDA_CHECK(cudaSetDevice(owned->device));
        FLASHMOE_CUDA_CHECK(cudaDeviceSynchronize());
        for (void* ptr : owned->allocations) {
            nvshmem_free(ptr);  // collective: every rank frees in the same (address) order
        }
        owned->allocations.clear();
        nvshmem_finalize();
        g_live = nullptr;
        delete owned;
    });
}

flashmoe_status alloc(void* context, size_t bytes, void** ptr) {
    return guard([&] {
        std::lock_guard<std::mutex> lock(g_mutex);
        auto* owned = static_cast<Context*>(context);
        FLASHMOE_CUDA_CHECK(cudaSetDevice(owned->device));
        void* memory = nvshmem_malloc(bytes);
        if (memory == nullptr) {
            const char* heap = std::getenv("NVSHMEM_SYMMETRIC_SIZE");
            throw Error(FLASHMOE_ERROR_OUT_OF_MEMORY,
                        "nvshmem_malloc(" + std::to_string(bytes) + " bytes) returned NULL: the symmetric heap is too "
                        "small (NVSHMEM_SYMMETRIC_SIZE = " + (heap != nullptr ? heap : "default") +
                        "; raise it, or flashmoe_ep_config.heap_bytes)");
        }
        owned->allocations.insert(memory);
        // Zeroed once: flags start at epoch 0, which no launch uses. The barrier keeps peers from signalling into a
        // region that is not zeroed yet.
        const cudaError_t set = cudaMemset(memory, 0, bytes);
        const cudaError_t sync = cudaDeviceSynchronize();
        FLASHMOE_CUDA_CHECK(set);
        FLASHMOE_CUDA_CHECK(sync);
        nvshmem_barrier_all();
        *ptr = memory;
    });
}

flashmoe_status free_memory(void* context, void* ptr) {
    return guard([&] {
        std::lock_guard<std::mutex> lock(g_mutex);
        auto* owned = static_cast<Context*>(context);
        if (owned->allocations.erase(ptr) == 0) {
            throw Error(FLASHMOE_ERROR_INVALID_ARGUMENT, "ptr was not allocated by flashmoe_ep_alloc on this context");
        }
        FLASHMOE_CUDA_CHECK(cudaSetDevice(owned->device));
        FLASHMOE_CUDA_CHECK(cudaDeviceSynchronize());
        nvshmem_free(ptr);
    });
}

flashmoe_status peer_pointer(void* context, const void* local, int32_t peer, void** remote) {
    return guard([&] {
        (void)context;
        *remote = nvshmem_ptr(local, peer);
    });
}

// ---- The expert-parallel fused layer: its symmetric region plus a FusedLayer (compiled here with FLASHMOE_EP=1, so
// its kernel can call NVSHMEM's device API).
struct EpLayer {
    Context* context = nullptr;
    void* region = nullptr;
    std::unique_ptr<flashmoe::fused::FusedLayer> fused;
};

flashmoe_status layer_create(void* context, const flashmoe_layer_config* config, const int32_t* expert_ranks,
                             void** layer) {
    auto* owned = static_cast<Context*>(context);
    auto created = std::make_unique<EpLayer>();
    created->context = owned;
    const flashmoe_status status = guard([&] {
        const int32_t ranks = owned->num_ranks;
        std::vector<int32_t> placement(expert_ranks, expert_ranks + config->num_experts);
        std::vector<int32_t> owned_experts(static_cast<size_t>(ranks), 0);
        for (int32_t rank : placement) ++owned_experts[static_cast<size_t>(rank)];
        const int32_t local_max = *std::max_element(owned_experts.begin(), owned_experts.end());
        const int64_t capacity = flashmoe::comm::ep_capacity_rows(config->max_tokens, config->top_k,
                                                                  config->num_experts, config->capacity_factor);
        const flashmoe::comm::SymmetricLayout sym(ranks, local_max, capacity, config->hidden_size,
                                                  config->dtype == FLASHMOE_DTYPE_FP32 ? 4 : 2, sizeof(float));
        FLASHMOE_CUDA_CHECK(cudaSetDevice(owned->device));
        flashmoe::fused::EpSetup setup;
        setup.num_ranks = ranks;
        setup.rank = owned->rank;
        setup.expert_rank = placement;
        setup.sym = sym;
        const flashmoe_status allocated = alloc(owned, sym.total_bytes, &created->region);  // collective
        if (allocated != FLASHMOE_SUCCESS) throw Error(allocated, t_message);
        setup.sym_base = created->region;
        for (int32_t peer = 0; peer < ranks; ++peer) setup.peer_base.push_back(nvshmem_ptr(created->region, peer));
        created->fused = std::make_unique<flashmoe::fused::FusedLayer>(*config, &setup);
        if (config->timeout_ms > 0) {
            created->fused->set_timeout_ns(static_cast<uint64_t>(config->timeout_ms) * 1000000ull);
        }
    });
    if (status != FLASHMOE_SUCCESS) {
        const std::string message = t_message;
        created->fused.reset();
        if (created->region != nullptr) free_memory(owned, created->region);
        t_message = message;
        return status;
    }
    *layer = created.release();
    return FLASHMOE_SUCCESS;
}

flashmoe_status layer_forward(void* layer, const flashmoe_forward_args* args) {
    return guard([&] {
        std::string message;
        const flashmoe_status status = static_cast<EpLayer*>(layer)->fused->forward(*args, message);
        if (status != FLASHMOE_SUCCESS) throw Error(status, message);
    });
}

flashmoe_status layer_device_error(void* layer) {
    return guard([&] {
        std::string message;
        const flashmoe_status status = static_cast<EpLayer*>(layer)->fused->device_error(message);
        if (status != FLASHMOE_SUCCESS) throw Error(status, message);
    });
}

flashmoe_status layer_destroy(void* layer) {
    std::unique_ptr<EpLayer> owned(static_cast<EpLayer*>(layer));
    owned->fused.reset();  // synchronizes the device
    return owned->region != nullptr ? free_memory(owned->context, owned->region) : FLASHMOE_SUCCESS;  // collective
}

flashmoe_status layer_set_transport(void* layer, int32_t transport) {
    return guard([&] { static_cast<EpLayer*>(layer)->fused->set_ep_transport(transport); });
}

flashmoe_status layer_withhold_signals(void* layer, int32_t withhold) {
    return guard([&] { static_cast<EpLayer*>(layer)->fused->set_debug_withhold_signals(withhold != 0); });
}

const flashmoe_ep_plugin kPlugin = {
    FLASHMOE_EP_PLUGIN_ABI_VERSION,
    static_cast<int32_t>(sizeof(flashmoe_ep_plugin)),
    "libflashmoe_ep (NVSHMEM headers " FLASHMOE_EP_STR(NVSHMEM_VENDOR_MAJOR_VERSION) "." FLASHMOE_EP_STR(NVSHMEM_VENDOR_MINOR_VERSION) "." FLASHMOE_EP_STR(NVSHMEM_VENDOR_PATCH_VERSION) ")",
    last_error_message,
    get_unique_id,
    create,
    destroy,
    alloc,
    free_memory,
    peer_pointer,
    layer_create,
    layer_forward,
    layer_device_error,
    layer_destroy,
    layer_set_transport,
    layer_withhold_signals,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const flashmoe_ep_plugin* flashmoe_ep_plugin_v1(void) {
    return &kPlugin;
}
