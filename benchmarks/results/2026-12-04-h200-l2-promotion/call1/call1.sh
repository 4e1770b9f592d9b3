#!/usr/bin/env bash
# call1 (2026-12-04, second session): the full GPU check of the review commit 821bdb3 plus the L2-promotion knobs
# (FLASHMOE_WEIGHT_L2_PROMOTION / FLASHMOE_TOKEN_L2_PROMOTION, host-side only), then item 36's A/B on Qwen3-30B-A3B
# (gemm_tile_test sweep, 2 rounds): default, weights 128 B / none, and with every group paired (threshold 0) default,
# weights 128 B / none, tokens none; then the paper shape (bench preset) paired with weights 256 / none.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt; grep -E "FAIL" $w/out/native.log | head -20
P=FLASHMOE_PAIR_GEMM0_GROUP_TASKS=0; W=FLASHMOE_WEIGHT_L2_PROMOTION; K=FLASHMOE_TOKEN_L2_PROMOTION
echo "== A/B"; ROUNDS=2 timeout 200 bash $b/run-ab.sh $n/gemm_tile_test 1024,4096,16384 base=$n w128=$n,$W=128 w0=$n,$W=0 \
  pair=$n,$P pairw128=$n,$P,$W=128 pairw0=$n,$P,$W=0 pairt0=$n,$P,$K=0 > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt; cp $r/ab.txt $OUT/
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for v in pair pairw0 default; do
  e=(); [ $v = pair ] && e=($P); [ $v = pairw0 ] && e=($P $W=0)
  echo "== paper $v" >> $r/sweeps.txt
  env "${e[@]}" timeout 60 "${bench[@]}" --preset paper --sweep 1024,4096,16384 --out $w/o-$v >> $r/sweeps.txt 2>&1; echo "exit $?" >> $r/sweeps.txt
done
grep -E "^== |^ *[0-9]+ +[0-9.]+ |exit" $r/sweeps.txt; cp $r/sweeps.txt $OUT/
(cd $w && tar czf $OUT/all.tar.gz r out 2>/dev/null)
