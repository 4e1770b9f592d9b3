#!/usr/bin/env bash
# Drafted in session 27 (2026-12-06-s27-even/next/next-call.sh), not run in session 28 call1 (four device starts refused): what its call3 left for want of device time (perf-notes session 27's Next (a)).
# Issue 4's presets swept with both ceilings measured (the table after item 112), an in-kernel trace of Mixtral-8x7B
# T = 1024 (its GEMM1 tail with even splits: ~1150 one-piece tasks for 263 processors), and a screen of the tasks per
# processor at the launches item 112 takes (FLASHMOE_TASKS_PER_PROCESSOR 2 / 4 / 8: pairs at 2, finer tasks at 8).
# Bundle: bench-only of main (BUNDLE_BENCH_ONLY=1; no A/B library: every variant is the bundle's with a setting).
# Run: run(carry=[".bundle"], command="CALL_SECONDS=570 bash benchmarks/results/2026-12-06-s28-table/next/sweeps-call.sh") (copy it to callN/ first)
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
head -2 $OUT/nvidia-smi.txt | tail -1
sweep qwen3-30b-a3b 1,8,64,256,1024,4096,16384
sweep paper 1,1024,4096,16384
sweep mixtral-8x7b 1,1024,8192
grep -vE "^\[#" $r/sweeps.txt | grep -E "^ +[0-9]+ |ceilings|== sweep|exit"
cp $r/sweeps.txt $OUT/ 2>/dev/null
trace mixtral-8x7b 1024 && cp $r/trace-mixtral-8x7b-1024.txt $OUT/
ab tpp 2 20 "mixtral-8x7b 1024,8192" "paper 4096,16384" "qwen3-30b-a3b 4096,16384" "gpt-oss-120b 4096" "dbrx 1024" \
  "llama4-scout 4096" -- tpp4=bundle tpp2=bundle,FLASHMOE_TASKS_PER_PROCESSOR=2 tpp8=bundle,FLASHMOE_TASKS_PER_PROCESSOR=8
(cd $w && tar czf $OUT/all.tar.gz r t-*/trace-*.json 2>/dev/null); echo "== done ($(left) s left)"
