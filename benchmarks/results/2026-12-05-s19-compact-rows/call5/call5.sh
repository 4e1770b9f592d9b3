#!/usr/bin/env bash
# Session 19, call5 (call4 was refused a device twice; ~370 s of device time left). Tree and bundle: call4's (2550492:
# item 90 merged form, compact rows from 64 routes, the compact COMBINE's loads cp.async copies into the idle ring).
# 1. native tests and sanitizers (fused_test compact-rows; racecheck over the ring's cp.async / TMA reuse);
# 2. the JUnit GPU tests; 3. if time is left, a one-round A/B base / new at Qwen3 T = 1, 8, 4096.
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
mkdir -p $w/base && xz -dc $b/ab/libflashmoe.so.xz > $w/base/libflashmoe.so
echo "== native + sanitizer ($(left) s left)"
mkdir -p $OUT/check
OUT=$OUT/check NATIVE_TIMEOUT=130 SANITIZER_TIMEOUT=60 bash $b/run-gpu-check.sh native sanitizer > $r/check.txt 2>&1
echo "exit $?"; cat $OUT/check/summary.txt
grep -E "FAIL|Error|premise|DIFFERS|BITWISE EQUAL" $OUT/check/*.log | head -20
grep -E "^compact-rows" $OUT/check/native.log | head -20
if [ $(left) -gt 40 ]; then
  echo "== JUnit GPU tests ($(left) s left)"
  mkdir -p $OUT/junit
  OUT=$OUT/junit GPU_TESTS_TIMEOUT=$(( $(left) - 5 )) bash $b/run-gpu-check.sh tests > $r/junit.txt 2>&1
  echo "exit $?"; cat $OUT/junit/summary.txt
fi
if [ $(left) -gt 30 ]; then
  echo "== A/B ($(left) s left)"
  OUT=$r/ab ROUNDS=1 BENCH_TIMEOUT=20 BENCH_ARGS="--copy-tbps 3 --matmul-tflops 750 --check-tokens 1" \
    timeout $(( $(left) - 5 )) bash tools/run-bench-ab.sh "qwen3-30b-a3b 1,8,4096" -- base=$w/base new=bundle \
    > $r/bench-ab.txt 2>&1
  echo "exit $?"; sed -n '/== forward medians/,/== router/p' $r/bench-ab.txt
  cp $r/bench-ab.txt $OUT/
fi
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"; ls -la $OUT
