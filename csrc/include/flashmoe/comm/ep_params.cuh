// What one launch of the fused kernel needs to know about expert parallelism (design.md §4): the rank, the placement,
// this rank's symmetric region and its peers' mappings. POD, passed by value inside KernelParams; num_ranks == 0 on a
// single-GPU layer, where nothing here is used.
#pragma once

#include <cstdint>

#include "flashmoe/comm/symmetric_layout.cuh"

namespace flashmoe::comm {

// How tiles travel (flashmoe_ep_transport): direct stores through a peer's nvshmem_ptr mapping, or one-sided puts.
enum class Transport : int32_t {
    kAuto = 0,   // stores where the peer is mapped (NVLink / P2P / self), puts elsewhere
    kPut = 1,    // puts to every peer, the own rank included (exercises the remote path on one GPU)
    kStore = 2,  // stores only (the host checked that every peer is mapped)
};

struct EpParams {
    int32_t num_ranks;            // P; 0 = not an expert-parallel launch
    int32_t rank;                 // this rank
    int32_t local_experts;        // experts this rank owns (leading dimension of its weights)
    int32_t withhold_signals;     // debug fault injection: 1 = this rank never signals a peer
    const int32_t* expert_rank;   // [E] owner of each global expert
    const int32_t* expert_local;  // [E] index of the expert among its owner's experts (its weights' row)
    void* const* peer_base;       // [P] peer's mapping of sym_base for direct stores; null entries: use puts
    void* sym_base;               // this rank's symmetric region (SymmetricLayout::total_bytes)
    SymmetricLayout sym;

    // Pairs (source rank, local expert) this rank receives; pair = source * local_experts + expert.
    FLASHMOE_HOST_DEVICE int32_t num_pairs() const { return num_ranks * local_experts; }
};

}  // namespace flashmoe::comm
