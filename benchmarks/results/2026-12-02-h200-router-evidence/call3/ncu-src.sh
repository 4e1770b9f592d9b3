#!/usr/bin/env bash
set -uo pipefail
b=.bundle; w=$(mktemp -d)
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
ncu="$(command -v ncu || ls /usr/local/cuda*/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)"
for t in 16384 4096 1; do
  timeout 170 $ncu --clock-control none --target-processes all -k regex:router_ --launch-count 1 --set full \
   -o $w/r$t $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda --preset qwen3-30b-a3b --tokens $t --warmup 0 --iters 1 --check-tokens 4 > $OUT/ncu-full-T$t.log 2>&1
  echo "T=$t ncu exit $?"
  $ncu -i $w/r$t.ncu-rep --page source --csv --print-source sass > $OUT/sass-T$t.csv 2>&1; echo "sass exit $? $(wc -l < $OUT/sass-T$t.csv)"
  $ncu -i $w/r$t.ncu-rep --page details > $OUT/details-T$t.txt 2>&1
  gzip $OUT/sass-T$t.csv
done
