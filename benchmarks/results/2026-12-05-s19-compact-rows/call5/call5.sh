#!/usr/bin/env bash
# Session 19, call5 (not run: no device; for a short device budget). Tree and bundle: call4's.
# 1. native tests and sanitizers (fused_test compact-rows; racecheck over the ring's cp.async / TMA reuse);
# 2. the JUnit GPU tests; 3. if time is left, a one-round A/B base / new at Qwen3 T = 1, 8, 4096.
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
base=$(ab_lib base)
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
[ $(left) -gt 30 ] && ab short 1 5 "qwen3-30b-a3b 1,8,4096" -- base=$base new=bundle
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"; ls -la $OUT
