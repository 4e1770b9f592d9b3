#!/usr/bin/env bash
# Session 44 call2, NOT RUN (no device time left to start one): the short form of session 43's next-call1.sh, for the device time left after eight failed starts
# (419 s): fused_test --quick of item 157 on main (m157) and on items 155 + 156 (s157), then compute-sanitizer
# synccheck of each on --quick (item 156's build had 8 "Divergent thread(s) in warp" errors at the OS block's barrier).
# Carries .bundle-bisect alone (session 43's binaries; SOURCES.txt has their md5s).
# Predicted: both --quick 143 ok; synccheck 0 errors on both.
# run(carry=[".bundle-bisect"], timeout_s=250, command="CALL_SECONDS=240 bash benchmarks/results/2026-12-08-s44/call2.sh")
set -uo pipefail
source tools/fused-test-call.sh
for v in s157 m157; do
  [ -x $w/fused_test-$v ] && ft quick-$v 40 $w/fused_test-$v --quick --timeout-ms 1000
done
for v in s157 m157; do
  t=$(( $(left) - 10 )); [ $v = s157 ] && t=$(( t / 2 )); [ $t -gt 100 ] && t=100
  [ $t -gt 20 ] || continue
  s=$(date +%s)
  timeout $t compute-sanitizer --tool synccheck --print-limit 4 $w/fused_test-$v --quick --timeout-ms 20000 \
    > $OUT/synccheck-$v.txt 2>&1
  echo "== synccheck $v --quick: exit $? in $(( $(date +%s) - s )) s ($(left) s left)"
  grep -E "ERROR SUMMARY|FAIL" $OUT/synccheck-$v.txt | head -3; grep -m1 -A4 "Barrier error" $OUT/synccheck-$v.txt
  echo "   $(grep -c ' ok ' $OUT/synccheck-$v.txt) ok under synccheck"
done
(cd $OUT && tar czf call2.tar.gz *.txt && rm -f quick-*.txt synccheck-*.txt)
echo "== done ($(left) s left)"
