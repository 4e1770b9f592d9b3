#!/usr/bin/env bash
# Needs items-118-120.patch applied to the tree first (README.md here): none of this code is on main.
# Session 30 call1: the GPU check of the tree with items 119 (FLASHMOE_STATIC_FIRST_TICKET) and 120
# (FLASHMOE_EARLY_FIRST_STAGES), both off by default, and item 118's diagnostic build hooks
# (FLASHMOE_DIAG_COMBINE_WARM, 0 in the bundle's library); then the A/B: head = main fa3ff66's sm_90a library, new =
# the bundle's (the tree's defaults), t1 = the static first ticket, e1 = the early first weight boxes (with the static
# ticket), at five one-token points.
# Bundle: BUNDLE_BENCH_ONLY=1 BUNDLE_NATIVE_CHECK=1 BUNDLE_AB_LIBS=/work/ab-s30/libs1 bash tools/gpu-bundle.sh
# (libs1/head: fa3ff66's csrc; CMake target flashmoe, 90a only; item 118's w2 library did not fit the carry beside it: call2).
# run(carry=[".bundle"], timeout_s=480, command="CALL_SECONDS=470 bash benchmarks/results/2026-12-06-s30-warm/call1.sh")
# (shortened after ~900 s of the session's device time went to refused starts)
set -uo pipefail
source .bundle/call-env.sh
gpu_line
CALL_SECONDS=$(( ${CALL_SECONDS:-585} - 180 )) check native sanitizer
tail -12 $OUT/check/summary.txt 2>/dev/null
grep -E "first-ticket|early-stages|STATIC_FIRST|EARLY_FIRST|withhold|FAIL" $OUT/check/native.log 2>/dev/null | head -40
ab s30a 2 5 "qwen3-30b-a3b 1" "paper 1" "mixtral-8x7b 1" "gpt-oss-120b 1" "olmoe-1b-7b 1" -- head=$(ab_lib head) \
  new=bundle t1=bundle,FLASHMOE_STATIC_FIRST_TICKET=1 e1=bundle,FLASHMOE_EARLY_FIRST_STAGES=1
echo "== done ($(left) s left)"
