#!/usr/bin/env bash
# Session 29 call2: item 116 (the one-token prefetches held until the OS block's count pass, FLASHMOE_DECODE_PREFETCH_HOLD=1)
# GPU-checked and measured, with session 28's next-call.sh (item 114 at the one-token shapes it takes unmeasured, and
# the paper shape at T = 2 and 4, which it leaves out; Qwen3 T = 1 traces with the prefetch on, held and off in one call).
# Bundle: call1's, the full bundle of branch next/prefetch-hold (no A/B library: main's would not fit the carry beside
# it); run on the machine call1 left warm. Every variant is the bundle's library with a setting; fused_test ran in call1.
# run(carry=[".bundle"], command="CALL_SECONDS=585 bash benchmarks/results/2026-12-06-s29-check/call2.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
ab s29a 3 110 "qwen3-30b-a3b 1" "paper 1" "gpt-oss-120b 1" "mixtral-8x7b 1" "deepseek-v3 1" "qwen3-235b-a22b 1" \
  "olmoe-1b-7b 1" "qwen2-57b-a14b 1" "paper 2,4" -- p8=bundle h8=bundle,FLASHMOE_DECODE_PREFETCH_HOLD=1 \
  p0=bundle,FLASHMOE_DECODE_PREFETCH_STEPS=0
trace qwen3-30b-a3b 1 && mv $r/trace-qwen3-30b-a3b-1.txt $OUT/trace-qwen3-1-p8.txt && mv $w/t-qwen3-30b-a3b-1 $w/t-p8
FLASHMOE_DECODE_PREFETCH_HOLD=1 trace qwen3-30b-a3b 1 && mv $r/trace-qwen3-30b-a3b-1.txt $OUT/trace-qwen3-1-h8.txt \
  && mv $w/t-qwen3-30b-a3b-1 $w/t-h8
FLASHMOE_DECODE_PREFETCH_STEPS=0 trace qwen3-30b-a3b 1 && mv $r/trace-qwen3-30b-a3b-1.txt $OUT/trace-qwen3-1-p0.txt \
  && mv $w/t-qwen3-30b-a3b-1 $w/t-p0
(cd $w && tar czf $OUT/all.tar.gz r t-*/trace-*.json 2>/dev/null); echo "== done ($(left) s left)"
