#!/usr/bin/env bash
# Needs items-118-120.patch applied to the tree first (README.md here): none of this code is on main.
# Session 30 call2: item 118's diagnostic build (-DFLASHMOE_DIAG_COMBINE_WARM=2: a decode COMBINE task's loop code run
# with its stores off while thread 0 waits for the token tile): its fused_test (--quick, then under racecheck: the
# dry pass reads the route lookups in shared memory), and the A/B new (the bundle's library, the tree's defaults)
# against w2 (the tree's csrc built with the flag); then in-kernel traces of Qwen3 T = 1 with the defaults and with
# item 120's early first weight boxes (FLASHMOE_EARLY_FIRST_STAGES=1).
# Bundle: BUNDLE_BENCH_ONLY=1 BUNDLE_AB_LIBS=/work/ab-s30/libs2 bash tools/gpu-bundle.sh, then
# cp /work/ab-s30/build-w2t/fused_test .bundle/fused_test_w2 (csrc's CMake, -DFLASHMOE_BUILD_TESTS=ON, 90a only,
# CMAKE_CUDA_FLAGS=-DFLASHMOE_DIAG_COMBINE_WARM=2, target fused_test).
# run(carry=[".bundle"], command="CALL_SECONDS=585 bash benchmarks/results/2026-12-06-s30-warm/call2.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
timeout 150 .bundle/fused_test_w2 --quick > $r/fused_test_w2.txt 2>&1
echo "fused_test_w2 --quick exit $?"; tail -1 $r/fused_test_w2.txt; grep -E "FAIL" $r/fused_test_w2.txt | head; cp $r/fused_test_w2.txt $OUT/
san="$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)"
timeout 150 "$san" --tool racecheck .bundle/fused_test_w2 --quick > $r/racecheck_w2.txt 2>&1
echo "racecheck fused_test_w2 --quick exit $?"; grep -E "RACECHECK SUMMARY|^PASS|^FAIL" $r/racecheck_w2.txt | tail -3
cp $r/racecheck_w2.txt $OUT/
ab s30b 2 5 "qwen3-30b-a3b 1,16" "paper 1" "mixtral-8x7b 1" "gpt-oss-120b 1" -- new=bundle w2=$(ab_lib w2)
trace qwen3-30b-a3b 1 && mv $r/trace-qwen3-30b-a3b-1.txt $OUT/trace-qwen3-1-new.txt && mv $w/t-qwen3-30b-a3b-1 $w/t-new
FLASHMOE_EARLY_FIRST_STAGES=1 trace qwen3-30b-a3b 1 && mv $r/trace-qwen3-30b-a3b-1.txt $OUT/trace-qwen3-1-e1.txt \
  && mv $w/t-qwen3-30b-a3b-1 $w/t-e1
(cd $w && tar czf $OUT/all.tar.gz r t-*/trace-*.json 2>/dev/null); echo "== done ($(left) s left)"
