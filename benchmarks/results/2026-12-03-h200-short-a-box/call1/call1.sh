#!/usr/bin/env bash
# call1 (2026-12-03, session 2): item 24 (stage loads issued by three lanes, empty barriers instead of the per-k-step
# vote) and item 25 (16-row A boxes for row tiles of <= 16 valid rows; FLASHMOE_DISABLE_SHORT_A_BOX=1 turns it off).
# A/B vs f481d25 (base), tile tests, traces, GPU check.
set -uo pipefail
b=.bundle; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $OUT/nvidia-smi.txt
echo "== tile tests"; timeout 60 $n/gemm_tile_test > $OUT/tile.txt 2>&1; echo "exit $?"; grep -E "FAIL|PASS" $OUT/tile.txt | tail -5
echo "== A/B"; ROUNDS=3 timeout 260 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096,16384 base=$n/ab/base new=$n noshort=$n,FLASHMOE_DISABLE_SHORT_A_BOX=1 > $OUT/ab.txt 2>&1; echo "ab exit $?"
sed -n '/== medians/,$p' $OUT/ab.txt
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
echo "== trace"; timeout 60 "${bench[@]}" --sweep 1,1024,16384 --iters 5 --trace --copy-tbps 4.2 --matmul-tflops 800 --out $w/t > $OUT/trace.txt 2>&1; echo "exit $?"
grep -E "^ *(trace|phases) T=" $OUT/trace.txt | cut -c1-600
echo "== check"
mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=100 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $OUT/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
(cd $w && tar czf $OUT/all.tar.gz t/trace-T*.json out 2>/dev/null)
echo "== ncu"; OUT=$w/ncu NCU_TOKENS="1 16384" timeout 200 bash $b/ncu-evidence.sh > $OUT/ncu.txt 2>&1; echo "ncu exit $?"; cat $OUT/ncu.txt
