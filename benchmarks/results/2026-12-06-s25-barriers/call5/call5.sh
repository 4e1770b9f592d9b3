#!/usr/bin/env bash
# Session 25 call5 (item 106: the first GEMM0 tasks' weights prefetched into the L2 during the slot assignment).
# Full bundle of the item-106 tree (its library, whose sm_90a SASS is identical to an sm_90a-only build, run with
# FLASHMOE_ROUTING_PREFETCH_STEPS = 0 / 4 / 16 and unset: 8, the default); A/B library head = main bad9eb4 (csrc's
# CMake, sm_90a only, target flashmoe).
# The A/B (3 rounds), then the GPU check (its files in one archive: the device tool returns at most 8 files).
# Run: run(carry=[".bundle"], command="CALL_SECONDS=585 bash benchmarks/results/2026-12-06-s25-barriers/call5/call5.sh")
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
ab s25d 3 360 "qwen3-30b-a3b 1,64,256,1024,4096" "paper 1024" -- \
  head=$n/ab/head pf0=bundle,FLASHMOE_ROUTING_PREFETCH_STEPS=0 pf4=bundle,FLASHMOE_ROUTING_PREFETCH_STEPS=4 \
  pf8=bundle pf16=bundle,FLASHMOE_ROUTING_PREFETCH_STEPS=16
mkdir -p $w/o; OUT=$w/o check tests native sanitizer > /dev/null 2>&1
echo "== check done ($(left) s left)"; cat $w/o/check/summary.txt 2>/dev/null
grep -E "routing-prefetch" $w/o/check/native.log | head -8
(cd $w/o && tar czf $OUT/check.tar.gz check)
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"
