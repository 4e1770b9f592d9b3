#!/usr/bin/env bash
# call1 (2026-12-05, session 13): next/split-k (item 78: GEMM1 split along K at decode) on top of next/swap-rule
# (item 77) and next/review-gemm1-weights. 1. The GPU check of the tree. 2. A/B at decode: main (fd69313's library) /
# splitk (the bundle) / k2 and k1 (the bundle with FLASHMOE_GEMM1_K_PARTS=2, =1), paper and Mixtral T = 1, 2 rounds.
# 3. A/B main / rule (b9abb39's library: items 77 + the review) / splitk at the points item 77 changes, 2 rounds.
set -uo pipefail
source .bundle/call-env.sh
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=150 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 \
  bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
grep -E "FAIL|k-parts|premise|many rows per tile" $w/out/*.log | head -30
(cd $w && tar czf $OUT/check.tar.gz out 2>/dev/null)
echo "== bench-ab decode ($(left) s left)"
OUT=$r ROUNDS=2 BENCH_TIMEOUT=60 timeout $(( $(left) / 3 )) bash tools/run-bench-ab.sh "paper 1" "mixtral-8x7b 1" -- \
  main=$n/ab/main splitk=bundle k2=bundle,FLASHMOE_GEMM1_K_PARTS=2 k1=bundle,FLASHMOE_GEMM1_K_PARTS=1 \
  > $r/bench-ab-decode.txt 2>&1
echo "exit $?"; sed -n '/== forward medians/,$p' $r/bench-ab-decode.txt; mv $r/bench-ab.log $r/bench-ab-decode.log
echo "== bench-ab rule ($(left) s left)"
OUT=$r ROUNDS=2 BENCH_TIMEOUT=90 timeout $(( $(left) - 15 )) bash tools/run-bench-ab.sh \
  "qwen3-235b-a22b 1024" "qwen3-30b-a3b 1,8,64,256,1024" "deepseek-v3 1024" -- \
  main=$n/ab/main rule=$n/ab/rule splitk=bundle > $r/bench-ab-rule.txt 2>&1
echo "exit $?"; sed -n '/== forward medians/,$p' $r/bench-ab-rule.txt
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); ls -la $OUT
