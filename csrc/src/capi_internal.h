// Shared by the C API's TUs (capi.cu, capi_ep.cu): the guard that turns exceptions into a status plus the
// thread-local message, and the argument-check helpers whose messages name the field, its value and the rule.
#pragma once

#include <cstdint>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "flashmoe/capi/flashmoe_c.h"
#include "flashmoe/comm/ep_plugin.h"
#include "flashmoe/common/error.h"

namespace flashmoe::capi {

using flashmoe::Error;

inline thread_local std::string t_last_error;
inline thread_local int32_t t_last_error_fatal = 0;

template <typename Body>
flashmoe_status guard(Body&& body) {
    try {
        body();
        return FLASHMOE_SUCCESS;
    } catch (const Error& error) {
        t_last_error = error.what();
        t_last_error_fatal = error.fatal() ? 1 : 0;
        return error.status();
    } catch (const std::bad_alloc&) {
        t_last_error = "host memory allocation failed";
        t_last_error_fatal = 0;
        return FLASHMOE_ERROR_OUT_OF_MEMORY;
    } catch (const std::exception& error) {
        t_last_error = std::string("internal error: ") + error.what();
        t_last_error_fatal = 0;
        return FLASHMOE_ERROR_INTERNAL;
    } catch (...) {
        t_last_error = "internal error: unknown exception";
        t_last_error_fatal = 0;
        return FLASHMOE_ERROR_INTERNAL;
    }
}

template <typename Value>
[[noreturn]] void invalid(const char* field, const Value& value, const std::string& rule) {
    std::ostringstream message;
    message << field << " = " << value << ": " << rule;
    throw Error(FLASHMOE_ERROR_INVALID_ARGUMENT, message.str());
}

inline void require_not_null(const char* field, const void* pointer) {
    if (pointer == nullptr) {
        invalid(field, "NULL", "must not be NULL");
    }
}

inline void check_range(const char* field, int64_t value, int64_t min, int64_t max) {
    if (value < min || value > max) {
        invalid(field, value, "must be in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    }
}

// Loads libflashmoe_ep.so if it is not loaded yet (capi_ep.cu); throws UNSUPPORTED naming `what` and the reason
// ("built without NVSHMEM: rebuild with --with-nvshmem", or the dlopen error) when it cannot.
void require_ep_library(const std::string& what);

// The device of a layer / router (capi.cu owns their definitions; the benchmark helpers of capi_bench.cu need it).
int32_t layer_device(const flashmoe_layer* layer);
int32_t router_device(const flashmoe_router* router);

// What the layer functions of capi.cu need from an expert-parallel context (capi_ep.cu owns its definition).
struct EpContextView {
    const flashmoe_ep_plugin* plugin;
    void* impl;
    int32_t device;
    int32_t rank;
    int32_t num_ranks;
};
EpContextView ep_context_view(const flashmoe_ep_context* context);
// The placement to use: expert_ranks checked, or the contiguous default (E % P checked); throws INVALID_ARGUMENT.
std::vector<int32_t> ep_placement(int64_t num_experts, int32_t num_ranks, const int32_t* expert_ranks);

}  // namespace flashmoe::capi
