#!/usr/bin/env bash
# Drafted in session 43, not run (its device time was spent). Which part of item 156 breaks the launches of few
# experts and many routes (session 43: call1's check, call2's bisect; README.md beside this folder). fused_test --quick
# at four revisions, then compute-sanitizer synccheck on two of them (call1's synccheck found a divergent warp at the
# OS block's barrier after the chunk-count scan, threads 0-7 of block 0, E = 8: is it item 156's or older?).
#   r155 = main + item-155.patch (passed --quick in call2: the baseline, again on this machine)
#   s156 = r155 + item-156.patch (failed --quick, with FLASHMOE_DISABLE_EARLY_GEMM1_START=1 too)
#   a    = r155 + bisect-a.patch (item 156's tasks.cuh and types.cuh alone: the GEMM1 task functions change, the
#          kernel's body is item 155's, SASS-identical; so a fails <=> the GEMM1 task functions are the cause)
#   c    = s156 + bisect-c.patch (InputWait's pointers as plain fields, not a union)
# Build (this machine, ~2 min each: csrc/tests/build_fused_test.sh, sm_90a):
#   for each LABEL: a worktree at main, `git am` its patches (item-155.patch and item-156.patch are in 2026-12-07-s42/),
#   `bash csrc/tests/build_fused_test.sh /tmp/ft-LABEL`, then xz -6 -c /tmp/ft-LABEL/fused_test >
#   .bundle-bisect/fused_test-LABEL.xz in the call's tree (~5.4 MB each; /.bundle*/ is ignored by git).
# Predicted: r155 143 ok; s156 and c fail the groups / token-dispatch / compact-rows cases (E <= 16, > 512 routes);
# a passes (the kernel's body is the suspect: item 156's processor loop changes how ptxas lays out the OS block);
# synccheck: s156 8 errors at the OS block's barrier, r155 none.
# run(carry=[".bundle-bisect"], timeout_s=330, command="CALL_SECONDS=320 bash benchmarks/results/2026-12-07-s43/next/next-call1.sh")
set -uo pipefail
start=$(date +%s)
left() { echo $(( ${CALL_SECONDS:-320} - ($(date +%s) - start) )); }
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv,noheader | tee $OUT/nvidia-smi.txt
w=$(mktemp -d)
labels=""
for f in .bundle-bisect/fused_test-*.xz; do
  v=$(basename $f .xz); v=${v#fused_test-}
  xz -dc $f > $w/fused_test-$v && chmod +x $w/fused_test-$v && labels="$labels $v"
done
md5sum $w/fused_test-*
ft() {  # LABEL SECONDS ARGS...: one fused_test run, its exit, counts and first FAIL lines
  local label=$1 secs=$2; shift 2
  local s=$(date +%s)
  timeout $secs "$@" > $OUT/$label.txt 2>&1
  echo "== $label: exit $? in $(( $(date +%s) - s )) s ($(left) s left); $(grep -c ' ok ' $OUT/$label.txt) ok, $(grep -c FAIL $OUT/$label.txt) FAIL"
  grep FAIL $OUT/$label.txt | head -3 | cut -c1-200
}
for v in r155 a c s156; do
  [ -x $w/fused_test-$v ] && ft quick-$v 40 $w/fused_test-$v --quick --timeout-ms 1000
done
for v in r155 s156; do
  t=$(( ($(left) - 10) )); [ $t -gt 90 ] && t=90
  [ -x $w/fused_test-$v ] && [ $t -gt 30 ] || continue
  timeout $t compute-sanitizer --tool synccheck --print-limit 4 $w/fused_test-$v --quick --timeout-ms 20000 \
    > $OUT/synccheck-$v.txt 2>&1
  echo "== synccheck $v --quick: exit $? ($(left) s left)"; grep -E "ERROR SUMMARY|FAIL" $OUT/synccheck-$v.txt | head -3
  grep -m1 -A4 "Barrier error" $OUT/synccheck-$v.txt
done
(cd $OUT && tar czf next-call1.tar.gz *.txt && rm -f quick-*.txt synccheck-*.txt)
echo "== done ($(left) s left)"
