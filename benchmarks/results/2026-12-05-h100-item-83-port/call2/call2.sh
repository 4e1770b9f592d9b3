#!/usr/bin/env bash
# Session 17: large T first (the merge), then item 79's probe.
# DRAFT (session 16; not run): after call1, same bundle. 1. Item 79's loss (session 16 measured paper T = 1 +9 % with
# 4 GEMM0 parts): the reading to test is that 256 GEMM0 part tasks fill the processors, so the direct GEMM1 tasks no
# longer wait on idle processors streaming their weights early (items 53, 72); 2 parts (128 tasks, as many as the
# narrow pieces without parts, 16 k-steps instead of 32) would keep that overlap. main / g0 (4 parts) / g0p2 at paper
# and Qwen3 T = 1. 2. The large-T A/B of item 83 alone (main / c83 / dtype). 3. Issue 4's sweeps of the branch with
# its ceilings measured, as far as the time goes.
set -uo pipefail
source .bundle/call-env.sh
echo "== bench-ab large T ($(left) s left)"
OUT=$r/large ROUNDS=2 BENCH_TIMEOUT=80 timeout $(( $(left) - 15 < 300 ? $(left) - 15 : 300 )) bash tools/run-bench-ab.sh "qwen3-30b-a3b 1024,4096,16384" \
  "paper 16384" "mixtral-8x7b 1024" "qwen3-235b-a22b 1024" -- main=$n/ab/main c83=bundle \
  "dtype=bundle,BENCH_ARGS=--expert-rows dtype" > $r/bench-large.txt 2>&1
echo "exit $?"; sed -n '/== forward medians/,/== router/p' $r/bench-large.txt
if [ $(left) -gt 100 ]; then
echo "== item 79: GEMM0 parts 4 / 2 ($(left) s left)"
OUT=$r/g0 ROUNDS=2 BENCH_TIMEOUT=50 timeout $(( $(left) - 15 < 120 ? $(left) - 15 : 120 )) bash tools/run-bench-ab.sh "paper 1" "qwen3-30b-a3b 1" -- \
  main=$n/ab/main g0=$n/ab/g0 g0p2=$n/ab/g0,FLASHMOE_GEMM0_K_PARTS=2 > $r/bench-g0.txt 2>&1
echo "exit $?"; sed -n '/== forward medians/,/== router/p' $r/bench-g0.txt
fi
common="$b/lib/flashmoe-api.jar:$b/lib/javacpp.jar:$b/lib/flashmoe-bench.jar:$b/lib/flashmoe-native.jar"
for spec in "qwen3-30b-a3b 1,8,64,256,1024,4096,16384" "paper 1,1024,4096,16384" "mixtral-8x7b 1,1024,8192"; do
  set -- $spec
  [ $(left) -gt 80 ] || break
  echo "== sweep $1" >> $r/sweeps.txt
  timeout $(( $(left) - 10 < 110 ? $(left) - 10 : 110 )) $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc \
    -cp "$common" dev.flashmoe.bench.Main --backend cuda --preset $1 --sweep $2 --out $r/s-$1 >> $r/sweeps.txt 2>&1
  echo "exit $?" >> $r/sweeps.txt
done
grep -E "^== |exit|ceilings" $r/sweeps.txt
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); ls -la $OUT
