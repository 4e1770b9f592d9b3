#!/usr/bin/env bash
# call3 (2026-12-04): item 37 committed state (weights without L2 promotion by default). Full GPU check (JUnit GPU
# tests, native tests incl. fused_test `settings`, sanitizers); ncu evidence of Qwen3-30B-A3B at T = 1, 1024, 16384;
# the in-kernel trace of Qwen3 at the same T; issue 4's preset sweeps (qwen3-30b-a3b, paper, mixtral-8x7b).
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d)
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt; grep -E "^settings|FAIL" $w/out/native.log | head -30
echo "== ncu"; mkdir -p $w/ncu; OUT=$w/ncu timeout 240 bash $b/ncu-evidence.sh > $r/ncu.txt 2>&1; echo "ncu exit $?"; cat $r/ncu.txt
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for t in 1 1024 16384; do
  echo "== trace qwen3 T=$t"
  timeout 60 "${bench[@]}" --preset qwen3-30b-a3b --tokens $t --trace --iters 20 --out $w/t-$t > $r/trace-$t.txt 2>&1
  grep -E "trace T=|phases T=" $r/trace-$t.txt
done
for spec in "qwen3-30b-a3b 1,8,64,256,1024,4096,16384" "paper 1,1024,4096,16384" "mixtral-8x7b 1,1024,8192"; do
  set -- $spec
  echo "== $1" >> $r/sweeps.txt
  timeout 90 "${bench[@]}" --preset $1 --sweep $2 --out $w/o-$1 >> $r/sweeps.txt 2>&1; echo "exit $?" >> $r/sweeps.txt
done
grep -E "^== |^ *[0-9]+ +[0-9.]+ |exit|ceiling" $r/sweeps.txt; cp $r/sweeps.txt $OUT/
(cd $w && tar czf $OUT/all.tar.gz r out ncu t-*/trace-*.json o-* 2>/dev/null); ls -la $OUT
