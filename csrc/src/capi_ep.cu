// The expert-parallel half of the C API (flashmoe_ep_*): argument checks, placement, workspace arithmetic, and the
// loader of libflashmoe_ep.so (dlopen on first need), so that libflashmoe.so itself never needs NVSHMEM to load.
#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "capi_internal.h"
#include "flashmoe/capi/flashmoe_c.h"
#include "flashmoe/comm/ep_plugin.h"
#include "flashmoe/comm/symmetric_layout.cuh"

struct flashmoe_ep_context {
    const flashmoe_ep_plugin* plugin;
    void* impl;
    int32_t device;
    int32_t rank;
    int32_t num_ranks;
};

namespace {

using flashmoe::Error;
using flashmoe::capi::check_range;
using flashmoe::capi::guard;
using flashmoe::capi::invalid;
using flashmoe::capi::require_not_null;

constexpr const char* kLibraryName = "libflashmoe_ep.so";
constexpr const char* kRebuildHint =
    "built without NVSHMEM: rebuild with --with-nvshmem (python3 csrc/tools/build_native.py ... --with-nvshmem, or "
    "mvn -Dflashmoe.native.nvshmem=true), which adds libflashmoe_ep.so beside libflashmoe.so";

std::mutex g_mutex;
const flashmoe_ep_plugin* g_plugin = nullptr;  // set once, never unloaded
void* g_handle = nullptr;
std::string g_failure;  // why the last load failed ("" = not tried)

std::string directory_of_this_library() {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&flashmoe_ep_load_library), &info) == 0 || info.dli_fname == nullptr) {
        return "";
    }
    std::string path = info.dli_fname;
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

// Tries one candidate; returns true when the plugin is in place, else appends why not to `why`.
bool try_load(const std::string& path, bool search, std::string& why) {
    if (!search && access(path.c_str(), F_OK) != 0) {
        why += "\n  " + path + ": not there";
        return false;
    }
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* error = dlerror();
        const std::string text = error != nullptr ? error : "unknown dlopen error";
        if (search && text.find("No such file") != std::string::npos) {
            why += "\n  " + path + " (loader search path): not found";
        } else {
            why += "\n  " + path + ": dlopen failed: " + text +
                   " (libflashmoe_ep.so needs libnvshmem_host.so.3: set FLASHMOE_NVSHMEM_LIB_DIR or LD_LIBRARY_PATH "
                   "to NVSHMEM's lib folder)";
        }
        return false;
    }
    auto entry = reinterpret_cast<flashmoe_ep_plugin_entry>(dlsym(handle, FLASHMOE_EP_PLUGIN_SYMBOL));
    const flashmoe_ep_plugin* plugin = entry != nullptr ? entry() : nullptr;
    if (plugin == nullptr || plugin->abi_version != FLASHMOE_EP_PLUGIN_ABI_VERSION ||
        plugin->struct_bytes != static_cast<int32_t>(sizeof(flashmoe_ep_plugin))) {
        why += "\n  " + path + ": not a libflashmoe_ep of this build (plugin ABI " +
               std::to_string(FLASHMOE_EP_PLUGIN_ABI_VERSION) + " expected); rebuild both libraries together";
        dlclose(handle);
        return false;
    }
    g_handle = handle;
    g_plugin = plugin;
    return true;
}

// Caller holds g_mutex.
void load_locked(const char* explicit_path) {
    if (g_plugin != nullptr) {
        return;
    }
    // NVSHMEM's host library first, if the caller named its folder: a loaded soname satisfies the EP library's NEEDED.
    if (const char* nvshmem_dir = std::getenv("FLASHMOE_NVSHMEM_LIB_DIR"); nvshmem_dir != nullptr && *nvshmem_dir) {
        const std::string host = std::string(nvshmem_dir) + "/libnvshmem_host.so.3";
        if (dlopen(host.c_str(), RTLD_NOW | RTLD_GLOBAL) == nullptr) {
            const char* error = dlerror();
            g_failure = "FLASHMOE_NVSHMEM_LIB_DIR is set, but " + host + " does not load: " +
                        (error != nullptr ? error : "unknown dlopen error");
            throw Error(FLASHMOE_ERROR_UNSUPPORTED, g_failure);
        }
    }
    std::string why;
    if (explicit_path != nullptr) {
        if (try_load(explicit_path, false, why)) return;
    } else {
        if (const char* env = std::getenv("FLASHMOE_EP_LIBRARY"); env != nullptr && *env) {
            if (try_load(env, false, why)) return;
        }
        const std::string here = directory_of_this_library();
        if (!here.empty() && try_load(here + "/" + kLibraryName, false, why)) return;
        if (try_load(kLibraryName, true, why)) return;
    }
    const bool nowhere = why.find("dlopen failed") == std::string::npos && why.find("not a libflashmoe_ep") ==
                                                                                 std::string::npos;
    g_failure = nowhere ? std::string("expert parallelism is not available: ") + kRebuildHint + "; looked for " +
                              kLibraryName + ":" + why
                        : std::string("libflashmoe_ep.so did not load:") + why;
    throw Error(FLASHMOE_ERROR_UNSUPPORTED, g_failure);
}

