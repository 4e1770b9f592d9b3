#!/usr/bin/env bash
# call5 (2026-12-03, session 3): item 32 after call4: the GEMM tasks get their prologue's values (tile rows, A box, L2 hint,
# Hopper or not) from the caller in registers (GemmTaskSetup) instead of generic loads of params. Full GPU check; A/B: base
# (item 31's library, GEMM tasks inlined) / new / nowide (FLASHMOE_DISABLE_WIDE_GEMM1=1), 3 rounds;
# preset sweeps.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $r/nvidia-smi.txt
echo "== A/B"; ROUNDS=3 timeout 240 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096,16384 base=$n/ab/base new=$n nowide=$n,FLASHMOE_DISABLE_WIDE_GEMM1=1 > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=120 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt; grep -E "^(groups|wide-gemm1)|FAIL" $w/out/native.log | head -24
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for p in mixtral-8x7b paper qwen3-30b-a3b; do
  echo "== sweep $p"; timeout 70 "${bench[@]}" --preset $p --sweep preset --out $w/s-$p >> $r/sweeps.txt 2>&1; echo "exit $?"
done
sed -n '/T  median/,/timing/p' $r/sweeps.txt
cp $r/ab.txt $r/sweeps.txt $OUT/
(cd $w && tar czf $OUT/all.tar.gz r out s-* 2>/dev/null)
