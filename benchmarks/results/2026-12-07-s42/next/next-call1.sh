#!/usr/bin/env bash
# Drafted in session 42, not run (no device machine was lent). One call for the whole GPU check of items 155 + 156
# (docs/perf-notes.md; neither has run on a GPU) and the first A/B of item 156, because starts are scarce: the JUnit
# GPU tests, the native suite (fused_test's early-gemm0 / early-trace / fault cases cover item 156's static tickets),
# compute-sanitizer memcheck, racecheck and synccheck (not run on main's kernel since item 154, md5 2c901cbe); then
# s156 (items 155 + 156) / off (the same library, FLASHMOE_DISABLE_EARLY_GEMM1_START=1) / r155 (item 155 alone) /
# main at the early path's points; then traced Qwen3 T = 1 with s156 and off (when each GEMM1 task starts against
# its tile's GEMM0 count: perf-notes item 156's reading).
# Bundle: a full bundle of items 155 + 156 (sm_90a md5 e324a2e1) carrying three A/B libraries:
#   git checkout -b next/early-gemm1-start main
#   git am benchmarks/results/2026-12-07-s42/item-155.patch benchmarks/results/2026-12-07-s42/item-156.patch
#   git branch next/s41-review HEAD~1; git checkout -b next/trace-slot HEAD~1
#   git am benchmarks/results/2026-12-07-s42/item-148.patch; git checkout next/early-gemm1-start
#   mvn -B -q -o -DskipTests install
#   bash tools/build-ab-libs.sh /tmp/ab42 main=dc2aa8a r155=next/s41-review t148=next/trace-slot
#   BUNDLE_AB_LIBS=/tmp/ab42 bash tools/gpu-bundle.sh   # MANIFEST line 2 by hand; SASS md5s (the README's method):
#                                                       # main 2c901cbe, r155 bab8893a, t148 4addac72
# The bundle is ~41 MB: run the call from a tree without benchmarks/results/'s other folders (CONTRIBUTING.md), then
# `git checkout -- benchmarks/results`.
# If the check fails on item 156's cases: rebuild the bundle from next/s41-review (item 155 alone) and run this script
# again (its A/B then compares item 155 with itself, harmless); merge what passes.
# Predicted (item 156): s156 against off Qwen3 T = 1 -5 to -10 %, gpt-oss-120b and paper T = 1 -3 to -8 %, Qwen3 T = 2
# less; off within +-1 % of r155; r155 within +-1 % of main (item 155). Every check step passes.
# run(carry=[".bundle"], timeout_s=595, command="CALL_SECONDS=585 bash benchmarks/results/2026-12-07-s42/next/next-call1.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
check_packed
echo "== check done ($(left) s left)"
ab s43a 3 $(( $(left) > 200 ? 45 : 10 )) "gpt-oss-120b 1" "qwen3-30b-a3b 1,2" "paper 1" -- \
  s156=bundle off=bundle,FLASHMOE_DISABLE_EARLY_GEMM1_START=1 "r155=$(ab_lib r155)" "main=$(ab_lib main)"
trace_lib s156-qwen3 bundle qwen3-30b-a3b 1
trace_lib off-qwen3 bundle qwen3-30b-a3b 1 FLASHMOE_DISABLE_EARLY_GEMM1_START=1
(cd $w && tar czf $OUT/next-call1.tar.gz r t-* 2>/dev/null)
echo "== done ($(left) s left)"
