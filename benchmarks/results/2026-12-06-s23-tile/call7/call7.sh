#!/usr/bin/env bash
# Session 23 call7 (perf-notes item 98), the last of the session's device time (~240 s): (1) the GPU check's JUnit GPU
# tests on the default (one-warpgroup) kernel, the path main runs; (2) fused_test with every launch on the
# two-warpgroup kernel (FLASHMOE_COOP_MIN_ROUTES=0), after its hand-off became one out-of-line function (both
# warpgroups at the same aligned barrier); (3) a one-round A/B at three compute-bound points: one = the one-warpgroup
# kernel, coop = the two-warpgroup kernel; (4) synccheck of fused_test --quick on the two-warpgroup kernel; (5)
# racecheck of fused_test --quick on the default kernel, as far as the time goes.
set -uo pipefail
source .bundle/call-env.sh
san="$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)"
GPU_TESTS_TIMEOUT=75 OUT=$OUT/check bash .bundle/run-gpu-check.sh tests > /dev/null 2>&1
grep -E "GPU tests|overall" $OUT/check/summary.txt
echo "== fused_test, coop forced ($(left) s left)"
FLASHMOE_COOP_MIN_ROUTES=0 nat timeout 45 $n/fused_test > $OUT/fused-coop.txt 2>&1; echo "exit $?"
grep -E "FAIL|PASS" $OUT/fused-coop.txt | head -5
ab coop 1 75 "qwen3-30b-a3b 16384" "paper 16384" "mixtral-8x7b 1024" -- one=bundle coop=bundle,FLASHMOE_COOP_MIN_ROUTES=0
FLASHMOE_COOP_MIN_ROUTES=0 nat timeout 40 "$san" --tool synccheck --error-exitcode 86 \
  $n/fused_test --quick --timeout-ms 60000 > $OUT/san-synccheck-coop.txt 2>&1
echo "synccheck (coop) exit $?: $(grep -E 'ERROR SUMMARY' $OUT/san-synccheck-coop.txt | tail -1)"
l=$(left); [ $l -gt 12 ] && nat timeout $((l - 6)) "$san" --tool racecheck --error-exitcode 86 \
  $n/fused_test --quick --timeout-ms 60000 > $OUT/san-racecheck-default.txt 2>&1
echo "racecheck (default) exit $?: $(grep -E 'RACECHECK SUMMARY' $OUT/san-racecheck-default.txt | tail -1)"
