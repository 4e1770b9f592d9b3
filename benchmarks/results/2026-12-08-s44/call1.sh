#!/usr/bin/env bash
# Session 44 call1, NOT RUN (every start failed). One call for what session 43's next-call1.sh and next-call2.sh asked.
# Carries .bundle and .bundle-bisect (session 43's fused_test-m157 / -s157, prebuilt: see 2026-12-07-s43/next/
# next-call1.sh for the recipe; SOURCES.txt has their md5s).
# Bundle (session 44 built it so; ~10 min on 2 cores):
#   git worktree add -b next/s157 /tmp/s157 main && cd /tmp/s157 && git am <results>/2026-12-08-s44/series/*.patch
#     (items 155, its allowance in csrc/tools/sass-bar-hazard.allow, 156, 157; sm_90a md5 34ff0b8c)
#   mvn -B -q -o -DskipTests install      # the build's SASS check (item 158) must pass
#   git branch next/m157 main && (worktree of it) git am <results>/2026-12-07-s43/item-157.patch   # md5 64770f56
#   bash tools/build-ab-libs.sh /tmp/ab44 main=main m157=next/m157
#   BUNDLE_AB_LIBS=/tmp/ab44 bash tools/gpu-bundle.sh    # then MANIFEST.txt's line 2 by hand; copy .bundle to main's tree
# The tree must be small (bundle ~39 MB + .bundle-bisect ~11 MB): move benchmarks/results/* except this folder out for
# the call, and back after.
# 1. fused_test --quick of m157.
# 2. The whole check of s157's bundle (JUnit, native tests incl. fused_test whole and ep_layer_test, compute-sanitizer
#    memcheck / racecheck / synccheck on the JUnit sanitizer set and fused_test --quick).
# 3. A/B: s157 / off (item 156's switch) / m157 / main at the early path's points and two off it.
# Predicted: all pass (synccheck 0 errors, where item 156's build had 8); s157 against off: Qwen3 T = 1 -5 to -10 %,
# gpt-oss-120b and paper T = 1 -3 to -8 %; m157 within +-0.5 % of main.
# run(carry=[".bundle", ".bundle-bisect"], timeout_s=595, command="CALL_SECONDS=585 bash benchmarks/results/2026-12-08-s44/call1.sh")
# (or AB=0 CALL_SECONDS=380 with less device time left)
set -uo pipefail
source .bundle/call-env.sh
for v in m157; do
  xz -dc .bundle-bisect/fused_test-$v.xz > $w/fused_test-$v && chmod +x $w/fused_test-$v
  s=$(date +%s); timeout 60 $w/fused_test-$v --quick --timeout-ms 1000 > $OUT/quick-$v.txt 2>&1
  echo "== quick-$v: exit $? in $(( $(date +%s) - s )) s; $(grep -c ' ok ' $OUT/quick-$v.txt) ok, $(grep -c FAIL $OUT/quick-$v.txt) FAIL"
  grep FAIL $OUT/quick-$v.txt | head -3 | cut -c1-200
done
# AB=0 (a short call, when failed starts have spent the budget): the check alone, with all the seconds.
CALL_SECONDS=$(( ${CALL_SECONDS:-585} - ${AB:-1} * 170 )) check_call
[ "${AB:-1}" = 0 ] || ab s44a 3 10 "gpt-oss-120b 1" "qwen3-30b-a3b 1,4" "paper 1" "mixtral-8x7b 1" -- \
  s157=bundle off=bundle,FLASHMOE_DISABLE_EARLY_GEMM1_START=1 "m157=$(ab_lib m157)" "main=$(ab_lib main)"
(cd $w && tar czf $OUT/call1-r.tar.gz r 2>/dev/null)
echo "== done ($(left) s left)"
