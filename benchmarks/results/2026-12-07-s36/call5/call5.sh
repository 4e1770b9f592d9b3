#!/usr/bin/env bash
# Session 36, call 5 (call 4's bundle): call 4 gave Qwen3 T = 1 main 0.0558, v1 0.0567, v1 with item 88 off 0.0536
# ms, where session 35 measured item 88 off on main at -1.0 %. More rounds on the points where item 88 prefetches,
# item 88 off on main too. Predicted: v1 = main -0.5 to -1.5 % and item 88 off -1 to -4 % on both.
# run(carry=[".bundle"], timeout_s=260, command="CALL_SECONDS=250 bash benchmarks/results/2026-12-07-s36/call5/call5.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s36b 5 15 "qwen3-30b-a3b 1,2" "paper 1" -- main=bundle mainoff=bundle,FLASHMOE_GEMM1_L2_PREFETCH=0 \
  v1=$(ab_lib v1) v1off=$(ab_lib v1),FLASHMOE_GEMM1_L2_PREFETCH=0
(cd $r && tar czf $OUT/call5.tar.gz .)
echo "== done ($(left) s left)"
