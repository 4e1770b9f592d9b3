/*
 * The private interface between libflashmoe.so and libflashmoe_ep.so (the NVSHMEM half, loaded with dlopen only
 * when expert parallelism is requested). Not part of the public C API: both libraries come from one build.
 * libflashmoe_ep exports exactly one symbol, flashmoe_ep_plugin_v1, returning this table; the C API checks
 * abi_version and struct_bytes before using it.
 */
#ifndef FLASHMOE_COMM_EP_PLUGIN_H_
#define FLASHMOE_COMM_EP_PLUGIN_H_

#include <stddef.h>
#include <stdint.h>

#include "flashmoe/capi/flashmoe_c.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FLASHMOE_EP_PLUGIN_ABI_VERSION 2
#define FLASHMOE_EP_PLUGIN_SYMBOL "flashmoe_ep_plugin_v1"

typedef struct flashmoe_ep_plugin {
    int32_t abi_version;  /* FLASHMOE_EP_PLUGIN_ABI_VERSION */
    int32_t struct_bytes; /* sizeof(flashmoe_ep_plugin) */
    const char* build_info;
    /* The message of the plugin's last failure on this thread (its own thread-local). */
    const char* (*last_error_message)(void);
    flashmoe_status (*get_unique_id)(uint8_t* unique_id, size_t bytes);
    /* config is already checked by the caller. */
    flashmoe_status (*create)(const flashmoe_ep_config* config, void** context, int32_t* rank, int32_t* num_ranks);
    flashmoe_status (*destroy)(void* context);
    flashmoe_status (*alloc)(void* context, size_t bytes, void** ptr);
    flashmoe_status (*free)(void* context, void* ptr);
    flashmoe_status (*peer_pointer)(void* context, const void* local, int32_t peer, void** remote);
    /* The expert-parallel fused layer (config and placement already checked by the caller; expert_ranks non-NULL).
     * create and destroy are collective (they allocate / free the layer's symmetric region). */
    flashmoe_status (*layer_create)(void* context, const flashmoe_layer_config* config, const int32_t* expert_ranks,
                                    void** layer);
    flashmoe_status (*layer_forward)(void* layer, const flashmoe_forward_args* args);
    /* After the stream completed: the latest launch's in-kernel failure, once (SUCCESS when none). */
    flashmoe_status (*layer_device_error)(void* layer);
    flashmoe_status (*layer_destroy)(void* layer);
    flashmoe_status (*layer_set_transport)(void* layer, int32_t transport);
    flashmoe_status (*layer_withhold_signals)(void* layer, int32_t withhold);
} flashmoe_ep_plugin;

typedef const flashmoe_ep_plugin* (*flashmoe_ep_plugin_entry)(void);

#ifdef __cplusplus
}
#endif

#endif /* FLASHMOE_COMM_EP_PLUGIN_H_ */
