#!/usr/bin/env bash
set -uo pipefail
b=.bundle; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
echo "== smoke"; LD_LIBRARY_PATH=$n timeout 150 $n/flashmoe_smoke > $OUT/smoke.log 2>&1; echo "smoke exit $?"
grep -E "FATAL|FAIL|^router|PASSED|FAILED" $OUT/smoke.log | cut -c1-220 | tail -16
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
echo "== RouterGpuTest"
timeout 200 $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -Dflashmoe.gpu.required=true -jar $b/lib/junit-platform-console-standalone.jar execute --class-path "$cp" --include-engine junit-jupiter --details tree --disable-banner --disable-ansi-colors --select-class dev.flashmoe.tests.gpu.RouterGpuTest > $OUT/router-junit.log 2>&1; echo "junit exit $?"
grep -nE "✘|=> |tests (successful|failed)" $OUT/router-junit.log | cut -c1-300 | head -10
ncu="$(command -v ncu || ls /usr/local/cuda*/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)"
for t in 16384 4096 1024 1; do
  timeout 150 $ncu --clock-control none --target-processes all -k regex:router_ --launch-count 1 \
   --section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats --section SchedulerStats --section MemoryWorkloadAnalysis \
   $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda --preset qwen3-30b-a3b --tokens $t --warmup 0 --iters 1 --check-tokens 4 > $OUT/ncu-router-T$t.txt 2>&1
  echo "T=$t ncu exit $?"
  grep -E "router_|Duration|DRAM Throughput|Memory Throughput|L2 Cache Throughput|Compute \(SM\)|Registers Per|Shared Memory Config|Dynamic Shared|Achieved Occupancy|Theoretical Occupancy|Block Limit|Grid Size|Warp Cycles Per Issued|Issued Warp|No Eligible|Mem Busy|Max Bandwidth|L1/TEX Hit|L2 Hit" $OUT/ncu-router-T$t.txt | sed 's/  */ /g' | head -40
done
