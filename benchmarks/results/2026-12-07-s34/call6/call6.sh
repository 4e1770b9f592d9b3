#!/usr/bin/env bash
# Session 34 call6: the decode defaults re-checked on main 8205cf9 (call3's full bundle) after items 118-125 moved the
# decode chain: item 114's first-wave GEMM0 prefetch (FLASHMOE_DECODE_PREFETCH_STEPS, default 8: off and 4) and item
# 88's GEMM1 L2 prefetch (FLASHMOE_GEMM1_L2_PREFETCH, default 1: off), 3 rounds at the one-token points.
# run(carry=[".bundle"], timeout_s=250, command="CALL_SECONDS=240 bash benchmarks/results/2026-12-07-s34/call6/call6.sh")
set -uo pipefail
source .bundle/call-env.sh
gpu_line
ab s34dp 3 5 "qwen3-30b-a3b 1" "paper 1" "gpt-oss-120b 1" "mixtral-8x7b 1" -- base=bundle \
  dp0=bundle,FLASHMOE_DECODE_PREFETCH_STEPS=0 dp4=bundle,FLASHMOE_DECODE_PREFETCH_STEPS=4 \
  nol2=bundle,FLASHMOE_GEMM1_L2_PREFETCH=0
echo "== done ($(left) s left)"
