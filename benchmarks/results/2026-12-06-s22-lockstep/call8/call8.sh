#!/usr/bin/env bash
# Session 22, call8. call7's bundle. One traced forward (the benchmark's --trace) of base and new at Qwen3 T = 8
# (call7: new +1.3 %) and T = 1, paper T = 1: the PUSH_GEMM0 events and the first GEMM0 starts.
set -uo pipefail
source .bundle/call-env.sh
mkdir -p $r/trace
OUT=$r/trace ROUNDS=1 BENCH_TIMEOUT=60 BENCH_ARGS="--copy-tbps 3 --matmul-tflops 750 --check-tokens 1" \
  bash tools/run-bench-ab.sh "qwen3-30b-a3b 8" "qwen3-30b-a3b 1" "paper 1" -- \
  "base=$n/ab/base,BENCH_ARGS=--trace" "new=bundle,BENCH_ARGS=--trace" > $r/trace.txt 2>&1
cp $r/trace/bench-ab.log $OUT/
grep -E "^== round|trace T=|^phases" $OUT/bench-ab.log | cut -c1-400
