#!/usr/bin/env bash
# Session 36, call 7 (main e11dea2 = items 131 + 133, bench-only bundle with native/ab/acq): three leads of perf-notes'
# Session 36 paragraph, as an A/B against main, 3 rounds:
#  acq  = main + acquire loads in place of the fence that follows a GEMM task's input poll (wait_epoch_count,
#         acquire_dispatched; item 130 put the fence at 0.6-1.9 us). Predicted -0.5 to -1.5 % at the one-token points.
#  dp16 = FLASHMOE_DECODE_PREFETCH_STEPS=16 (item 114 twice as deep, now that item 88 no longer shares the DRAM).
#         Predicted -0 to -2 % at T = 1 (Qwen3, paper, gpt-oss-120b), = main at Mixtral T = 1 (k = 2) and T = 8.
#  kp2  = FLASHMOE_GEMM1_K_PARTS=2 (half the GEMM1 tasks, twice the k-loop each). Predicted +-1 %.
# run(carry=[".bundle"], timeout_s=320, command="CALL_SECONDS=310 bash benchmarks/results/2026-12-07-s36/call7/call7.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s36d 3 10 "qwen3-30b-a3b 1,8" "paper 1" "gpt-oss-120b 1" "mixtral-8x7b 1" -- main=bundle acq=$(ab_lib acq) \
  dp16=bundle,FLASHMOE_DECODE_PREFETCH_STEPS=16 kp2=bundle,FLASHMOE_GEMM1_K_PARTS=2
(cd $r && tar czf $OUT/call7.tar.gz .)
echo "== done ($(left) s left)"
