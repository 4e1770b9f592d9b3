#!/usr/bin/env bash
# Session 31 call4 (drafted; not run: the session's device time went to eight refused starts after calls 1-2): the A/B
# head / w1 / w2 first (the decision), then the native GPU check with sanitizers in the seconds left.
# Tree: main + item-118.patch (beside this script) with FLASHMOE_DIAG_COMBINE_WARM's default set to 2 for the call:
#   git apply benchmarks/results/2026-12-06-s31-combine/item-118.patch
#   sed -i 's/^#define FLASHMOE_DIAG_COMBINE_WARM 0$/#define FLASHMOE_DIAG_COMBINE_WARM 2/' csrc/include/flashmoe/processor/tasks.cuh
#   mvn -B -q -DskipTests install      (the bundle's library and native tests are then "w2")
# A/B libraries (csrc's CMake, target flashmoe, sm_90a only, -DFLASHMOE_BUILD_TESTS=OFF -DFLASHMOE_WITH_NVSHMEM=OFF):
#   LIBS3/head = main's csrc without the patch; LIBS3/w1 = the patched csrc with -DFLASHMOE_DIAG_COMBINE_WARM=1 in
#   CMAKE_CUDA_FLAGS (combine_rows out of line, no dry pass).
# Bundle: BUNDLE_BENCH_ONLY=1 BUNDLE_NATIVE_CHECK=1 BUNDLE_AB_LIBS=LIBS3 bash tools/gpu-bundle.sh (35 MiB: the tree and
# this carry were 62.5 MiB of the 64 allowed in session 31)
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
