#!/usr/bin/env bash
# Session 34 call6: the decode defaults re-checked on main 8205cf9 (call3's full bundle) after items 118-125 moved the
# decode chain: item 114's first-wave GEMM0 prefetch (FLASHMOE_DECODE_PREFETCH_STEPS, default 8: off and 4) and item
# 88's GEMM1 L2 prefetch (FLASHMOE_GEMM1_L2_PREFETCH, default 1: off), 3 rounds at the one-token points; before it two
# traces of Qwen3 T = 1, the default and FLASHMOE_DECODE_PREFETCH_STEPS=0: session 34's call5 trace has the OS block's
# GEMM0 queue entries (PUSH_GEMM0) at 6.6-9.95 us where session 28's (before item 114) had 5.1-6.4, i.e. ~2 us more
# while the processors' first-wave prefetches fill the memory system; without the prefetch, does PUSH_GEMM0 shrink
# back to ~1.3 us and the first GEMM0 task start ~3 us after the slot assignment instead of ~5.6?
# run(carry=[".bundle"], timeout_s=290, command="CALL_SECONDS=280 bash benchmarks/results/2026-12-07-s34/call6/call6.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
trace qwen3-30b-a3b 1
mv $r/trace-qwen3-30b-a3b-1.txt $r/trace-qwen3-30b-a3b-1-dp8.txt; mv $w/t-qwen3-30b-a3b-1 $w/t-qwen3-30b-a3b-1-dp8
FLASHMOE_DECODE_PREFETCH_STEPS=0 trace qwen3-30b-a3b 1
mv $r/trace-qwen3-30b-a3b-1.txt $r/trace-qwen3-30b-a3b-1-dp0.txt; mv $w/t-qwen3-30b-a3b-1 $w/t-qwen3-30b-a3b-1-dp0
cp $r/trace-* $OUT/ 2>/dev/null; (cd $w && tar czf $OUT/traces.tar.gz t-*)
# The A/B after the traces (each ~10 s), with what is left.
ab s34dp 3 5 "qwen3-30b-a3b 1" "paper 1" "gpt-oss-120b 1" "mixtral-8x7b 1" -- base=bundle \
  dp0=bundle,FLASHMOE_DECODE_PREFETCH_STEPS=0 dp4=bundle,FLASHMOE_DECODE_PREFETCH_STEPS=4 \
  nol2=bundle,FLASHMOE_GEMM1_L2_PREFETCH=0
echo "== done ($(left) s left)"
