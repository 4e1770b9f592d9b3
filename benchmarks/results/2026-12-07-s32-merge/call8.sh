#!/usr/bin/env bash
# Session 32 call8 (drafted, not run in session 32: no device time left; the next session's first call, on a bundle
# of main e6d28f1, whose csrc is the candidate below): the GPU check of the merge candidate, then its A/B against
# main and against itself without item 122.
# Tree ("cand", the bundle's library and native tests): main 2d9f707 + item-118-merge.patch (item 118 as kernel code,
# the diagnostic flag gone) + ../2026-12-06-s31-combine/item-122.patch + item 123 (item-123.patch, with the comments
# the commit has), `mvn -B -q -DskipTests install`. Its sm_90a SASS is identical to call7's p123 library.
# On main e6d28f1: build as is. A/B libraries (LIBS8; csrc's CMake, target flashmoe, sm_90a,
# -DFLASHMOE_BUILD_TESTS=OFF -DFLASHMOE_WITH_NVSHMEM=OFF): head = 2d9f707's csrc; no122 = e6d28f1's csrc with
# `git apply -R ../2026-12-06-s31-combine/item-122.patch` (items 118 and 123 without item 122).
# Bundle: BUNDLE_BENCH_ONLY=1 BUNDLE_NATIVE_CHECK=1 BUNDLE_AB_LIBS=LIBS8 bash tools/gpu-bundle.sh.
# run(carry=[".bundle"], timeout_s=390, command="CALL_SECONDS=380 bash benchmarks/results/2026-12-07-s32-merge/call8.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
# S32_CHECK_ONLY=1 (little device time left): the check alone.
[ "${S32_CHECK_ONLY:-0}" = 1 ] && ab_s=5 || ab_s=90
CALL_SECONDS=$(( ${CALL_SECONDS:-380} - ab_s )) check native sanitizer  # leaves ~90 s for the A/B
tail -8 $OUT/check/summary.txt 2>/dev/null
grep -E "FAIL" $OUT/check/native.log 2>/dev/null | head -20
[ "${S32_CHECK_ONLY:-0}" = 1 ] || ab s32b 2 5 "qwen3-30b-a3b 1,4096" "paper 1" -- cand=bundle head=$(ab_lib head) \
  no122=$(ab_lib no122)
echo "== done ($(left) s left)"
