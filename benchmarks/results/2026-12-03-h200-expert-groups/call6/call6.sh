#!/usr/bin/env bash
# call6 (2026-12-03, session 3): item 31's group size at Mixtral T = 8192 (32 row tiles per expert): 16 (default) /
# 32 / 64, preset sweeps of 25d00d0's library (the bundle of call5).
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d)
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for g in 16 32 64 16 32 64; do
  echo "== mixtral g$g"; FLASHMOE_EXPERT_GROUP_TILES=$g timeout 60 "${bench[@]}" --preset mixtral-8x7b --sweep 1024,8192 --copy-tbps 4.2 --matmul-tflops 890 --out $w/s-g$g-$RANDOM >> $r/sweeps.txt 2>&1; echo "exit $?"
  grep -E "^ +(1024|8192) " $r/sweeps.txt | tail -2
done
cp $r/sweeps.txt $OUT/
