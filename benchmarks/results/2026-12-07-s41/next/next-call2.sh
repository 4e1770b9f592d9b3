#!/usr/bin/env bash
# Drafted in session 41, not run. Item 154's A/B again on another machine (its gpt-oss-120b T = 1 result, -4.2 %,
# flipped session 40's +8.1 % on another H100, and main itself moved ~4 % between the two): main 00d2201 (md5
# 2c901cbe) with and without item 145 (FLASHMOE_DISABLE_OWN_GEMM1_TICKETS=1), against main's previous library (b379388, item 144 alone, md5 ab5776f3), 3 rounds
# at the decode points and at Qwen3 T = 4 (32 routes, but more GEMM0 tasks than the early path runs: off the path,
# where session 40's call1 found the kernel's size cost +5 %); then traced gpt-oss-120b T = 1 of both.
# Bundle: BUNDLE_BENCH_ONLY=1 BUNDLE_AB_LIBS=DIR bash tools/gpu-bundle.sh with DIR/m144/libflashmoe.so built from
# b379388 (md5 ab5776f3); prebuilt in session 41 as /tmp/bundle-s41-ab.
# Predicted (item 154): new vs m144 -2 to -5 % at gpt-oss-120b, Qwen3, paper and Qwen3-235B T = 1, -6 to -8 % at
# Qwen3 T = 2; Mixtral T = 1 and Qwen3 T = 4 (off the path) within +-1.5 %.
# run(carry=[".bundle"], timeout_s=330, command="CALL_SECONDS=315 bash benchmarks/results/2026-12-07-s41/next/next-call2.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s42a 3 $(( $(left) - ${AB_SECONDS:-250} )) "gpt-oss-120b 1" "qwen3-30b-a3b 1,2,4" "paper 1" "qwen3-235b-a22b 1" \
  "mixtral-8x7b 1" -- new=bundle "q145=bundle,FLASHMOE_DISABLE_OWN_GEMM1_TICKETS=1" "m144=$(ab_lib m144)"
trace_lib new bundle gpt-oss-120b 1
trace_lib m144 "$(ab_lib m144)" gpt-oss-120b 1
(cd $w && tar czf $OUT/next-call2.tar.gz r t-* 2>/dev/null)
echo "== done ($(left) s left)"
