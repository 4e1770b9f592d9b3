#!/usr/bin/env bash
# Session 36, call 4: A/B of item 131 (one GPU: the slot assignment sets the row tiles' GEMM0 / GEMM1 counts to the
# launch's epoch before its release, so a finished task's bump is one red.release / atomicAdd with no load of the
# count first, and the GEMM1 count's fences are acq_rel) and the item 132 experiment (v12: item 88's W_down prefetch
# issued by thread 0 after its first weight boxes, in the deferred acquire, instead of by warp 1 before them:
# call 3's stamps put GEMM0's weight-box issue at 3.0 us with the prefetch, 0.9 without).
# Predicted: v1 -1 to -3 % at the one-token points (one L2 round trip fewer on each publish, GEMM0 -> GEMM1 ->
# COMBINE), within +-1 % at T = 8 and 1024; v12 a further -1 to -3 % at Qwen3 / paper T = 1 (GEMM0's first stages
# no longer queue behind 131 KB of prefetch) and = v1 elsewhere (gpt-oss-120b and T >= 8 do not prefetch).
# run(carry=[".bundle"], timeout_s=420, command="CALL_SECONDS=410 bash benchmarks/results/2026-12-07-s36/call4/call4.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s36a 3 20 "qwen3-30b-a3b 1" "paper 1" "gpt-oss-120b 1" "mixtral-8x7b 1" "qwen3-30b-a3b 8,1024" -- \
  main=bundle v1=$(ab_lib v1) v12=$(ab_lib v12) v1off=$(ab_lib v1),FLASHMOE_GEMM1_L2_PREFETCH=0
(cd $r && tar czf $OUT/call4.tar.gz .)
echo "== done ($(left) s left)"
