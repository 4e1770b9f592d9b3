#!/usr/bin/env bash
# call8 (2026-12-04, session 5): the final library (a2da7f6: items 46-48 and 50) through the benchmark's --trace, whose
# output now ends with the processors' occupancy (TraceExport.occupancy): Qwen3 T = 8 and 1024.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d)
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
timeout 100 "${bench[@]}" --preset qwen3-30b-a3b --sweep 8,1024 --trace --iters 20 --out $w/t > $w/trace.txt 2>&1
echo "bench exit $?"; grep -vE "^\[" $w/trace.txt | grep -vE "latency.png|wrote " ; cp $w/trace.txt $OUT/trace.txt
(cd $w && tar czf $OUT/all.tar.gz trace.txt t/trace-*.json 2>/dev/null); ls -la $OUT
