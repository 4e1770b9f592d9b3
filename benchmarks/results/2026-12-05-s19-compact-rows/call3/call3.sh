#!/usr/bin/env bash
# Session 19, call3. Tree and bundle: call2's (main + item 90; .bundle/ab/libflashmoe.so.xz = main 787d9de's library).
# 1. decode and mid-T A/B: base (main) / new (the default threshold, 4096 routes: none of these launches) / all
#    (FLASHMOE_COMPACT_ROWS_MIN_ROUTES=0: every launch without K parts), 2 rounds: whether the fp32 path costs
#    anything, and whether compact rows pay below the threshold (Qwen3 T = 64 / 256, paper and Mixtral T = 1024);
# 2. ncu of the router's tiled engine at Qwen3 T = 4096 (FLASHMOE_ROUTER_SPLIT_MAX_TOKENS=0; item 87's question).
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
mkdir -p $w/base && xz -dc $b/ab/libflashmoe.so.xz > $w/base/libflashmoe.so
echo "== decode / mid-T A/B ($(left) s left)"
OUT=$r/mid ROUNDS=2 BENCH_TIMEOUT=60 BENCH_ARGS="--copy-tbps 3 --matmul-tflops 750 --check-tokens 1" \
  timeout $(( $(left) - 150 )) bash tools/run-bench-ab.sh "qwen3-30b-a3b 1,8,64,256,512" "paper 1,1024" \
  "mixtral-8x7b 1,1024" -- base=$w/base new=bundle all=bundle,FLASHMOE_COMPACT_ROWS_MIN_ROUTES=0 \
  > $r/bench-mid.txt 2>&1
echo "exit $?"; sed -n '/== forward medians/,/== router/p' $r/bench-mid.txt
cp $r/bench-mid.txt $OUT/
if [ $(left) -gt 100 ]; then
  echo "== ncu router_tiled_kernel, Qwen3 T = 4096 ($(left) s left)"
  ncu="$(command -v ncu || ls /usr/local/cuda*/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)"
  cp="$b/lib/flashmoe-bench.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
  FLASHMOE_ROUTER_SPLIT_MAX_TOKENS=0 timeout $(( $(left) - 20 < 120 ? $(left) - 20 : 120 )) "$ncu" \
    --clock-control none --target-processes all -k regex:router_tiled --launch-count 1 --import-source yes \
    --section SpeedOfLight --section LaunchStats --section Occupancy --section SchedulerStats \
    --section WarpStateStats --section SourceCounters --section MemoryWorkloadAnalysis --print-details all \
    $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$cp" dev.flashmoe.bench.Main --backend cuda \
    --preset qwen3-30b-a3b --tokens 4096 --warmup 0 --iters 1 --check-tokens 1 --copy-tbps 3 --matmul-tflops 750 \
    > $OUT/ncu-router-T4096.txt 2>&1
  echo "ncu exit $?"
  grep -E 'Duration|Throughput|Registers|Achieved Occupancy|Theoretical Occupancy|Stall|Warp Cycles|Issued Warp|No Eligible|Block Limit|Waves' $OUT/ncu-router-T4096.txt | head -40
fi
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"; ls -la $OUT
