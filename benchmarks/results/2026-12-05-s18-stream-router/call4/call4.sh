#!/usr/bin/env bash
# Session 18, call4. Tree: the session's final tree (item 88 on by default, item 89 removed, item 87 reduced to the
# router's threshold setting). Bundle: tools/gpu-bundle.sh of that tree.
# 1. the GPU check of the final tree (defaults);
# 2. ncu of the router's tiled engine at Qwen3 T = 4096 (FLASHMOE_ROUTER_SPLIT_MAX_TOKENS=0): what a ~39 us block
#    waits on (item 87);
# 3. the decode A/B of item 88 once more on this machine: base / none (FLASHMOE_GEMM1_L2_PREFETCH=0), 3 rounds.
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
echo "== check ($(left) s left)"; mkdir -p $w/out
OUT=$w/out GPU_TESTS_TIMEOUT=120 NATIVE_TIMEOUT=170 SANITIZER_TIMEOUT=90 \
  bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
grep -E "FAIL|Error|premise|DIFFERS" $w/out/*.log | head -16; grep -E "^l2-prefetch" $w/out/native.log | head -10
(cd $w && tar czf $OUT/check.tar.gz out 2>/dev/null)
if [ $(left) -gt 150 ]; then
  echo "== ncu router_tiled_kernel, Qwen3 T = 4096 ($(left) s left)"
  ncu="$(command -v ncu || ls /usr/local/cuda*/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)"
  cp="$b/lib/flashmoe-bench.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
  FLASHMOE_ROUTER_SPLIT_MAX_TOKENS=0 timeout $(( $(left) - 100 < 120 ? $(left) - 100 : 120 )) "$ncu" \
    --clock-control none --target-processes all -k regex:router_tiled --launch-count 1 \
    --section SpeedOfLight --section LaunchStats --section Occupancy --section SchedulerStats \
    --section WarpStateStats --section SourceCounters --section MemoryWorkloadAnalysis \
    $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$cp" dev.flashmoe.bench.Main --backend cuda \
    --preset qwen3-30b-a3b --tokens 4096 --warmup 0 --iters 1 --check-tokens 1 --copy-tbps 3 --matmul-tflops 750 \
    > $OUT/ncu-router-T4096.txt 2>&1
  echo "ncu exit $?"
  grep -E 'Duration|Throughput|Registers|Shared Memory Config|Achieved Occupancy|Theoretical Occupancy|Stall|Warp Cycles|Issued Warp|No Eligible|Block Limit|Waves' $OUT/ncu-router-T4096.txt | head -40
fi
if [ $(left) -gt 70 ]; then
  echo "== decode A/B ($(left) s left)"
  OUT=$r/decode ROUNDS=3 BENCH_TIMEOUT=40 BENCH_ARGS="--copy-tbps 3 --matmul-tflops 750 --check-tokens 1" \
    timeout $(( $(left) - 20 )) bash tools/run-bench-ab.sh "qwen3-30b-a3b 1" "paper 1" -- \
    base=bundle none=bundle,FLASHMOE_GEMM1_L2_PREFETCH=0 > $r/bench-decode.txt 2>&1
  echo "exit $?"; sed -n '/== forward medians/,/== router/p' $r/bench-decode.txt
  cp $r/bench-decode.txt $OUT/
fi
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"; ls -la $OUT
