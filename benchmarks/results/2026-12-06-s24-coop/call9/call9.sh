#!/usr/bin/env bash
# Session 24 call9: the hand-off probe's four forms each alone under synccheck (gemm_tile_test --handoff-mode N, the
# tree after 87f165d; .bundle-probe/gemm_tile_test.xz with the bench-only bundle's library): which forms synccheck
# reports (calls 1-2 printed only form 0's errors before their print limit).
# Run: run(carry=[".bundle", ".bundle-probe"], command="CALL_SECONDS=150 bash benchmarks/results/2026-12-06-s24-coop/call9/call9.sh")
set -uo pipefail
source .bundle/call-env.sh
xz -dc .bundle-probe/gemm_tile_test.xz > $w/gemm_tile_test && chmod +x $w/gemm_tile_test
san="$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)"
for mode in ${MODES:-0 1 2 3}; do
  nat timeout 30 "$san" --tool synccheck --print-limit 5 $w/gemm_tile_test --handoff-mode $mode > $OUT/synccheck-mode$mode.txt 2>&1
  echo "mode $mode: exit $?; $(grep -a 'handoff  mode' $OUT/synccheck-mode$mode.txt); $(grep -a 'ERROR SUMMARY' $OUT/synccheck-mode$mode.txt | head -1)"
done
echo "== done ($(left) s left)"
