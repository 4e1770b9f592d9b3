#!/usr/bin/env bash
# call6 (2026-12-04, session 4): item 44's default on other shapes: preset sweeps (graph replays) of paper
# (T = 1, 1024, 4096) and Mixtral-8x7B (T = 1, 1024) with GEMM0 released with the slot assignment (new) and through
# the dispatch subscriber (nodirect, FLASHMOE_DISABLE_DIRECT_GEMM0=1), alternated, 2 rounds. Same library as call5.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d)
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for round in 1 2; do
  for spec in "paper 1,1024,4096" "mixtral-8x7b 1,1024"; do
    set -- $spec
    for v in new nodirect; do
      e=(); [ $v = nodirect ] && e=(FLASHMOE_DISABLE_DIRECT_GEMM0=1)
      echo "== round $round $1 $v" >> $r/sweeps.txt
      env "${e[@]}" timeout 60 "${bench[@]}" --preset $1 --sweep $2 --out $w/o-$round-$1-$v >> $r/sweeps.txt 2>&1; echo "exit $?" >> $r/sweeps.txt
    done
  done
done
grep -E "^== |^ *[0-9]+ +[0-9.]+ |exit" $r/sweeps.txt
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); ls -la $OUT
