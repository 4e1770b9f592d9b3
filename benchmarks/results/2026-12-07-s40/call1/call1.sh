#!/usr/bin/env bash
# Session 40, call1: item 147 (branch next/early-chain ac441dd = next/early-gemm0-routes df7a38d (items 145 fixed +
# 146) + item 147) against main b379388 (item 144 alone, sm_90a md5 ab5776f3) and against itself with the early path
# off (FLASHMOE_DISABLE_EARLY_GEMM0=1), 3 rounds at Qwen3 T = 1 / 2 / 4, paper T = 1 / 2, gpt-oss-120b T = 1; a traced
# Qwen3 T = 1 forward; then the native side of the GPU check (fused_test whole, its early-gemm0 cases at T = 1-4 and
# the T = 1 fault cases, and the sanitizers) on the branch's library. Run in place of session 39's next-call2.sh
# (device starts were scarce: one call checks 145-147 together).
# Bundle (from a worktree of the branch): mvn -B -q -o -DskipTests install, then
#   BUNDLE_BENCH_ONLY=1 BUNDLE_NATIVE_CHECK=1 BUNDLE_AB_LIBS=DIR bash tools/gpu-bundle.sh
# with DIR/main/libflashmoe.so built from main b379388 (csrc/tools/build_native.py --archs 90a).
# run(carry=[".bundle"], timeout_s=575, command="CALL_SECONDS=560 bash benchmarks/results/2026-12-07-s40/call1/call1.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s40a 3 $(( $(left) - ${AB_SECONDS:-175} )) "qwen3-30b-a3b 1,2,4" "paper 1,2" "gpt-oss-120b 1" -- \
  p147=bundle "main=$(ab_lib main)" "off=bundle,FLASHMOE_DISABLE_EARLY_GEMM0=1"
trace_lib p147 bundle qwen3-30b-a3b 1
(cd $w && tar czf $OUT/call1-a.tar.gz r t-* 2>/dev/null)
check native sanitizer
(cd $OUT && tar czf check.tar.gz check && rm -rf check) 2>/dev/null
(cd $w && tar czf $OUT/call1.tar.gz r t-* 2>/dev/null)
echo "== done ($(left) s left)"
