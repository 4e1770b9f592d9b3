#!/usr/bin/env bash
# Drafted in session 40, not run. Item 150 (branch next/early-chain3: items 145 fixed, 146, 147, 149, 150) against
# main b379388 (item 144 alone) and against itself with FLASHMOE_DISABLE_OWN_GEMM1_TICKETS=1 (item 145 off, GEMM0
# still early), 3 rounds at gpt-oss-120b T = 1 (the branch's +8 % loss), Qwen3 T = 1 / 2, paper T = 1, Qwen3-235B
# T = 1; traced gpt-oss-120b T = 1 forwards of main, the branch, and the branch with the switch; then the native side
# of the GPU check of the branch's library (fused_test whole: the early-gemm0 cases under the new switch; the
# sanitizers, synccheck included, which session 40's call2 lost to its limit).
# Bundle (from a worktree of the branch): mvn -B -q -o -DskipTests install, then
#   BUNDLE_BENCH_ONLY=1 BUNDLE_NATIVE_CHECK=1 BUNDLE_AB_LIBS=DIR bash tools/gpu-bundle.sh
# with DIR/main/libflashmoe.so built from main b379388 (csrc/tools/build_native.py --archs 90a; sm_90a md5 ab5776f3),
# then MANIFEST line 2 by hand. Prebuilt in session 40 as /tmp/bundle-s40-next.
# Predicted (docs/perf-notes.md item 150): with the switch gpt-oss-120b within +-2 % of main if item 145 is its loss.
# run(carry=[".bundle"], timeout_s=540, command="CALL_SECONDS=525 bash benchmarks/results/2026-12-07-s40/next/next-call.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s41a 3 $(( $(left) - ${AB_SECONDS:-170} )) "gpt-oss-120b 1" "qwen3-30b-a3b 1,2" "paper 1" "qwen3-235b-a22b 1" -- \
  p150=bundle "q150=bundle,FLASHMOE_DISABLE_OWN_GEMM1_TICKETS=1" "main=$(ab_lib main)"
trace_lib main "$(ab_lib main)" gpt-oss-120b 1
trace_lib p150 bundle gpt-oss-120b 1
trace_lib q150 bundle gpt-oss-120b 1 FLASHMOE_DISABLE_OWN_GEMM1_TICKETS=1
(cd $w && tar czf $OUT/next-call-a.tar.gz r t-* 2>/dev/null)
check native sanitizer
(cd $OUT && tar czf check.tar.gz check && rm -rf check) 2>/dev/null
echo "== done ($(left) s left)"
