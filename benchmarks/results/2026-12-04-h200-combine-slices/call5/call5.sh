#!/usr/bin/env bash
# call5 (2026-12-04, session 5): the committed state of items 46-48 (call4's library + fused_test's pairs test at 2 GEMM
# tasks per processor): full GPU check; traces Qwen3 T = 8 and 1024.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d)
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt; grep -E "FAIL|pairs ran" $w/out/native.log | head -20
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for t in 8 1024; do
  echo "== trace qwen3 T=$t"
  timeout 60 "${bench[@]}" --preset qwen3-30b-a3b --tokens $t --trace --iters 20 --out $w/t-$t > $r/trace-$t.txt 2>&1
  grep -E "trace T=|phases T=" $r/trace-$t.txt | sed -E 's/(PUSH_GEMM0|GEMM0 )/\n  \1/'; python3 $b/occ.py $w/t-$t/trace-T$t.json 20 | tail -6
done
(cd $w && tar czf $OUT/all.tar.gz r out t-*/trace-*.json 2>/dev/null); ls -la $OUT
