#!/usr/bin/env bash
# call7 (2026-12-04, session 6): issue 4's points with the session's final library (cecf227: items 51-54): the
# benchmark's preset sweeps (graph replays, both ceilings measured in each run) of Qwen3-30B-A3B, the paper shape and
# Mixtral-8x7B, and two other real shapes (DeepSeek-V3, Qwen3-235B-A22B) at T = 1 and 1024.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d)
r=$w/r; mkdir -p $r
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for spec in "qwen3-30b-a3b 1,8,64,256,1024,4096,16384" "paper 1,1024,4096,16384" "mixtral-8x7b 1,1024,8192" "deepseek-v3 1,1024" "qwen3-235b-a22b 1,1024"; do
  set -- $spec
  echo "== sweep $1" >> $r/sweeps.txt
  timeout 120 "${bench[@]}" --preset $1 --sweep $2 --out $r/o-$1 >> $r/sweeps.txt 2>&1; echo "exit $?" >> $r/sweeps.txt
done
grep -E "^== |^ *[0-9]+ +[0-9.]+ |exit|ceilings" $r/sweeps.txt
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); ls -la $OUT
