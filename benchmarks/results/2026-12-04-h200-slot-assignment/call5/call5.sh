#!/usr/bin/env bash
# call5 (2026-12-04, session 4): item 44 as committed (GEMM0 released with the slot assignment on one GPU;
# FLASHMOE_DISABLE_DIRECT_GEMM0=1 releases it through the dispatch subscriber). Qwen3 A/B base43 (a14c5a0) / new /
# nodirect (the same library, the switch set), 3 rounds; traces T = 8 with and without; full GPU check.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
echo "== A/B"; ROUNDS=3 timeout 250 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096 base43=$n/ab/base43 new=$n nodirect=$n,FLASHMOE_DISABLE_DIRECT_GEMM0=1 > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for v in new nodirect; do
  e=(); [ $v = nodirect ] && e=(FLASHMOE_DISABLE_DIRECT_GEMM0=1)
  echo "== trace qwen3 T=8 $v"
  env "${e[@]}" timeout 60 "${bench[@]}" --preset qwen3-30b-a3b --tokens 8 --trace --iters 20 --out $w/t-8-$v > $r/trace-8-$v.txt 2>&1
  grep -E "phases T=" $r/trace-8-$v.txt
  python3 $b/starts.py $w/t-8-$v/trace-T8.json
done
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt; grep -E "FAIL|DIRECT" $w/out/native.log | head -20
(cd $w && tar czf $OUT/all.tar.gz r out t-*/trace-*.json 2>/dev/null); ls -la $OUT
