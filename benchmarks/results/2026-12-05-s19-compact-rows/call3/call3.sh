#!/usr/bin/env bash
# Session 19, call3. Bundle: call2's (f7dd4a9: item 90 with combine_compact inlined; .bundle/ab/libflashmoe.so.xz =
# main 787d9de's library, the base) plus .bundle/ab/noinl.so.xz (the same tree with combine_compact __noinline__).
# Call2 found compact rows paying from Qwen3 T = 8 (64 routes) on, losing at Qwen3 T = 1 (8 routes), and the new
# library's fp32 path +1-2 % at T = 1. This call: issue 4's points (and Qwen3 T = 2, 4) with
#   base (main) / t64 (FLASHMOE_COMPACT_ROWS_MIN_ROUTES=64) / noinl (the out-of-line COMBINE loop, threshold 64),
# 2 rounds: the threshold to adopt, and whether the inlined loop is what costs T = 1.
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
mkdir -p $w/base $w/noinl
xz -dc $b/ab/libflashmoe.so.xz > $w/base/libflashmoe.so
xz -dc $b/ab/noinl.so.xz > $w/noinl/libflashmoe.so
echo "== A/B ($(left) s left)"
OUT=$r/ab ROUNDS=2 BENCH_TIMEOUT=60 BENCH_ARGS="--copy-tbps 3 --matmul-tflops 750 --check-tokens 1" \
  timeout $(( $(left) - 15 )) bash tools/run-bench-ab.sh "qwen3-30b-a3b 1,2,4,8,64,256,1024,4096,16384" \
  "paper 1,1024,4096,16384" "mixtral-8x7b 1,1024" -- base=$w/base \
  t64=bundle,FLASHMOE_COMPACT_ROWS_MIN_ROUTES=64 noinl=$w/noinl,FLASHMOE_COMPACT_ROWS_MIN_ROUTES=64 \
  > $r/bench-ab.txt 2>&1
echo "exit $?"; sed -n '/== forward medians/,/== router/p' $r/bench-ab.txt
cp $r/bench-ab.txt $OUT/
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"; ls -la $OUT
