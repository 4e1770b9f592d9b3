#!/usr/bin/env bash
# call10 (2026-12-04, session 4), diagnostic build (call10/diag.patch on 7265ce9: the slot assignment's phases as
# trace events, the chunk passes split from their publishes): where item 43's remaining ~22 us go. Qwen3 traces.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d)
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for t in 1 64 256 1024 16384; do
  echo "== trace qwen3 T=$t"
  timeout 40 "${bench[@]}" --preset qwen3-30b-a3b --tokens $t --trace --iters 20 --out $w/t-$t > $r/trace-$t.txt 2>&1
  python3 $b/rt.py $w/t-$t/trace-T$t.json
done
(cd $w && tar czf $OUT/all.tar.gz r t-*/trace-*.json 2>/dev/null)
