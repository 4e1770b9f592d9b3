#!/usr/bin/env bash
# Session 36, call 6: the GPU check of the candidate (main + items 130, 131, 133: its full bundle) before it goes to
# main: the JUnit GPU tests, flashmoe_smoke, fused_test (its l2-prefetch cases set 0 and 1 themselves) and
# gemm_tile_test, compute-sanitizer memcheck / racecheck / synccheck; first one traced Qwen3 T = 1 forward (the new
# decode timeline), last, if time is left, the candidate against itself with item 88 back on.
# run(carry=[".bundle"], timeout_s=560, command="CALL_SECONDS=550 bash benchmarks/results/2026-12-07-s36/call6/call6.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
trace qwen3-30b-a3b 1
CALL_SECONDS=$(( ${CALL_SECONDS:-585} - 90 )) check
[ $(left) -gt 100 ] && ab s36c 3 10 "qwen3-30b-a3b 1" "paper 1" -- cand=bundle on=bundle,FLASHMOE_GEMM1_L2_PREFETCH=1
cp $r/trace-* $OUT/ 2>/dev/null; (cd $w && tar czf $OUT/call6.tar.gz t-* r 2>/dev/null)
echo "== done ($(left) s left)"