const flashmoe_ep_plugin* plugin() {
    std::lock_guard<std::mutex> lock(g_mutex);
    load_locked(nullptr);
    return g_plugin;
}

void check_plugin(const flashmoe_ep_plugin* p, flashmoe_status status, const char* call) {
    if (status != FLASHMOE_SUCCESS) {
        const char* message = p->last_error_message();
        throw Error(status, std::string(call) + ": " + (message != nullptr ? message : "(no message)"));
    }
}

int64_t dtype_bytes(int32_t dtype) { return dtype == FLASHMOE_DTYPE_FP32 ? 4 : 2; }

void check_placement(int64_t num_experts, int32_t num_ranks, const int32_t* expert_ranks) {
    check_range("num_experts", num_experts, 1, INT32_MAX);
    check_range("num_ranks", num_ranks, 1, FLASHMOE_EP_MAX_RANKS);
    require_not_null("expert_ranks", expert_ranks);
    for (int64_t expert = 0; expert < num_experts; ++expert) {
        if (expert_ranks[expert] < 0 || expert_ranks[expert] >= num_ranks) {
            const std::string field = "expert_ranks[" + std::to_string(expert) + "]";
            invalid(field.c_str(), expert_ranks[expert], "must be a rank in [0, " + std::to_string(num_ranks) + ")");
        }
    }
}

// E_local: the most experts any rank owns (every rank's region has the same shape).
int32_t local_experts(int64_t num_experts, int32_t num_ranks, const int32_t* expert_ranks) {
    if (expert_ranks == nullptr) {
        if (num_experts % num_ranks != 0) {
            invalid("config.num_experts", num_experts,
                    "must be a multiple of num_ranks = " + std::to_string(num_ranks) +
                        " for the default contiguous placement (or pass expert_ranks)");
        }
        return static_cast<int32_t>(num_experts / num_ranks);
    }
    check_placement(num_experts, num_ranks, expert_ranks);
    std::vector<int32_t> owned(static_cast<size_t>(num_ranks), 0);
    for (int64_t expert = 0; expert < num_experts; ++expert) {
        ++owned[static_cast<size_t>(expert_ranks[expert])];
    }
    return *std::max_element(owned.begin(), owned.end());
}

}  // namespace

namespace flashmoe::capi {
void require_ep_library(const std::string& what) {
    try {
        plugin();
    } catch (const Error& error) {
        throw Error(error.status(), what + ": " + error.what());
    }
}
EpContextView ep_context_view(const flashmoe_ep_context* context) {
    require_not_null("context", context);
    return EpContextView{context->plugin, context->impl, context->device, context->rank, context->num_ranks};
}

std::vector<int32_t> ep_placement(int64_t num_experts, int32_t num_ranks, const int32_t* expert_ranks) {
    (void)local_experts(num_experts, num_ranks, expert_ranks);  // checks E % P, or every entry
    std::vector<int32_t> placement(static_cast<size_t>(num_experts));
    for (int64_t expert = 0; expert < num_experts; ++expert) {
        placement[static_cast<size_t>(expert)] =
            expert_ranks != nullptr ? expert_ranks[expert] : static_cast<int32_t>(expert / (num_experts / num_ranks));
    }
    return placement;
}
}  // namespace flashmoe::capi

