#!/usr/bin/env bash
# call4 (2026-12-04, session 5): items 47-48 adopted (4 GEMM tasks per processor, 4 columns of COMBINE loads in flight).
# Qwen3 A/B, 3 rounds: head (b277d69's library) / new (the working tree) / tpp2, tpp6, tpp8 (new with 2, 6, 8 tasks per
# processor); full GPU check of new; preset sweeps with new (Qwen3, paper, Mixtral-8x7B) and paper / Mixtral at T = 1
# and 1024 with 2 tasks per processor (the A/B on the other shapes).
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
echo "== A/B"; ROUNDS=3 timeout 300 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096 head=$n/ab/head new=$n tpp2=$n,FLASHMOE_TASKS_PER_PROCESSOR=2 tpp6=$n,FLASHMOE_TASKS_PER_PROCESSOR=6 tpp8=$n,FLASHMOE_TASKS_PER_PROCESSOR=8 > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt; grep -E "FAIL|TASKS_PER" $w/out/native.log | head -20
for spec in "qwen3-30b-a3b 1,8,64,256,1024,4096,16384 4" "paper 1,1024,4096,16384 4" "mixtral-8x7b 1,1024,8192 4" "paper 1,1024 2" "mixtral-8x7b 1,1024 2"; do
  set -- $spec
  echo "== sweep $1 tasks per processor $3" >> $r/sweeps.txt
  FLASHMOE_TASKS_PER_PROCESSOR=$3 timeout 100 "${bench[@]}" --preset $1 --sweep $2 --out $w/o-$1-$3 >> $r/sweeps.txt 2>&1; echo "exit $?" >> $r/sweeps.txt
done
grep -E "^== |^ *[0-9]+ +[0-9.]+ |exit|ceilings" $r/sweeps.txt
(cd $w && tar czf $OUT/all.tar.gz r out o-* 2>/dev/null); ls -la $OUT
