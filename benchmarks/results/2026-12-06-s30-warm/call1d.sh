#!/usr/bin/env bash
# Needs items-118-120.patch applied to the tree first (README.md here): none of this code is on main.
# Session 30 call1 (last form, call1d.sh: ~300 s of device time were left after 17 refused starts): the native GPU check
# of the tree with items 119 and 120 (both off by default) alone: flashmoe_smoke, fused_test, gemm_tile_test, then the
# sanitizers on fused_test --quick with what is left.
# Bundle: as call1.sh. run(carry=[".bundle"], timeout_s=200, command="CALL_SECONDS=195 bash benchmarks/results/2026-12-06-s30-warm/call1d.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
check native sanitizer
tail -12 $OUT/check/summary.txt 2>/dev/null
grep -E "first-ticket|early-stages|withhold|FAIL" $OUT/check/native.log 2>/dev/null | head -40
echo "== done ($(left) s left)"
