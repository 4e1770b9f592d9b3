#!/usr/bin/env bash
# call2 (2026-12-04): item 37, weights without L2 promotion. Qwen3-30B-A3B A/B (gemm_tile_test sweep, 2 rounds):
# default / weights none / weights 128 B / EVICT_FIRST off / weights none + EVICT_FIRST off (is it the evict-first
# hint with promotion?); preset sweeps default vs weights none on paper, Mixtral-8x7B, OLMoE-1B-7B, Qwen1.5-MoE-A2.7B;
# one in-kernel trace of Mixtral-8x7B T = 1024 (default) for "where the time goes".
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
W=FLASHMOE_WEIGHT_L2_PROMOTION; E=FLASHMOE_DISABLE_EVICT_FIRST=1
echo "== A/B"; ROUNDS=2 timeout 200 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096 base=$n w0=$n,$W=0 w128=$n,$W=128 \
  noevict=$n,$E w0noevict=$n,$W=0,$E > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt; cp $r/ab.txt $OUT/
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for spec in "paper 1,1024,4096,16384" "mixtral-8x7b 1,1024,8192" "olmoe-1b-7b 1,64,1024,4096" "qwen1.5-moe-a2.7b 1,1024,4096"; do
  set -- $spec
  for v in default w0; do
    e=(); [ $v = w0 ] && e=($W=0)
    echo "== $1 $v" >> $r/sweeps.txt
    env "${e[@]}" timeout 60 "${bench[@]}" --preset $1 --sweep $2 --out $w/o-$1-$v >> $r/sweeps.txt 2>&1; echo "exit $?" >> $r/sweeps.txt
  done
done
grep -E "^== |^ *[0-9]+ +[0-9.]+ |exit" $r/sweeps.txt; cp $r/sweeps.txt $OUT/
echo "== trace mixtral T=1024"
timeout 60 "${bench[@]}" --preset mixtral-8x7b --tokens 1024 --trace --iters 20 --out $w/t-mixtral > $r/trace-mixtral.txt 2>&1
grep -E "^ *1024 |trace T=|phases T=" $r/trace-mixtral.txt
(cd $w && tar czf $OUT/all.tar.gz r t-*/trace-*.json t-*/*.png 2>/dev/null); ls -la $OUT
