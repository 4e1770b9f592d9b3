#!/usr/bin/env bash
# Session 18, call1. Tree: main + item 86's packed probe variants + item 87 (the router's tiled ring depth and
# threshold as handle settings). Bundle: tools/gpu-bundle.sh of that tree.
# 1. item 86's weight-stream probe (is the decode GEMM0 phase's ~2 TB/s bound by DRAM's access pattern?);
# 2. the GPU check (JUnit GPU tests, native tests incl. flashmoe_smoke's router cases per ring depth, sanitizers);
# 3. the router column at Qwen3 and paper shapes: threshold 4096 (today) / 0 x ring depth 3 / 4 / 6;
# 4. if time is left: ncu's memory workload of one Qwen3-30B-A3B T = 1 forward.
set -uo pipefail
source .bundle/call-env.sh
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv > $OUT/nvidia-smi.txt 2>&1
cat $OUT/nvidia-smi.txt
echo "== stream probe ($(left) s left)"
nat timeout 120 $n/gemm_tile_test --stream-probe > $OUT/stream-probe.txt 2>&1; echo "exit $?"
cat $OUT/stream-probe.txt
echo "== check ($(left) s left)"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=120 NATIVE_TIMEOUT=170 SANITIZER_TIMEOUT=90 \
  bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
grep -E "FAIL|Error|premise|DIFFERS" $w/out/*.log | head -16; grep -E "^router" $w/out/native.log | tail -16
(cd $w && tar czf $OUT/check.tar.gz out 2>/dev/null)
if [ $(left) -gt 100 ]; then
  echo "== router column ($(left) s left)"
  OUT=$r/router ROUNDS=1 BENCH_TIMEOUT=40 BENCH_ARGS="--copy-tbps 3 --matmul-tflops 750 --check-tokens 1" \
    timeout $(( $(left) - 50 )) bash tools/run-bench-ab.sh \
    "qwen3-30b-a3b 64,1024,2048,4096,8192,16384" "paper 2048,4096,8192" -- r4096=bundle \
    t3=bundle,FLASHMOE_ROUTER_SPLIT_MAX_TOKENS=0 \
    t4=bundle,FLASHMOE_ROUTER_SPLIT_MAX_TOKENS=0,FLASHMOE_ROUTER_TILED_STAGES=4 \
    t6=bundle,FLASHMOE_ROUTER_SPLIT_MAX_TOKENS=0,FLASHMOE_ROUTER_TILED_STAGES=6 > $r/bench-router.txt 2>&1
  echo "exit $?"; sed -n '/== router medians/,$p' $r/bench-router.txt | head -30
  cp $r/bench-router.txt $OUT/
fi
if [ $(left) -gt 60 ]; then
  echo "== ncu memory workload, Qwen3 T = 1 ($(left) s left)"
  ncu="$(command -v ncu || ls /usr/local/cuda*/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)"
  cp="$b/lib/flashmoe-bench.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
  m="gpu__time_duration.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed,dram__bytes_read.sum"
  m="$m,lts__t_sectors_srcunit_tex_op_read.sum,lts__t_sectors_srcunit_tex_op_read_lookup_miss.sum"
  timeout $(( $(left) - 10 )) "$ncu" --clock-control none --target-processes all \
    -k regex:moe_forward --launch-count 1 --section SpeedOfLight --section MemoryWorkloadAnalysis \
    --section MemoryWorkloadAnalysis_Tables --metrics "$m" \
    $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$cp" dev.flashmoe.bench.Main --backend cuda \
    --preset qwen3-30b-a3b --tokens 1 --warmup 0 --iters 1 --check-tokens 1 --copy-tbps 3 --matmul-tflops 750 \
    > $OUT/ncu-mem-T1.txt 2>&1
  echo "ncu exit $?"
  grep -E 'Duration|DRAM Throughput|Memory Throughput|L2 Hit|dram__|lts__|Mem Busy|Max Bandwidth' $OUT/ncu-mem-T1.txt | head -30
fi
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); echo "== done ($(left) s left)"; ls -la $OUT
