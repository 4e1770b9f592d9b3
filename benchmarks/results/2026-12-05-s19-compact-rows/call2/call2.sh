#!/usr/bin/env bash
# Session 19, call2. Tree: main + item 90 (expert rows in the dtype from 4096 routes, FLASHMOE_COMPACT_ROWS_MIN_ROUTES).
# Bundle: tools/gpu-bundle.sh of that tree, plus .bundle/ab/libflashmoe.so.xz = main 787d9de's library (the base).
# 1. the GPU check of the tree (JUnit GPU tests, native tests with fused_test compact-rows, sanitizers);
# 2. the large-T A/B: base (main) / new (the default threshold) / fp32 (the same library, never compact), 2 rounds;
# 3. the decode and mid-T A/B: base / new (no launch here reaches the threshold) / all
#    (FLASHMOE_COMPACT_ROWS_MIN_ROUTES=0: every launch without K parts), 2 rounds if time allows: whether the new
#    code costs the fp32 path anything, and whether compact rows pay below the threshold.
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
mkdir -p $w/base && xz -dc $b/ab/libflashmoe.so.xz > $w/base/libflashmoe.so
echo "== check ($(left) s left)"
check tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $OUT/check/summary.txt
grep -E "FAIL|Error|premise|DIFFERS|BITWISE EQUAL" $OUT/check/*.log | head -20
grep -E "^compact-rows" $OUT/check/native.log | head -20
if [ $(left) -gt 60 ]; then
  echo "== large-T A/B ($(left) s left)"
  OUT=$r/large ROUNDS=2 BENCH_TIMEOUT=60 BENCH_ARGS="--copy-tbps 3 --matmul-tflops 750 --check-tokens 1" \
    timeout $(( $(left) - 60 )) bash tools/run-bench-ab.sh "qwen3-30b-a3b 1024,4096,16384" "paper 4096,16384" \
    "mixtral-8x7b 1024" -- base=$w/base new=bundle fp32=bundle,FLASHMOE_COMPACT_ROWS_MIN_ROUTES=2147483647 \
    > $r/bench-large.txt 2>&1
  echo "exit $?"; sed -n '/== forward medians/,/== router/p' $r/bench-large.txt
  cp $r/bench-large.txt $OUT/
fi
if [ $(left) -gt 50 ]; then
  rounds=$([ $(left) -gt 200 ] && echo 2 || echo 1)
  echo "== decode / mid-T A/B, $rounds rounds ($(left) s left)"
  OUT=$r/mid ROUNDS=$rounds BENCH_TIMEOUT=60 BENCH_ARGS="--copy-tbps 3 --matmul-tflops 750 --check-tokens 1" \
    timeout $(( $(left) - 10 )) bash tools/run-bench-ab.sh "qwen3-30b-a3b 1,8,64,256,512" "paper 1,1024" \
    "mixtral-8x7b 1,1024" -- base=$w/base new=bundle all=bundle,FLASHMOE_COMPACT_ROWS_MIN_ROUTES=0 \
    > $r/bench-mid.txt 2>&1
  echo "exit $?"; sed -n '/== forward medians/,/== router/p' $r/bench-mid.txt
  cp $r/bench-mid.txt $OUT/
fi
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"; ls -la $OUT
