#!/usr/bin/env bash
# call2 (2026-12-04, session 5): items 47-48. Qwen3 A/B, 3 rounds: head (b277d69's library) / new (the working tree:
# FLASHMOE_TASKS_PER_PROCESSOR, default 2) / tpp1 and tpp4 (new with 1 and 4 GEMM tasks per processor) / cif4 (new with
# 4 columns of COMBINE loads in flight per thread); trace T = 4096 (new); full GPU check of the new library.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
echo "== A/B"; ROUNDS=3 timeout 300 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096,16384 head=$n/ab/head new=$n tpp1=$n,FLASHMOE_TASKS_PER_PROCESSOR=1 tpp4=$n,FLASHMOE_TASKS_PER_PROCESSOR=4 cif4=$n/ab/cif4 > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for t in 4096; do
  echo "== trace qwen3 T=$t"
  timeout 60 "${bench[@]}" --preset qwen3-30b-a3b --tokens $t --trace --iters 20 --out $w/t-$t > $r/trace-$t.txt 2>&1
  grep -E "trace T=|phases T=" $r/trace-$t.txt | sed -E 's/(PUSH_GEMM0|GEMM0 )/\n  \1/'; python3 $b/occ.py $w/t-$t/trace-T$t.json 50 | tail -8
done
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt; grep -E "FAIL|TASKS_PER|COMBINE_SLICE" $w/out/native.log | head -20
(cd $w && tar czf $OUT/all.tar.gz r out t-*/trace-*.json 2>/dev/null); ls -la $OUT
