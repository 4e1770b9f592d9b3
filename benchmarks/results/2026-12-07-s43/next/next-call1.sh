#!/usr/bin/env bash
# Drafted in session 43, not run (its device time was spent). Item 157's first GPU evidence, from fused_test binaries
# alone (a light carry, for a session whose starts are scarce): fused_test --quick, then compute-sanitizer synccheck on
# --quick, then the rest of fused_test whole, at
#   m157 = main + 2026-12-07-s43/item-157.patch (the OS block's expert_counts stored in each branch's loop)
#   s157 = main + 2026-12-07-s42/item-155.patch + item-156.patch + 2026-12-07-s43/item-157.patch (item 156 with the fix)
#   r155 = main + item-155.patch (passed --quick in session 43's call2; the control)
# Prebuilt in session 43 as .bundle-bisect/ in the main checkout (SOURCES.txt: md5s and revisions), if still there.
# Build (this machine, ~1 min each): a worktree per label at main, `git am` its patches, then
#   bash csrc/tests/build_fused_test.sh /tmp/ft-LABEL && xz -6 -c /tmp/ft-LABEL/fused_test > .bundle-bisect/fused_test-LABEL.xz
# in the call's tree (/.bundle*/ is ignored by git; ~5.4 MB each). Check each binary's bf16 kernel first:
#   cuobjdump -sass -arch sm_90a /tmp/ft-LABEL/fused_test > x.sass; python3 tools/sass-bar-hazard.py x.sass
# (session 43: m157 0 candidates; s157 1 per 16-bit kernel, copy_decode_rows' row loop, whose bound is the block's).
# Predicted: every --quick 143 ok; synccheck 0 errors on m157 and s157 (item 156's build had 8); s157 whole: 0 FAIL,
# its early-trace and fault cases included (call1 never reached them).
# run(carry=[".bundle-bisect"], timeout_s=500, command="CALL_SECONDS=490 bash benchmarks/results/2026-12-07-s43/next/next-call1.sh")
set -uo pipefail
source tools/fused-test-call.sh
for v in m157 s157 r155; do
  [ -x $w/fused_test-$v ] && ft quick-$v 40 $w/fused_test-$v --quick --timeout-ms 1000
done
for v in s157 m157; do
  t=$(( $(left) - 150 )); [ $t -gt 100 ] && t=100
  [ -x $w/fused_test-$v ] && [ $t -gt 30 ] || continue
  timeout $t compute-sanitizer --tool synccheck --print-limit 4 $w/fused_test-$v --quick --timeout-ms 20000 \
    > $OUT/synccheck-$v.txt 2>&1
  echo "== synccheck $v --quick: exit $? ($(left) s left)"; grep -E "ERROR SUMMARY|FAIL" $OUT/synccheck-$v.txt | head -3
  grep -m1 -A4 "Barrier error" $OUT/synccheck-$v.txt
done
t=$(( $(left) - 10 ))
[ $t -gt 30 ] && [ -x $w/fused_test-s157 ] && ft full-s157 $t $w/fused_test-s157 --timeout-ms 1000
(cd $OUT && tar czf next-call1.tar.gz *.txt && rm -f quick-*.txt full-*.txt synccheck-*.txt)
echo "== done ($(left) s left)"
