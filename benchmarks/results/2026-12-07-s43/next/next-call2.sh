#!/usr/bin/env bash
# Drafted in session 43, not run. Item 155's whole GPU check (it passed fused_test --quick in session 43's call2; the
# JUnit GPU tests, the native suite whole, ep_layer_test and the sanitizers have not run on it), then its A/B against
# main at the decode points where its code acts (the early path: gpt-oss-120b, Qwen3, paper T = 1) and two off it
# (Qwen3 T = 4, Mixtral T = 1). Merge item 155 if every step passes and no point loses more than the spread.
# Bundle: item 155's full bundle with main's library for the A/B:
#   git worktree add -b next/s41-review /tmp/wt155 main; cd /tmp/wt155; git am ../main/benchmarks/results/2026-12-07-s42/item-155.patch
#   mvn -B -q -o -DskipTests install; bash tools/build-ab-libs.sh /tmp/ab43 main=main
#   BUNDLE_AB_LIBS=/tmp/ab43 bash tools/gpu-bundle.sh   # MANIFEST line 2 by hand; SASS md5 bab8893a (main 2c901cbe)
# then move .bundle into the call's tree (benchmarks/results/'s other folders out of it, CONTRIBUTING.md).
# Predicted: every check step passes (the synccheck result as next-call1.sh's r155); A/B within +-1 % off the early
# path, -0.5 to -2 % on it (item 155: 440 fewer instructions in the kernel's body).
# run(carry=[".bundle"], timeout_s=595, command="CALL_SECONDS=585 bash benchmarks/results/2026-12-07-s43/next/next-call2.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
check_packed
echo "== check done ($(left) s left)"
ab s44b 3 $(( $(left) > 200 ? 30 : 10 )) "gpt-oss-120b 1" "qwen3-30b-a3b 1,4" "paper 1" "mixtral-8x7b 1" -- \
  r155=bundle "main=$(ab_lib main)"
(cd $w && tar czf $OUT/next-call2.tar.gz r 2>/dev/null)
echo "== done ($(left) s left)"
