#!/usr/bin/env bash
# call9 (2026-12-04, session 6): item 55 (the OS block's GEMM0 entries without queue_entry's divisions). Qwen3
# A/B, 3 rounds: base (abd3125: items 51-54) / new (the working tree); full GPU check of new; the benchmark's
# --trace at T = 1 and 8.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
echo "== A/B"; ROUNDS=3 timeout 230 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096 base=$n/ab/base new=$n > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=170 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
grep -E "FAIL|DIRECT_|trace  |timeout |routing" $w/out/native.log | head -30
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda --copy-tbps 4.235 --matmul-tflops 892.484)
echo "== trace"; timeout 100 "${bench[@]}" --preset qwen3-30b-a3b --sweep 1,8 --trace --iters 20 --out $r/t > $r/trace.txt 2>&1
echo "bench exit $?"; grep -E "trace T=|^phases|^ +[0-9]+ +[0-9.]+ " $r/trace.txt
(cd $w && tar czf $OUT/all.tar.gz r out 2>/dev/null); ls -la $OUT
