#!/usr/bin/env bash
# call1: COMBINE runs. A/B base (237f5d0) vs new, traces T=1024/16384 (new and base), GPU check, Qwen3 sweep.
set -uo pipefail
b=.bundle; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $OUT/nvidia-smi.txt
echo "== A/B"; ROUNDS=2 timeout 200 bash $b/run-ab.sh $n/gemm_tile_test 1,64,256,1024,4096,16384 base=$n/ab/base new=$n > $OUT/ab.txt 2>&1; echo "ab exit $?"
sed -n '/== medians/,$p' $OUT/ab.txt
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
echo "== trace new"; timeout 100 "${bench[@]}" --sweep 1,1024,16384 --iters 5 --trace --out $w/t > $OUT/trace.txt 2>&1; echo "exit $?"
grep -E "^ *(trace|phases) T=" $OUT/trace.txt | cut -c1-700
mkdir -p $OUT/trace; cp $w/t/trace-T*.json $OUT/trace/ 2>/dev/null; gzip $OUT/trace/*.json 2>/dev/null
echo "== check"
GPU_TESTS_TIMEOUT=240 NATIVE_TIMEOUT=120 SANITIZER_TIMEOUT=60 bash $b/run-gpu-check.sh tests native sanitizer > $OUT/check.txt 2>&1
echo "check exit $?"; cat $OUT/summary.txt
echo "== sweep qwen3"; timeout 100 "${bench[@]}" --preset qwen3-30b-a3b --sweep preset --out $w/q > $OUT/sweep-qwen3.txt 2>&1; echo "exit $?"
sed -n '/T  median/,/timing/p' $OUT/sweep-qwen3.txt
