#!/usr/bin/env bash
# call1 (2026-12-04, session 6): item 51 (COMBINE released with the last GEMM1 batch, its processor waiting for the
# token tile). Qwen3 A/B, 3 rounds: head (3c772b1's library, from the clean-clone CI build) / new (the working tree) /
# off (new, FLASHMOE_DIRECT_COMBINE_TILES=0: the GEMM1 subscriber's path) / all (new, direct at every T); full GPU check
# of new; the benchmark's --trace at T = 8 and 1024.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
echo "== A/B"; ROUNDS=3 timeout 220 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096 head=$n/ab/head new=$n \
  off=$n,FLASHMOE_DIRECT_COMBINE_TILES=0 all=$n,FLASHMOE_DIRECT_COMBINE_TILES=1073741824 > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
grep -E "FAIL|DIRECT_COMBINE|COMBINE_SLICE|TASKS_PER|trace  |timeout " $w/out/native.log | head -30
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
echo "== trace"; timeout 100 "${bench[@]}" --preset qwen3-30b-a3b --sweep 8,1024 --trace --iters 20 --out $r/t > $r/trace.txt 2>&1
echo "bench exit $?"; grep -vE "^\[" $r/trace.txt | grep -vE "latency.png|wrote "
(cd $w && tar czf $OUT/all.tar.gz r out 2>/dev/null); ls -la $OUT
