#!/usr/bin/env bash
# Session 23 call6 (perf-notes item 98): the two-warpgroup kernel after call5's finds (the hand-off barriers
# non-aligned; the OS block's and the route ranking's loops striding by the processor's 128 threads, not blockDim.x;
# GEMM0's proxy fence before the tile's last barrier). fused_test with every launch on it (FLASHMOE_COOP_MIN_ROUTES=0),
# then synccheck and racecheck of fused_test --quick the same way, then, if it passed, a one-round A/B at the
# compute-bound points: one = the one-warpgroup kernel, coop = every launch on the two-warpgroup kernel.
set -uo pipefail
source .bundle/call-env.sh
san="$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)"
echo "== fused_test, coop forced"
FLASHMOE_COOP_MIN_ROUTES=0 nat timeout 100 $n/fused_test > $OUT/fused-coop.txt 2>&1; rc=$?; echo "exit $rc"
grep -E "FAIL|PASS" $OUT/fused-coop.txt | head -8
for tool in synccheck racecheck; do
  FLASHMOE_COOP_MIN_ROUTES=0 nat timeout 75 "$san" --tool $tool --error-exitcode 86 $n/fused_test --quick \
    --timeout-ms 60000 > $OUT/san-$tool.txt 2>&1
  echo "$tool exit $?: $(grep -E '(ERROR|RACECHECK) SUMMARY' $OUT/san-$tool.txt | tail -1)"
done
[ $rc -eq 0 ] || exit 0
ab coop 1 15 "qwen3-30b-a3b 4096,16384" "paper 16384" "mixtral-8x7b 1024" -- one=bundle \
  coop=bundle,FLASHMOE_COOP_MIN_ROUTES=0
