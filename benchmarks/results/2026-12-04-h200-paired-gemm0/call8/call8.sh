#!/usr/bin/env bash
# call8 (2026-12-04): the pair threshold with both GEMMs paired (item 34's library): every group paired (threshold 0)
# against the default (the processor count) on Mixtral-8x7B T = 1024, 2048, Qwen3-30B-A3B T = 1024, 4096, 16384 and the
# paper shape T = 4096, 16384.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d)
r=$w/r; mkdir -p $r
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for v in all default; do
  e=(); [ $v = all ] && e=(FLASHMOE_PAIR_GEMM0_GROUP_TASKS=0)
  for spec in "mixtral-8x7b 1024,2048" "qwen3-30b-a3b 1024,4096,16384" "paper 4096,16384"; do
    set -- $spec
    echo "== $1 $v" >> $r/sweeps.txt
    env "${e[@]}" timeout 80 "${bench[@]}" --preset $1 --sweep $2 --out $w/o-$1-$v >> $r/sweeps.txt 2>&1; echo "exit $?" >> $r/sweeps.txt
  done
done
grep -E "^== |^ *[0-9]+ +[0-9.]+ |exit" $r/sweeps.txt
cp $r/sweeps.txt $OUT/
