#!/usr/bin/env bash
# call6: diagnostic build, per-k-step clock64 split inside WgmmaTile::run (thread 0): wait / MMA+wait_group / vote / refill.
set -uo pipefail
b=.bundle; w=$(mktemp -d)
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda --copy-tbps 4.2 --matmul-tflops 800)
timeout 80 "${bench[@]}" --sweep 1,64,1024,16384 --iters 3 --trace --out $w/t > $OUT/trace.txt 2>&1; echo "exit $?"
grep -E "^ *(phases) T=" $OUT/trace.txt | cut -c1-300
python3 $b/kstep.py $w/t
