#!/usr/bin/env bash
# Session 19, call4. Tree: 2550492 (item 90: compact rows from 64 routes; the compact COMBINE out of line, its loads
# cp.async copies into the idle wgmma ring). Bundle: tools/gpu-bundle.sh of it, plus .bundle/ab/libflashmoe.so.xz =
# main 787d9de's library (the base).
# 1. the GPU check (JUnit GPU tests, native tests with fused_test compact-rows, memcheck / racecheck / synccheck);
# 2. the points call2-3 measured most: base / new, 2 rounds (device time was short: three starts refused);
# 3. if time is left, Qwen3-235B T = 1 and 1024: base / new, 1 round.
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
  echo "== A/B ($(left) s left)"
  OUT=$r/ab ROUNDS=2 BENCH_TIMEOUT=60 BENCH_ARGS="--copy-tbps 3 --matmul-tflops 750 --check-tokens 1" \
    timeout $(( $(left) - 10 )) bash tools/run-bench-ab.sh "qwen3-30b-a3b 1,8,64,1024,4096,16384" \
    "paper 1,16384" "mixtral-8x7b 1" -- base=$w/base new=bundle > $r/bench-ab.txt 2>&1
  echo "exit $?"; sed -n '/== forward medians/,/== router/p' $r/bench-ab.txt
  cp $r/bench-ab.txt $OUT/
fi
if [ $(left) -gt 40 ]; then
  echo "== Qwen3-235B ($(left) s left)"
  OUT=$r/q235 ROUNDS=1 BENCH_TIMEOUT=40 BENCH_ARGS="--copy-tbps 3 --matmul-tflops 750 --check-tokens 1" \
    timeout $(( $(left) - 5 )) bash tools/run-bench-ab.sh "qwen3-235b-a22b 1,1024" -- base=$w/base new=bundle \
    > $r/bench-q235.txt 2>&1
  echo "exit $?"; sed -n '/== forward medians/,/== router/p' $r/bench-q235.txt
  cp $r/bench-q235.txt $OUT/
fi
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"; ls -la $OUT
