#!/usr/bin/env bash
# Needs items-118-120.patch applied to the tree first (README.md here): none of this code is on main.
# Session 30 call1 (check-only form, call1c.sh, for the little device time left after refused starts): the native GPU
# check of the tree with items 119 (FLASHMOE_STATIC_FIRST_TICKET) and 120 (FLASHMOE_EARLY_FIRST_STAGES), both off by
# default: flashmoe_smoke, fused_test (first-ticket, early-stages incl. the drain form, the withheld first tasks),
# gemm_tile_test, then memcheck / racecheck / synccheck on fused_test --quick; then, with what is left, e1 against new
# at Qwen3 T = 1 and paper T = 1.
# Bundle: as call1.sh (BUNDLE_BENCH_ONLY=1 BUNDLE_NATIVE_CHECK=1 BUNDLE_AB_LIBS=/work/ab-s30/libs1).
# run(carry=[".bundle"], timeout_s=300, command="CALL_SECONDS=290 bash benchmarks/results/2026-12-06-s30-warm/call1c.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
CALL_SECONDS=$(( ${CALL_SECONDS:-585} - 50 )) check native sanitizer
tail -12 $OUT/check/summary.txt 2>/dev/null
grep -E "first-ticket|early-stages|withhold|FAIL" $OUT/check/native.log 2>/dev/null | head -40
[ $(left) -gt 40 ] && ab s30c 2 3 "qwen3-30b-a3b 1" "paper 1" -- new=bundle e1=bundle,FLASHMOE_EARLY_FIRST_STAGES=1
echo "== done ($(left) s left)"
