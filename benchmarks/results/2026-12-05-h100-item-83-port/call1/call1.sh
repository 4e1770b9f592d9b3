#!/usr/bin/env bash
# DRAFT (session 16; not run). Tree: next/compact-rows-main (item 83 alone on main: ExpertRows, FP32 by default).
# Bundle /work/bundle-s16 on the dev machine, built from 6eba03a with `BUNDLE_AB_LIBS=/tmp/ab2 bash tools/gpu-bundle.sh`:
# A/B libraries main (main's csrc, unchanged since c25e6d8) and g0 (next/gemm0-k-parts, ebe8d44: item 79). Bundle 44.3
# MB + main's tree 21.9 MB = 66.3 of the carry's 67.1 MB: if main has grown, rebuild with /tmp/ab1 (main only; build it
# with tools/build-ab-libs.sh if /tmp was wiped) and drop call2's g0 part. Copy to the checkout's .bundle;
# run(carry=[".bundle"], command="bash .bundle/call1.sh").
# 1. The GPU check (JUnit GPU tests incl. ExpertRowsGpuTest; native: fused_test compact-rows' 7 cases; sanitizers).
# 2. If time is left: the decode A/B that decides the merge (main / c83 with FP32 rows / DTYPE rows) at Qwen3 T = 1, 8
#    and paper T = 1.
set -uo pipefail
source .bundle/call-env.sh
echo "== check ($(left) s left)"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=150 NATIVE_TIMEOUT=170 SANITIZER_TIMEOUT=100 \
  bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
grep -E "FAIL|Error|premise|DIFFERS" $w/out/*.log | head -16; grep -E "^compact-rows" $w/out/native.log | head -30
grep -E "rel err with fp32 rows" $w/out/gpu-tests.log | head -8
(cd $w && tar czf $OUT/check.tar.gz out 2>/dev/null)
if [ $(left) -gt 130 ]; then
  echo "== bench-ab decode ($(left) s left)"
  OUT=$r/decode ROUNDS=2 BENCH_TIMEOUT=50 timeout $(( $(left) - 15 )) bash tools/run-bench-ab.sh "qwen3-30b-a3b 1,8" \
    "paper 1" -- main=$n/ab/main c83=bundle "dtype=bundle,BENCH_ARGS=--expert-rows dtype" > $r/bench-decode.txt 2>&1
  echo "exit $?"; sed -n '/== forward medians/,/== router/p' $r/bench-decode.txt
fi
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); ls -la $OUT
