// AOT instantiation of the unfused layer and the router for fp32 layers (float). One TU per dtype so the
// dtypes compile in parallel; activation, MLP type, biases and capacity stay runtime arguments.
#include "flashmoe/router/router.cuh"
#include "flashmoe/unfused/layer.cuh"

namespace flashmoe {
template void launch_unfused_experts<float>(const UnfusedWorkspace&, const flashmoe_layer_config&,
                                          const flashmoe_forward_args&, cudaStream_t);
template void launch_router<float>(const flashmoe_router_config&, const flashmoe_router_args&, router::RouterScratch*,
                                  const router::RouterTuning&, cudaStream_t);
template void allow_router_shared_memory<float>();
}  // namespace flashmoe
