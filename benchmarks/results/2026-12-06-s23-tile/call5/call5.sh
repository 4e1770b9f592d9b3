#!/usr/bin/env bash
# Session 23 call5 (perf-notes item 98): call4's check again after the barrier helpers reconverge their warp
# (block_sync.cuh: __syncwarp before each bar.sync / bar.red): fused_test (all cases, fault injection) on the
# one-warpgroup kernel (the default) first, then the GPU check with every launch on the two-warpgroup kernel
# (FLASHMOE_COOP_MIN_ROUTES=0): GPU tests, native tests, sanitizers.
set -uo pipefail
source .bundle/call-env.sh
echo "== fused_test, default kernel"; nat timeout 90 $n/fused_test > $OUT/fused-default.txt 2>&1; echo "exit $?"
grep -E "FAIL|PASS|failure" $OUT/fused-default.txt | tail -5
export FLASHMOE_COOP_MIN_ROUTES=0
check tests native sanitizer
tail -22 $OUT/check/summary.txt
