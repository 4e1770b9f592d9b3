#!/usr/bin/env bash
# Session 12, after calls 1-4: the tree to merge into main (next/merge-s12 = main + swap-ring (items 70-74) + router
# (66-69) + proxy fence + gather probe; item 75 left out: it lost in call 4). 1. The full GPU check. 2. Every preset's
# sweep (issue 4's points), as far as the device time goes.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
start=$(date +%s); left() { echo $(( 585 - ($(date +%s) - start) )); }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv,noheader
r=$w/r; mkdir -p $r
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=150 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 \
  bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
grep -E "FAIL" $w/out/*.log | head -12
(cd $w && tar czf $OUT/check.tar.gz out 2>/dev/null)
common="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/javacpp.jar:$b/lib/flashmoe-bench.jar:$b/lib/flashmoe-native.jar"
for spec in "qwen3-30b-a3b 1,8,64,256,1024,4096,16384" "paper 1,1024,4096,16384" "mixtral-8x7b 1,1024,8192" "deepseek-v3 1,64,1024" "qwen3-235b-a22b 1,1024"; do
  set -- $spec
  [ $(left) -gt 70 ] || break
  echo "== sweep $1" >> $r/sweeps.txt
  timeout $(( $(left) - 10 < 90 ? $(left) - 10 : 90 )) $b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$common" \
    dev.flashmoe.bench.Main --backend cuda --preset $1 --sweep $2 --out $r/s-$1 >> $r/sweeps.txt 2>&1
  echo "exit $?" >> $r/sweeps.txt
  cp $r/sweeps.txt $OUT/
done
grep -E "^== |^ *[0-9]+ +[0-9.]+ |exit|ceilings" $r/sweeps.txt
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); ls -la $OUT
