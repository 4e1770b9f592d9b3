// A compile-only probe of cuBLASDx (MathDx 25.6) under this toolchain: one block-level bf16 GEMM description and a
// kernel executing it from shared memory. Built only with FLASHMOE_WITH_MATHDX=ON; nothing calls it yet.
#include <cublasdx.hpp>

#include <cuda_bf16.h>

namespace flashmoe::mathdx_probe {

using BlockGemm = decltype(cublasdx::Size<64, 64, 32>() +
                           cublasdx::Precision<__nv_bfloat16, __nv_bfloat16, float>() +
                           cublasdx::Type<cublasdx::type::real>() + cublasdx::Function<cublasdx::function::MM>() +
                           cublasdx::Arrangement<cublasdx::row_major, cublasdx::col_major, cublasdx::row_major>() +
                           cublasdx::Block() + cublasdx::BlockDim<128>() + cublasdx::SM<900>());

__global__ void __launch_bounds__(128) block_gemm_probe_kernel(float alpha, float beta) {
    extern __shared__ __align__(16) char shared_memory[];
    auto [a, b, c] = cublasdx::slice_shared_memory<BlockGemm>(shared_memory);
    auto tensor_a = cublasdx::make_tensor(a, BlockGemm::get_layout_smem_a());
    auto tensor_b = cublasdx::make_tensor(b, BlockGemm::get_layout_smem_b());
    auto tensor_c = cublasdx::make_tensor(c, BlockGemm::get_layout_smem_c());
    BlockGemm().execute(alpha, tensor_a, tensor_b, beta, tensor_c);
}

}  // namespace flashmoe::mathdx_probe
