// Host entry points of the unfused layer and the router, as the C API calls them.
// Declarations only (no kernels), so capi.cu compiles quickly; per-dtype TUs instantiate the templates.
#pragma once

#include <cuda_runtime_api.h>

#include "flashmoe/capi/flashmoe_c.h"
#include "flashmoe/unfused/workspace.h"

namespace flashmoe {

// Dtype-independent routing stages (a-c): counts, deterministic slots, capacity drops, gather of x rows.
void launch_unfused_routing(const UnfusedWorkspace& workspace, const flashmoe_layer_config& config,
                            const flashmoe_forward_args& args, int64_t capacity, cudaStream_t stream);

// Expert compute and combine (d-f) for element type T.
template <typename T>
void launch_unfused_experts(const UnfusedWorkspace& workspace, const flashmoe_layer_config& config,
                            const flashmoe_forward_args& args, cudaStream_t stream);

}  // namespace flashmoe