// The library compiles with hidden visibility; only these definitions leave it (src/flashmoe.map agrees).
#pragma GCC visibility push(default)
extern "C" {

flashmoe_status flashmoe_ep_library_status(void) {
    return guard([&] { plugin(); });
}

flashmoe_status flashmoe_ep_load_library(const char* path) {
    return guard([&] {
        std::lock_guard<std::mutex> lock(g_mutex);
        load_locked(path);
    });
}

flashmoe_status flashmoe_ep_workspace_bytes(const flashmoe_layer_config* config, const int32_t* expert_ranks,
                                            size_t* bytes) {
    return guard([&] {
        require_not_null("config", config);
        require_not_null("bytes", bytes);
        // The shape rules are the layer's; checked on a single-rank copy so that this works without the EP library.
        check_range("config.num_ranks", config->num_ranks, 0, FLASHMOE_EP_MAX_RANKS);
        check_range("config.rank", config->rank, 0, std::max<int64_t>(config->num_ranks, 1) - 1);
        flashmoe_layer_config single = *config;
        single.num_ranks = 0;
        single.rank = 0;
        const flashmoe_status status = flashmoe_layer_check(&single);
        if (status != FLASHMOE_SUCCESS) {
            throw Error(status, flashmoe_last_error_message());
        }
        const int32_t num_ranks = std::max(config->num_ranks, 1);
        const int32_t num_local = local_experts(config->num_experts, num_ranks, expert_ranks);
        const int64_t capacity = flashmoe::comm::ep_capacity_rows(config->max_tokens, config->top_k,
                                                                  config->num_experts, config->capacity_factor);
        *bytes = flashmoe::comm::SymmetricLayout::bytes_for(num_ranks, num_local, capacity, config->hidden_size,
                                                            dtype_bytes(config->dtype), sizeof(float));
    });
}

flashmoe_status flashmoe_ep_default_placement(int64_t num_experts, int32_t num_ranks, int32_t* expert_ranks) {
    return guard([&] {
        check_range("num_experts", num_experts, 1, INT32_MAX);
        check_range("num_ranks", num_ranks, 1, FLASHMOE_EP_MAX_RANKS);
        require_not_null("expert_ranks", expert_ranks);
        if (num_experts % num_ranks != 0) {
            invalid("num_experts", num_experts,
                    "must be a multiple of num_ranks = " + std::to_string(num_ranks) + " for contiguous placement");
        }
        const int64_t per_rank = num_experts / num_ranks;
        for (int64_t expert = 0; expert < num_experts; ++expert) {
            expert_ranks[expert] = static_cast<int32_t>(expert / per_rank);
        }
    });
}

flashmoe_status flashmoe_ep_check_placement(int64_t num_experts, int32_t num_ranks, const int32_t* expert_ranks) {
    return guard([&] { check_placement(num_experts, num_ranks, expert_ranks); });
}

flashmoe_status flashmoe_ep_get_unique_id(uint8_t* unique_id, size_t bytes) {
    return guard([&] {
        require_not_null("unique_id", unique_id);
        if (bytes != FLASHMOE_EP_UNIQUE_ID_BYTES) {
            invalid("bytes", bytes, "must be FLASHMOE_EP_UNIQUE_ID_BYTES = " +
                                        std::to_string(FLASHMOE_EP_UNIQUE_ID_BYTES));
        }
        const flashmoe_ep_plugin* p = plugin();
        check_plugin(p, p->get_unique_id(unique_id, bytes), "flashmoe_ep_get_unique_id");
    });
}

flashmoe_status flashmoe_ep_create(const flashmoe_ep_config* config, flashmoe_ep_context** context) {
    return guard([&] {
        require_not_null("config", config);
        require_not_null("context", context);
        *context = nullptr;
        check_range("config.device", config->device, 0, INT32_MAX);
        if (config->bootstrap == FLASHMOE_EP_BOOTSTRAP_UNIQUE_ID) {
            check_range("config.num_ranks", config->num_ranks, 1, FLASHMOE_EP_MAX_RANKS);
            check_range("config.rank", config->rank, 0, config->num_ranks - 1);
            require_not_null("config.unique_id", config->unique_id);
        } else if (config->bootstrap == FLASHMOE_EP_BOOTSTRAP_MPI) {
            check_range("config.num_ranks", config->num_ranks, 0, FLASHMOE_EP_MAX_RANKS);
            check_range("config.rank", config->rank, 0, std::max(config->num_ranks, 1) - 1);
            if (config->unique_id != nullptr) {
                invalid("config.unique_id", "non-NULL", "must be NULL with FLASHMOE_EP_BOOTSTRAP_MPI");
            }
        } else {
            invalid("config.bootstrap", config->bootstrap,
                    "must be FLASHMOE_EP_BOOTSTRAP_UNIQUE_ID (0) or FLASHMOE_EP_BOOTSTRAP_MPI (1)");
        }
        check_range("config.heap_bytes", config->heap_bytes, 0, INT64_MAX);
        for (int index = 0; index < 6; ++index) {
            if (config->reserved[index] != 0) {
                const std::string field = "config.reserved[" + std::to_string(index) + "]";
                invalid(field.c_str(), config->reserved[index], "must be zero");
            }
        }
        const flashmoe_ep_plugin* p = plugin();
        auto created = std::make_unique<flashmoe_ep_context>();
        created->plugin = p;
        created->device = config->device;
        check_plugin(p, p->create(config, &created->impl, &created->rank, &created->num_ranks), "flashmoe_ep_create");
        *context = created.release();
    });
}

flashmoe_status flashmoe_ep_destroy(flashmoe_ep_context* context) {
    return guard([&] {
        if (context == nullptr) {
            return;
        }
        std::unique_ptr<flashmoe_ep_context> owned(context);
        check_plugin(owned->plugin, owned->plugin->destroy(owned->impl), "flashmoe_ep_destroy");
    });
}

flashmoe_status flashmoe_ep_rank_info(const flashmoe_ep_context* context, int32_t* rank, int32_t* num_ranks) {
    return guard([&] {
        require_not_null("context", context);
        require_not_null("rank", rank);
        require_not_null("num_ranks", num_ranks);
        *rank = context->rank;
        *num_ranks = context->num_ranks;
    });
}

flashmoe_status flashmoe_ep_alloc(flashmoe_ep_context* context, size_t bytes, void** ptr) {
    return guard([&] {
        require_not_null("context", context);
        require_not_null("ptr", ptr);
        *ptr = nullptr;
        if (bytes == 0) {
            invalid("bytes", bytes, "must be > 0");
        }
        check_plugin(context->plugin, context->plugin->alloc(context->impl, bytes, ptr), "flashmoe_ep_alloc");
    });
}

flashmoe_status flashmoe_ep_free(flashmoe_ep_context* context, void* ptr) {
    return guard([&] {
        require_not_null("context", context);
        if (ptr == nullptr) {
            return;
        }
        check_plugin(context->plugin, context->plugin->free(context->impl, ptr), "flashmoe_ep_free");
    });
}

flashmoe_status flashmoe_ep_peer_pointer(const flashmoe_ep_context* context, const void* local, int32_t peer,
                                         void** remote) {
    return guard([&] {
        require_not_null("context", context);
        require_not_null("local", local);
        require_not_null("remote", remote);
        check_range("peer", peer, 0, context->num_ranks - 1);
        check_plugin(context->plugin, context->plugin->peer_pointer(context->impl, local, peer, remote),
                     "flashmoe_ep_peer_pointer");
    });
}

flashmoe_status flashmoe_ep_local_experts(int64_t num_experts, int32_t num_ranks, const int32_t* expert_ranks,
                                          int32_t rank, int32_t* local_count) {
    return guard([&] {
        check_range("num_experts", num_experts, 1, INT32_MAX);
        check_range("num_ranks", num_ranks, 1, FLASHMOE_EP_MAX_RANKS);
        check_range("rank", rank, 0, num_ranks - 1);
        require_not_null("local_experts", local_count);
        if (expert_ranks == nullptr) {
            (void)local_experts(num_experts, num_ranks, nullptr);  // checks E % P
            *local_count = static_cast<int32_t>(num_experts / num_ranks);
            return;
        }
        check_placement(num_experts, num_ranks, expert_ranks);
        *local_count = static_cast<int32_t>(std::count(expert_ranks, expert_ranks + num_experts, rank));
    });
}

}  // extern "C"
#pragma GCC visibility pop
