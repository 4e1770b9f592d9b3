#!/usr/bin/env bash
# call1 (2026-12-04): item 33, GEMM0 on paired row tiles (128-row wgmma pass, 3 ring stages of 32 KB). Tile tests
# (incl. the paired tile), fused_test (incl. pair-gemm0), A/B on Qwen3 base (773dffa) / new / nopair
# (FLASHMOE_DISABLE_PAIR_GEMM0=1), 3 rounds; preset sweeps with pairs on and off.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $r/nvidia-smi.txt
echo "== tile tests"; LD_LIBRARY_PATH=$n timeout 150 $n/gemm_tile_test > $r/tile.txt 2>&1; echo "tile exit $?"
grep -E "rows=128|FAIL|failure" $r/tile.txt | head -30
echo "== fused_test"; LD_LIBRARY_PATH=$n timeout 240 $n/fused_test > $r/fused.txt 2>&1; echo "fused exit $?"
grep -E "^pair-gemm0|FAIL|failure" $r/fused.txt | head -30
cp $r/tile.txt $r/fused.txt $OUT/
echo "== A/B"; ROUNDS=3 timeout 200 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096,16384 base=$n/ab/base new=$n nopair=$n,FLASHMOE_DISABLE_PAIR_GEMM0=1 > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt; cp $r/ab.txt $OUT/
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for p in mixtral-8x7b paper qwen3-30b-a3b; do
  echo "== sweep $p" >> $r/sweeps.txt; timeout 70 "${bench[@]}" --preset $p --sweep preset --out $w/s-$p >> $r/sweeps.txt 2>&1; echo "exit $?" >> $r/sweeps.txt
done
for p in mixtral-8x7b paper; do
  echo "== sweep $p nopair" >> $r/sweeps.txt; FLASHMOE_DISABLE_PAIR_GEMM0=1 timeout 70 "${bench[@]}" --preset $p --sweep preset --out $w/n-$p >> $r/sweeps.txt 2>&1; echo "exit $?" >> $r/sweeps.txt
done
grep -E "^== sweep|^ *[0-9]+ +[0-9.]+ |exit" $r/sweeps.txt | head -60
cp $r/sweeps.txt $OUT/
(cd $w && tar czf $OUT/all.tar.gz r s-* n-* 2>/dev/null)
