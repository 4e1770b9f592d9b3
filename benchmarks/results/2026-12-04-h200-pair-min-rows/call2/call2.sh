#!/usr/bin/env bash
# call2 (session 9): item 63's rule in the tree (main d0a0146 + the rows rule: a group pairs with 96 valid rows or more,
# FLASHMOE_PAIR_GROUP_ROWS) and item 64's launch_floor. 1. A/B: new (96), old (129 = groups of three tiles or more,
# main's rule before) and all2 (65 = every group of two tiles or more): gemm_tile_test's Qwen3 T = 256 .. 16384
# (2 rounds); the benchmark jar's paper T = 1024, 4096, 16384 and Mixtral T = 1024 (2 rounds). 2. launch_floor.
# 3. The full GPU check. 4. Preset sweeps of the points the rule can move, as far as time goes.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
start=$(date +%s); left() { echo $(( 585 - ($(date +%s) - start) )); }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv,noheader
r=$w/r; mkdir -p $r
variants=(new= old=FLASHMOE_PAIR_GROUP_ROWS=129 all2=FLASHMOE_PAIR_GROUP_ROWS=65)
ab=(); bab=(); for v in "${variants[@]}"; do l=${v%%=*}; s=${v#*=}; ab+=("$l=$n${s:+,$s}"); bab+=("$l=bundle${s:+,$s}"); done
echo "== A/B gemm_tile_test"; ROUNDS=2 timeout 150 bash tools/run-ab.sh $n/gemm_tile_test 256,1024,4096,16384 "${ab[@]}" > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt; cp $r/ab.txt $OUT/
echo "== A/B bench jar"; OUT=$r ROUNDS=2 BENCH_TIMEOUT=60 timeout 150 bash tools/run-bench-ab.sh "paper 1024,4096,16384" "mixtral-8x7b 1024" -- "${bab[@]}" > $r/bench-ab.txt 2>&1
echo "bench-ab exit $?"; sed -n '/== medians/,$p' $r/bench-ab.txt; cp $r/bench-ab.txt $r/bench-ab.log $OUT/ 2>/dev/null
echo "== launch_floor"; timeout 60 $n/launch_floor 2>&1 | tee $OUT/launch_floor.txt
echo "== check ($(left) s left)"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=150 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
grep -E "FAIL|^pairs .*threshold 263" $w/out/native.log | head -12
(cd $w && tar czf $OUT/check.tar.gz out 2>/dev/null)
common="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/javacpp.jar:$b/lib/flashmoe-bench.jar:$b/lib/flashmoe-native.jar"
for spec in "qwen3-30b-a3b 256,1024,4096" "paper 4096" "qwen3-235b-a22b 1024" "deepseek-v3 1024"; do
  [ "$(left)" -gt 40 ] || { echo "no time for $spec" >> $r/sweeps.txt; continue; }
  set -- $spec
  echo "== sweep $1" >> $r/sweeps.txt
  timeout $(( $(left) - 10 )) $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$common" dev.flashmoe.bench.Main --backend cuda \
    --preset $1 --sweep $2 --out $r/s-$1 >> $r/sweeps.txt 2>&1; echo "exit $?" >> $r/sweeps.txt
  cp $r/sweeps.txt $OUT/
done
grep -E "^== |^ *[0-9]+ +[0-9.]+ |exit|ceilings|no time" $r/sweeps.txt
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); ls -la $OUT
