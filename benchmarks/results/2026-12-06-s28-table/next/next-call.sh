#!/usr/bin/env bash
# Drafted in session 28, not run (no device time left): what session 28 left for the next device session.
# (The GPU check of main after item 114 is next-check.sh, a call of its own: run it first.)
# 1. Item 114 at the one-token shapes its rule takes unmeasured (DeepSeek-V3, Qwen3-235B-A22B T = 1: 256 and 192 GEMM0
#    tasks, one wave; OLMoE; Qwen2-57B: 320, more than one wave, as Mixtral T = 1's 448, which gained) and again at the
#    four measured ones, against the setting at 0 (p0) in one library; and the paper shape at T = 2 and 4, which the
#    rule leaves out (FLASHMOE_DECODE_PREFETCH_STEPS acts only where it holds: there p8 and p0 should agree).
# 2. Traces of Qwen3 T = 1 with the prefetch on and off in the same call (session 28's two traces came from two calls).
# 3. The Mixtral-8x7B T = 1024 trace session 27 drafted (its GEMM1 tail with even splits).
# Bundle: the bench-only bundle of main (BUNDLE_BENCH_ONLY=1); every variant is its library with a setting.
# Run: run(carry=[".bundle"], command="CALL_SECONDS=585 bash benchmarks/results/2026-12-06-s28-table/next/next-call.sh")
# (copy it into the new session's results folder as its callN.sh first, and record what ran there).
set -uo pipefail
source .bundle/call-env.sh
gpu_line
ab s29a 3 100 "deepseek-v3 1" "qwen3-235b-a22b 1" "olmoe-1b-7b 1" "qwen2-57b-a14b 1" "qwen3-30b-a3b 1" "paper 1" \
  "mixtral-8x7b 1" "gpt-oss-120b 1" "paper 2,4" -- p8=bundle p0=bundle,FLASHMOE_DECODE_PREFETCH_STEPS=0
trace qwen3-30b-a3b 1 && mv $r/trace-qwen3-30b-a3b-1.txt $OUT/trace-qwen3-1-p8.txt
FLASHMOE_DECODE_PREFETCH_STEPS=0 trace qwen3-30b-a3b 1 && mv $r/trace-qwen3-30b-a3b-1.txt $OUT/trace-qwen3-1-p0.txt
trace mixtral-8x7b 1024 && cp $r/trace-mixtral-8x7b-1024.txt $OUT/
(cd $w && tar czf $OUT/all.tar.gz r t-*/trace-*.json 2>/dev/null); echo "== done ($(left) s left)"
