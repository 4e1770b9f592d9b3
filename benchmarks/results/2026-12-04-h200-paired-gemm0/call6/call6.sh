#!/usr/bin/env bash
# call6 (2026-12-04): item 33's group threshold: Mixtral-8x7B at T = 1024, 2048, 4096 and a DBRX-like shape
# (H 6144, I 10752, E 16, k 4) at T = 2048, 8192, with pairs for every group (threshold 0), the default (the
# processor count, 263), twice that (526), and off.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d)
r=$w/r; mkdir -p $r
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for v in all default twice off; do
  case $v in all) e=(FLASHMOE_PAIR_GEMM0_GROUP_TASKS=0);; default) e=();; twice) e=(FLASHMOE_PAIR_GEMM0_GROUP_TASKS=526);; off) e=(FLASHMOE_DISABLE_PAIR_GEMM0=1);; esac
  echo "== mixtral $v" >> $r/sweeps.txt
  env "${e[@]}" timeout 90 "${bench[@]}" --preset mixtral-8x7b --sweep 1024,2048,4096 --out $w/m-$v >> $r/sweeps.txt 2>&1; echo "exit $?" >> $r/sweeps.txt
  echo "== dbrx-like $v" >> $r/sweeps.txt
  env "${e[@]}" timeout 90 "${bench[@]}" --hidden 6144 --intermediate 10752 --experts 16 --topk 4 --sweep 2048,8192 --out $w/d-$v >> $r/sweeps.txt 2>&1; echo "exit $?" >> $r/sweeps.txt
done
grep -E "^== |^ *[0-9]+ +[0-9.]+ |exit" $r/sweeps.txt
cp $r/sweeps.txt $OUT/
