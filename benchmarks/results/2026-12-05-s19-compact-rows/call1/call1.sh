#!/usr/bin/env bash
# Session 19, call1. Tree: main 787d9de (session 18's final tree: item 88 on by default). Bundle: tools/gpu-bundle.sh.
# 1. the GPU check of main as a whole (session 18 could not run it on the final tree);
# 2. ncu of the router's tiled engine at Qwen3 T = 4096 (FLASHMOE_ROUTER_SPLIT_MAX_TOKENS=0): what a ~39 us block
#    waits on (item 87; source counters);
# 3. if time is left, main at the large-T points item 83 moves (the base for its A/B is rerun with it in its call).
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
echo "== check ($(left) s left)"
check tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $OUT/check/summary.txt
grep -E "FAIL|Error|premise|DIFFERS" $OUT/check/*.log | head -16
if [ $(left) -gt 150 ]; then
  echo "== ncu router_tiled_kernel, Qwen3 T = 4096 ($(left) s left)"
  ncu="$(command -v ncu || ls /usr/local/cuda*/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)"
  cp="$b/lib/flashmoe-bench.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
  FLASHMOE_ROUTER_SPLIT_MAX_TOKENS=0 timeout $(( $(left) - 100 < 120 ? $(left) - 100 : 120 )) "$ncu" \
    --clock-control none --target-processes all -k regex:router_tiled --launch-count 1 --import-source yes \
    --section SpeedOfLight --section LaunchStats --section Occupancy --section SchedulerStats \
    --section WarpStateStats --section SourceCounters --section MemoryWorkloadAnalysis \
    --print-details all \
    $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$cp" dev.flashmoe.bench.Main --backend cuda \
    --preset qwen3-30b-a3b --tokens 4096 --warmup 0 --iters 1 --check-tokens 1 --copy-tbps 3 --matmul-tflops 750 \
    > $OUT/ncu-router-T4096.txt 2>&1
  echo "ncu exit $?"
  grep -E 'Duration|Throughput|Registers|Achieved Occupancy|Theoretical Occupancy|Stall|Warp Cycles|Issued Warp|No Eligible|Block Limit|Waves' $OUT/ncu-router-T4096.txt | head -40
fi
if [ $(left) -gt 90 ]; then
  echo "== main at large T ($(left) s left)"
  OUT=$r/large ROUNDS=1 BENCH_TIMEOUT=60 BENCH_ARGS="--copy-tbps 3 --matmul-tflops 750 --check-tokens 1" \
    timeout $(( $(left) - 20 )) bash tools/run-bench-ab.sh "qwen3-30b-a3b 1024,4096,16384" "paper 16384" -- \
    base=bundle > $r/bench-large.txt 2>&1
  echo "exit $?"; sed -n '/== forward medians/,/== router/p' $r/bench-large.txt
  cp $r/bench-large.txt $OUT/
fi
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"; ls -la $OUT
