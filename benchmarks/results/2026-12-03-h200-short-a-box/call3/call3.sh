#!/usr/bin/env bash
# call3 (2026-12-03, session 2): item 26 (weights of a row tile that is its expert's only one stream with EVICT_FIRST;
# FLASHMOE_DISABLE_EVICT_FIRST=1 turns it off) on top of item 25. A/B vs f481d25 (base), trace, GPU check, preset sweeps.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $OUT/nvidia-smi.txt
echo "== A/B"; ROUNDS=3 timeout 200 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096,16384 base=$n/ab/base new=$n noevict=$n,FLASHMOE_DISABLE_EVICT_FIRST=1 > $OUT/ab.txt 2>&1; echo "ab exit $?"
sed -n '/== medians/,$p' $OUT/ab.txt
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
echo "== trace"; timeout 60 "${bench[@]}" --sweep 1,8,1024 --iters 5 --trace --copy-tbps 4.2 --matmul-tflops 800 --out $w/t > $OUT/trace.txt 2>&1; echo "exit $?"
FLASHMOE_DISABLE_EVICT_FIRST=1 timeout 40 "${bench[@]}" --sweep 1 --iters 5 --trace --copy-tbps 4.2 --matmul-tflops 800 --out $w/t0 >> $OUT/trace.txt 2>&1; echo "exit $?"
grep -E "^ *(trace|phases) T=" $OUT/trace.txt | cut -c1-400
echo "== check"
mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=100 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $OUT/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
for p in qwen3-30b-a3b paper mixtral-8x7b; do
  echo "== sweep $p"; timeout 70 "${bench[@]}" --preset $p --sweep preset --out $w/s-$p >> $OUT/sweeps.txt 2>&1; echo "exit $?"
done
sed -n '/T  median/,/timing/p' $OUT/sweeps.txt
(cd $w && tar czf $OUT/all.tar.gz t/trace-T*.json out s-* 2>/dev/null)
