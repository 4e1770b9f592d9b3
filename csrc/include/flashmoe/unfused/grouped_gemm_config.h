// Tile shape of the unfused grouped GEMM, shared by the routing stage (which sizes expert row tiles with it)
// and the GEMM kernels. Plain header: no kernels.
#pragma once

namespace flashmoe::unfused {

constexpr int kGemmTileRows = 64;     // BLK_M: packed rows (routes) per block
constexpr int kGemmTileCols = 64;     // BLK_N: output features per block
constexpr int kGemmTileDepth = 32;    // BLK_K
constexpr int kGemmThreads = 256;     // 16 x 16 threads, each a 4 x 4 micro tile
constexpr int kGemmMicroRows = 4;
constexpr int kGemmMicroCols = 4;

}  // namespace flashmoe::unfused
