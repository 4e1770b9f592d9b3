#!/usr/bin/env bash
# Session 31 call4 (call3's bundle and tree, its steps reordered for the device time left after refused starts): the
# A/B head / w1 / w2 first (the decision), then the native GPU check with sanitizers in the seconds left.
# Tree: main f33bff7 + item 118 alone with FLASHMOE_DIAG_COMBINE_WARM's default at 2 (= the bundle's library, "w2");
# head = f33bff7's csrc; w1 = the same tree built with -DFLASHMOE_DIAG_COMBINE_WARM=1 (out of line, no dry pass).
# Bundle: BUNDLE_BENCH_ONLY=1 BUNDLE_NATIVE_CHECK=1 BUNDLE_AB_LIBS=/tmp/LIBS3 bash tools/gpu-bundle.sh
# run(carry=[".bundle"], timeout_s=310, command="CALL_SECONDS=300 bash benchmarks/results/2026-12-06-s31-combine/call4.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
ab s31d 2 5 "qwen3-30b-a3b 1,16" "paper 1" "gpt-oss-120b 1" "mixtral-8x7b 1" -- head=$(ab_lib head) w1=$(ab_lib w1) \
  w2=bundle
[ $(left) -gt 60 ] && check native sanitizer
tail -8 $OUT/check/summary.txt 2>/dev/null
grep -E "FAIL" $OUT/check/native.log 2>/dev/null | head -20
echo "== done ($(left) s left)"
