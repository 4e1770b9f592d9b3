#!/usr/bin/env bash
# call2 (2026-12-04, session 6): item 51 at more token tiles than processors. Qwen3 A/B, 3 rounds, T = 1024, 4096,
# 16384: new (call1's library: direct up to the processor count) / all (FLASHMOE_DIRECT_COMBINE_TILES=2^30: direct at
# every T); the benchmark on the paper and Mixtral presets, default and all alternated twice (graph replays, ceilings
# given); the trace of Qwen3 T = 16384 with all.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
echo "== A/B"; ROUNDS=3 timeout 200 bash $b/run-ab.sh $n/gemm_tile_test 1024,4096,16384 new=$n \
  all=$n,FLASHMOE_DIRECT_COMBINE_TILES=1073741824 > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda --copy-tbps 4.235 --matmul-tflops 892.484 --iters 20)
for round in 1 2; do
  for v in default all; do
    if [ $v = all ]; then export FLASHMOE_DIRECT_COMBINE_TILES=1073741824; else unset FLASHMOE_DIRECT_COMBINE_TILES; fi
    for p in "paper 1,1024,4096,16384" "mixtral-8x7b 1,1024,8192"; do
      set -- $p
      timeout 100 "${bench[@]}" --preset $1 --sweep $2 --out $r/b-$1-$v-$round > $r/b-$1-$v-$round.txt 2>&1
      echo "bench $1 $v round $round exit $?"
      grep -E "^ +[0-9]+ +[0-9.]+ " $r/b-$1-$v-$round.txt | awk -v l="$1 $v $round" '{print l, $1, $2}'
    done
  done
done
export FLASHMOE_DIRECT_COMBINE_TILES=1073741824
echo "== trace (all)"; timeout 100 "${bench[@]}" --preset qwen3-30b-a3b --sweep 16384 --trace --out $r/t > $r/trace.txt 2>&1
echo "bench exit $?"; grep -vE "^\[" $r/trace.txt | grep -vE "latency.png|wrote "
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); ls -la $OUT
