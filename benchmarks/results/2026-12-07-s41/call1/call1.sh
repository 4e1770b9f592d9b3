#!/usr/bin/env bash
# Session 41 call1: session 40's next-call.sh and next-call2.sh in one call (device starts were scarce: each failed
# start cost ~180 s). The early-path branch with item 153 (next/early-chain4 cb68700, code 62298ac; md5 2c901cbe) as
# the bundle's library, A/B at gpt-oss-120b, Qwen3 and paper T = 1 against itself with item 145 off
# (FLASHMOE_DISABLE_OWN_GEMM1_TICKETS=1), against the branch without item 153 (next/early-chain3 21822a2, md5
# 7bee2bef) and against main (md5 ab5776f3); then the whole GPU check of the branch; then gpt-oss-120b T = 1 traces.
# Bundle (from a worktree of next/early-chain4): mvn -B -q -o -DskipTests install, then
#   BUNDLE_AB_LIBS=DIR bash tools/gpu-bundle.sh  (DIR/main, DIR/p151), MANIFEST line 2 by hand.
# The bundle (42 MB) and the tree (30 MB) are over the carry limit: the call ran from a checkout whose old
# benchmarks/results/ archives were removed for the call (restored after; nothing here reads them).
# Predicted (items 150-153): c4q within +-2 % of main at gpt-oss-120b if item 145 is its loss, c4 there too if item
# 153 is the fix; Qwen3 / paper T = 1 p151 -4 % against main, c4 within +-1 % of p151 there.
# run(carry=[".bundle"], timeout_s=600, command="CALL_SECONDS=585 bash benchmarks/results/2026-12-07-s41/call1/call1.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s41a ${ROUNDS:-3} $(( $(left) - ${AB_SECONDS:-140} )) "gpt-oss-120b 1" "qwen3-30b-a3b 1" "paper 1" -- \
  c4=bundle "c4q=bundle,FLASHMOE_DISABLE_OWN_GEMM1_TICKETS=1" "p151=$(ab_lib p151)" "main=$(ab_lib main)"
(cd $w && tar czf $OUT/call1a.tar.gz r 2>/dev/null)
check ${CHECK_STEPS:-}
(cd $OUT && tar czf check.tar.gz check && rm -rf check) 2>/dev/null
trace_lib c4 bundle gpt-oss-120b 1
trace_lib main "$(ab_lib main)" gpt-oss-120b 1
trace_lib c4q bundle gpt-oss-120b 1 FLASHMOE_DISABLE_OWN_GEMM1_TICKETS=1
(cd $w && tar czf $OUT/call1.tar.gz r t-* 2>/dev/null)
echo "== done ($(left) s left)"
