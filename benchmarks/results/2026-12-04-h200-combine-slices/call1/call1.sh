#!/usr/bin/env bash
# call1 (2026-12-04, session 5): item 46 (COMBINE tasks cut into column slices). Qwen3 A/B base (5913868's library) /
# new / noslice (new, FLASHMOE_COMBINE_SLICE_COLUMNS=65536: one slice per token tile), 3 rounds; traces T = 8, 64, 256
# (new); full GPU check of the new library.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
echo "== A/B"; ROUNDS=3 timeout 240 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096 base=$n/ab/base new=$n noslice=$n,FLASHMOE_COMBINE_SLICE_COLUMNS=65536 > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for t in 8 64 256; do
  echo "== trace qwen3 T=$t"
  timeout 60 "${bench[@]}" --preset qwen3-30b-a3b --tokens $t --trace --iters 20 --out $w/t-$t > $r/trace-$t.txt 2>&1
  grep -E "trace T=|phases T=" $r/trace-$t.txt | sed -E 's/(PUSH_GEMM0|GEMM0 )/\n  \1/' ; python3 $b/occ.py $w/t-$t/trace-T$t.json 10 | tail -8
done
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt; grep -E "FAIL|COMBINE_SLICE|trace" $w/out/native.log | head -20
grep -h "in-kernel trace" $w/out/*.log | head -3
(cd $w && tar czf $OUT/all.tar.gz r out t-*/trace-*.json 2>/dev/null); ls -la $OUT
