#!/usr/bin/env bash
# Drafted in session 40, not run. Why gpt-oss-120b T = 1 loses +8 % on the early-path branch (perf-notes items 149-152):
# the branch (next/early-chain3 21822a2: items 145 fixed, 146, 147, 149, 150, 151) against main b379388 (item 144
# alone), against itself with FLASHMOE_DISABLE_OWN_GEMM1_TICKETS=1 (item 145 off, GEMM0 still early), and against item
# 152's diagnostic library (the same tree built with a 200 us abort-check threshold), and against item 153's library
# (next/early-chain4 62298ac: the branch + stage waits that sleep on the barrier), 3 rounds at gpt-oss-120b, Qwen3,
# paper and Qwen3-235B T = 1; then traced gpt-oss-120b T = 1 forwards of all five.
# Bundle (from a worktree of the branch): mvn -B -q -o -DskipTests install, then
#   BUNDLE_BENCH_ONLY=1 BUNDLE_AB_LIBS=DIR bash tools/gpu-bundle.sh
# with DIR/main/libflashmoe.so built from main b379388 (sm_90a md5 ab5776f3) and DIR/a152/libflashmoe.so from the
# branch with csrc/tools/build_native.py --archs 90a "--cmake-arg=-DCMAKE_CUDA_FLAGS=-DFLASHMOE_ABORT_CHECK_AFTER_NS=200000ull"
# (md5 e7e35248; the branch's own library 7bee2bef) and DIR/a153/libflashmoe.so built from next/early-chain4 62298ac
# (md5 2c901cbe); then MANIFEST line 2 by hand. Prebuilt in session 40 as /tmp/bundle-s40-next.
# Predicted (items 150-152): q151 within +-2 % of main at gpt-oss-120b if item 145 is its loss; a152 there too if the
# waits' abort polling is how item 145 costs it, and a153 too (the fix); Qwen3 / paper T = 1 p151 -4 % against main,
# q151 about half that; a153 within +-1 % of p151 there (a wait that sleeps on the barrier wakes as it completes).
# run(carry=[".bundle"], timeout_s=360, command="CALL_SECONDS=345 bash benchmarks/results/2026-12-07-s40/next/next-call.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s41a 3 $(( $(left) - ${AB_SECONDS:-235} )) "gpt-oss-120b 1" "qwen3-30b-a3b 1" "paper 1" "qwen3-235b-a22b 1" -- \
  p151=bundle "q151=bundle,FLASHMOE_DISABLE_OWN_GEMM1_TICKETS=1" "a152=$(ab_lib a152)" "a153=$(ab_lib a153)" \
  "main=$(ab_lib main)"
trace_lib main "$(ab_lib main)" gpt-oss-120b 1
trace_lib p151 bundle gpt-oss-120b 1
trace_lib q151 bundle gpt-oss-120b 1 FLASHMOE_DISABLE_OWN_GEMM1_TICKETS=1
trace_lib a152 "$(ab_lib a152)" gpt-oss-120b 1
trace_lib a153 "$(ab_lib a153)" gpt-oss-120b 1
(cd $w && tar czf $OUT/next-call.tar.gz r t-* 2>/dev/null)
echo "== done ($(left) s left)"
