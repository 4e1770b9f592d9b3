#!/usr/bin/env bash
# call2 (2026-12-05, session 13): next/split-k after call1 (91a8ce7: the K parts computed by the host per launch, the
# COMBINE's parts loop out of line; fused_test's duplicate-id case at E = 4). 1. The GPU check. 2. A/B main (fd69313) /
# rule (b9abb39) / splitk (the bundle) at Qwen3 T = 1, 8, 1024 (where call1's splitk was 1-4 % slower with no parts taken)
# and paper / Mixtral T = 1, 2 rounds.
set -uo pipefail
source .bundle/call-env.sh
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=150 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 \
  bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
grep -E "FAIL|Error|premise" $w/out/*.log | head -10; grep -E "^k-parts" $w/out/native.log | grep -E "twice|=|FAIL" | head -12
(cd $w && tar czf $OUT/check.tar.gz out 2>/dev/null)
echo "== bench-ab ($(left) s left)"
lim=$(( $(left) - 10 )); [ $lim -gt 240 ] && lim=240
OUT=$r ROUNDS=2 BENCH_TIMEOUT=60 timeout $lim bash tools/run-bench-ab.sh "qwen3-30b-a3b 1,8,1024" \
  "paper 1" "mixtral-8x7b 1" -- main=$n/ab/main rule=$n/ab/rule splitk=bundle > $r/bench-ab.txt 2>&1
echo "exit $?"; sed -n '/== forward medians/,$p' $r/bench-ab.txt
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); ls -la $OUT
