#!/usr/bin/env bash
# call2 (2026-12-03): diagnostic build (assign_slots stamps as ROUTING events, tile 101..106): traces T=1,8,64,1024.
set -uo pipefail
b=.bundle; w=$(mktemp -d)
export NVSHMEM_DISABLE_NVLS=1
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
echo "== trace"; timeout 100 "${bench[@]}" --sweep 1,8,64,1024 --iters 5 --trace --out $w/t > $OUT/trace.txt 2>&1; echo "exit $?"
grep -E "^ *(trace|phases) T=" $OUT/trace.txt | cut -c1-400
python3 $b/diag.py $w/t
(cd $w/t && tar czf $OUT/traces.tar.gz trace-T*.json 2>/dev/null)
