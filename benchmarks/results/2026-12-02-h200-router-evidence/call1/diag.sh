#!/usr/bin/env bash
# Diagnostic call: router failures, router/forward sweep, T=1 trace narrow vs wide.
set -uo pipefail
b=.bundle; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $OUT/nvidia-smi.txt
echo "== smoke"; LD_LIBRARY_PATH=$n timeout 150 $n/flashmoe_smoke > $OUT/smoke.log 2>&1; echo "smoke exit $?"
grep -E "FATAL|FAIL|^router|PASSED|FAILED" $OUT/smoke.log | cut -c1-300 | tail -30
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
echo "== RouterGpuTest"
timeout 200 $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -Dflashmoe.gpu.required=true -jar $b/lib/junit-platform-console-standalone.jar execute --class-path "$cp" --include-engine junit-jupiter --details tree --disable-banner --disable-ansi-colors --select-class dev.flashmoe.tests.gpu.RouterGpuTest > $OUT/router-junit.log 2>&1; echo "junit exit $?"
grep -nE "✘|MethodSource|Exception|expected|Error|tests (successful|failed)" $OUT/router-junit.log | cut -c1-400 | head -30
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
echo "== sweep qwen3"; timeout 150 "${bench[@]}" --preset qwen3-30b-a3b --sweep preset --out $w/q > $OUT/sweep-qwen3.txt 2>&1; echo "exit $?"
grep -E "^\|| T=|router" $OUT/sweep-qwen3.txt | head -30
for v in narrow wide; do
  e=(); [ $v = wide ] && e=(FLASHMOE_DISABLE_NARROW_GEMM0=1)
  echo "== trace T=1 $v"; env "${e[@]}" timeout 100 "${bench[@]}" --sweep 1,8 --iters 5 --trace --out $w/t-$v > $OUT/trace-$v.txt 2>&1; echo "exit $?"
  grep -E "^ *(trace|phases) T=" $OUT/trace-$v.txt | cut -c1-600
done
