#!/usr/bin/env bash
# call1 (2026-12-03): items 19 (six ring stages) + 20 (eager refill). A/B vs c9c5506 (runs), eager thresholds 0/32/64,
# gemm_tile_test tile checks and fused_test (correctness of both ring cuts), traces T=1,8,64.
set -uo pipefail
b=.bundle; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $OUT/nvidia-smi.txt
echo "== tile tests"; LD_LIBRARY_PATH=$n timeout 120 $n/gemm_tile_test > $OUT/tile.txt 2>&1; echo "tile exit $?"; tail -4 $OUT/tile.txt
echo "== fused_test"; LD_LIBRARY_PATH=$n timeout 120 $n/fused_test > $OUT/fused.txt 2>&1; echo "fused exit $?"; tail -3 $OUT/fused.txt
echo "== fused_test eager off"; FLASHMOE_EAGER_REFILL_ROWS=0 LD_LIBRARY_PATH=$n timeout 120 $n/fused_test > $OUT/fused0.txt 2>&1; echo "fused0 exit $?"; tail -2 $OUT/fused0.txt
echo "== A/B"; ROUNDS=2 timeout 260 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096,16384 runs=$n/ab/runs new=$n new0=$n,FLASHMOE_EAGER_REFILL_ROWS=0 new64=$n,FLASHMOE_EAGER_REFILL_ROWS=64 > $OUT/ab.txt 2>&1; echo "ab exit $?"
sed -n '/== medians/,$p' $OUT/ab.txt
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
echo "== trace"; timeout 80 "${bench[@]}" --sweep 1,8,64 --iters 5 --trace --out $w/t > $OUT/trace.txt 2>&1; echo "exit $?"
grep -E "^ *(trace|phases) T=" $OUT/trace.txt | cut -c1-700
(cd $w/t && tar czf $OUT/traces.tar.gz trace-T*.json 2>/dev/null)
