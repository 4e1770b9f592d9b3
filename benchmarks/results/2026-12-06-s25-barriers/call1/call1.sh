#!/usr/bin/env bash
# Session 25 call1 (item 103: the two-warpgroup kernel removed, the processors' barriers __syncthreads again).
# Full bundle of the item-103 tree (its libflashmoe.so is "new": its sm_90a SASS is identical to an sm_90a-only build
# of the same tree); A/B library head = main 39b1601 (csrc's CMake, sm_90a only, target flashmoe).
# First the GPU check (JUnit GPU tests, native tests, memcheck / racecheck / synccheck), then the A/B, 3 rounds.
# Run: run(carry=[".bundle"], command="CALL_SECONDS=580 bash benchmarks/results/2026-12-06-s25-barriers/call1/call1.sh")
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
CALL_SECONDS=$(( ${CALL_SECONDS:-585} - 200 )) check tests native sanitizer > /dev/null 2>&1
echo "== check done ($(left) s left)"; cat $OUT/check/summary.txt 2>/dev/null
ab s25a 3 8 "qwen3-30b-a3b 1,8,64,1024,16384" "paper 1,16384" "mixtral-8x7b 1,1024" -- \
  head=$n/ab/head new=bundle
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"
