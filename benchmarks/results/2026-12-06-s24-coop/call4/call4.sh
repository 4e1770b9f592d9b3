#!/usr/bin/env bash
# Session 24 call4 (items 100-101). Bench-only bundle (gemm_tile_test and launch_floor taken out of native.tar.xz,
# which was repacked with xz -9e, for the carry limit); A/B libraries (sm_90a only, csrc's CMake, target flashmoe),
# each main 2e3034a with one change: head = none, base = main 8d5fdb2, v4 = block_sync.cuh's processor barriers as
# __syncthreads where blockDim.x == 128 (item 100), g1p16 = TileConfig::kMaxGemm1Pieces 16 (item 101; g1p32 built, left out for the carry limit),
# g0p12 = kMaxGemm0Pieces 12.
# Run: run(carry=[".bundle"], command="CALL_SECONDS=420 bash benchmarks/results/2026-12-06-s24-coop/call4/call4.sh")
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
ab s24b 2 10 "qwen3-30b-a3b 1,8,64,1024,4096,16384" "paper 1,4096,16384" "mixtral-8x7b 1,1024" -- \
  head=$n/ab/head base=$n/ab/base v4=$n/ab/v4 g1p16=$n/ab/g1p16 g0p12=$n/ab/g0p12
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"
