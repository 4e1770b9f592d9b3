#!/usr/bin/env bash
# Drafted in session 41, not run. Item 155's branch (next/s41-review 7727967 = main + the review's two mends, sm_90a md5
# bab8893a) against main (00d2201's kernel, md5 2c901cbe: the merged early path, item 154) and main's previous library
# (b379388, item 144 alone, md5 ab5776f3), 3 rounds at the decode points and at Qwen3 T = 4 (32 routes, but more GEMM0
# tasks than the early path runs: off the path, where session 40's call1 found the kernel's size cost +5 %); then
# traced gpt-oss-120b T = 1 of the branch and of m144. It repeats item 154's A/B on another machine (its gpt-oss-120b
# T = 1 result, -4.2 %, flipped session 40's +8.1 % on another H100, and main itself moved ~4 % between the two).
# Bundle (from a worktree of the branch): mvn -B -q -o -DskipTests install, then
#   BUNDLE_BENCH_ONLY=1 BUNDLE_AB_LIBS=DIR bash tools/gpu-bundle.sh  with DIR/main/libflashmoe.so (md5 2c901cbe) and
#   DIR/m144/libflashmoe.so (md5 ab5776f3), each csrc/tools/build_native.py --archs 90a; MANIFEST line 2 by hand.
#   Prebuilt in session 41 as /tmp/bundle-s41-ab.
# Predicted: rev within +-1 % of main everywhere (item 155); rev and main against m144 -2 to -5 % at gpt-oss-120b,
# Qwen3, paper and Qwen3-235B T = 1, -6 to -8 % at Qwen3 T = 2 (item 154, session 40); Mixtral T = 1 and Qwen3 T = 4
# (off the path) within +-1.5 %.
# run(carry=[".bundle"], timeout_s=330, command="CALL_SECONDS=315 bash benchmarks/results/2026-12-07-s41/next/next-call2.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
head -2 .bundle/MANIFEST.txt
ab s42a 3 $(( $(left) - ${AB_SECONDS:-250} )) "gpt-oss-120b 1" "qwen3-30b-a3b 1,2,4" "paper 1" "qwen3-235b-a22b 1" \
  "mixtral-8x7b 1" -- rev=bundle "main=$(ab_lib main)" "m144=$(ab_lib m144)"
trace_lib rev bundle gpt-oss-120b 1
trace_lib m144 "$(ab_lib m144)" gpt-oss-120b 1
(cd $w && tar czf $OUT/next-call2.tar.gz r t-* 2>/dev/null)
echo "== done ($(left) s left)"
