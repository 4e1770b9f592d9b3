#!/usr/bin/env bash
# Drafted in session 43, not run. The whole GPU check of items 155 + 156 + 157 (after next-call1.sh passes), then item
# 156's A/B in one library with its switch, item 157 alone (on main) and main, at the early path's points and two off
# it, then traced Qwen3 T = 1 with item 156 on and off.
# Bundle: a full bundle of next/early-gemm1-start with item 157:
#   git worktree add -b next/s157 /tmp/s157 main; cd /tmp/s157
#   r=<main's checkout>/benchmarks/results; git am $r/2026-12-07-s42/item-155.patch $r/2026-12-07-s42/item-156.patch \
#     $r/2026-12-07-s43/item-157.patch
#   mvn -B -q -o -DskipTests install
#   bash tools/build-ab-libs.sh /tmp/ab44 main=main m157=<main + item-157.patch>
#   BUNDLE_AB_LIBS=/tmp/ab44 bash tools/gpu-bundle.sh   # MANIFEST line 2 by hand
# SASS md5s (the README's method), session 43's builds: see 2026-12-07-s43/README.md.
# Predicted: every check step passes; s157 against off: Qwen3 T = 1 -5 to -10 %, gpt-oss-120b and paper T = 1 -3 to
# -8 % (item 156's entry); m157 within +-0.5 % of main everywhere (56 fewer instructions in the OS block's code).
# run(carry=[".bundle"], timeout_s=595, command="CALL_SECONDS=585 bash benchmarks/results/2026-12-07-s43/next/next-call2.sh")
set -uo pipefail
source .bundle/call-env.sh
check_call
ab s44a 3 $(( $(left) > 200 ? 45 : 10 )) "gpt-oss-120b 1" "qwen3-30b-a3b 1,4" "paper 1" "mixtral-8x7b 1" -- \
  s157=bundle off=bundle,FLASHMOE_DISABLE_EARLY_GEMM1_START=1 "m157=$(ab_lib m157)" "main=$(ab_lib main)"
trace_lib s157-qwen3 bundle qwen3-30b-a3b 1
trace_lib off-qwen3 bundle qwen3-30b-a3b 1 FLASHMOE_DISABLE_EARLY_GEMM1_START=1
(cd $w && tar czf $OUT/next-call2.tar.gz r t-* 2>/dev/null)
echo "== done ($(left) s left)"
