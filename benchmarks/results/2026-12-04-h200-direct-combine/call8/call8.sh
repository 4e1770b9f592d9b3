#!/usr/bin/env bash
# call8 (2026-12-04, session 6): the benchmark with weights made a slice of experts at a time (BenchWeights; call7's
# deepseek-v3 sweep failed: a 7.5 GB weight tensor exceeds one HostTensor). DeepSeek-V3 at T = 1, 64, 1024, and
# Qwen3-30B-A3B at T = 1, 1024 (the same weights as before the change: the check errors must equal call7's).
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d)
r=$w/r; mkdir -p $r
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for spec in "deepseek-v3 1,64,1024" "qwen3-30b-a3b 1,1024"; do
  set -- $spec
  echo "== sweep $1" >> $r/sweeps.txt
  timeout 200 "${bench[@]}" --preset $1 --sweep $2 --out $r/o-$1 >> $r/sweeps.txt 2>&1; echo "exit $?" >> $r/sweeps.txt
done
grep -E "^== |^ *[0-9]+ +[0-9.]+ |exit|ceilings|random weights|Exception|check" $r/sweeps.txt
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); ls -la $OUT
