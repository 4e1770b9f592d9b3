#!/usr/bin/env bash
# call5 (2026-12-04): item 33 with the per-group rule (a group runs on pairs when its GEMM0 column tasks fill the
# processors). Full GPU check (JUnit GPU tests, native tests incl. pair-gemm0, sanitizers); A/B on Qwen3 base (773dffa)
# / new / nopair, 3 rounds; preset sweeps (pairs on), Mixtral and paper with pairs off.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $r/nvidia-smi.txt
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt; grep -E "^pair-gemm0|FAIL" $w/out/native.log | head -30
echo "== A/B"; ROUNDS=3 timeout 200 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096,16384 base=$n/ab/base new=$n nopair=$n,FLASHMOE_DISABLE_PAIR_GEMM0=1 > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt; cp $r/ab.txt $OUT/
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for p in mixtral-8x7b paper qwen3-30b-a3b; do
  echo "== sweep $p" >> $r/sweeps.txt; timeout 70 "${bench[@]}" --preset $p --sweep preset --out $w/s-$p >> $r/sweeps.txt 2>&1; echo "exit $?" >> $r/sweeps.txt
done
echo "== sweep mixtral-8x7b nopair" >> $r/sweeps.txt; FLASHMOE_DISABLE_PAIR_GEMM0=1 timeout 70 "${bench[@]}" --preset mixtral-8x7b --sweep preset --out $w/n-mixtral >> $r/sweeps.txt 2>&1; echo "exit $?" >> $r/sweeps.txt
grep -E "^== sweep|^ *[0-9]+ +[0-9.]+ |exit" $r/sweeps.txt | head -40
cp $r/sweeps.txt $OUT/
(cd $w && tar czf $OUT/all.tar.gz r out s-* n-* 2>/dev/null)
