#!/usr/bin/env bash
# call1 (2026-12-04, session 3): OS-side trace events (PUSH_GEMM0/1/COMBINE from the subscribers, RELEASE from the
# scheduler). Full GPU check (fused_test's trace case checks the new events), then in-kernel traces of Qwen3-30B-A3B at
# T = 64, 256, 1024, 4096: when the dispatch ends, the GEMM0 pushes and releases happen, GEMM0 starts (item 38).
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d)
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for t in 64 256 1024 4096; do
  echo "== trace qwen3 T=$t"
  timeout 60 "${bench[@]}" --preset qwen3-30b-a3b --tokens $t --trace --iters 20 --out $w/t-$t > $r/trace-$t.txt 2>&1
  grep -E "trace T=|phases T=" $r/trace-$t.txt
  python3 $b/os_trace.py $w/t-$t/trace-T$t.json
done
mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $w/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/; grep -E "^trace|FAIL" $w/out/native.log | head -30
(cd $w && tar czf $OUT/all.tar.gz r check.txt out t-*/trace-*.json 2>/dev/null); ls -la $OUT
