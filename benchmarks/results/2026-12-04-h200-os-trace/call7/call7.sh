#!/usr/bin/env bash
# call7 (2026-12-04, session 3): item 42, one fence per release and acquire-release fences in the OS hand-offs (fence =
# call7's base b8165e7/0e9c2ad + the fences), and the group readiness check with an early exit per chunk of four loads
# (new = fence + chunks). Qwen3 A/B base / fence / new, 3 rounds; trace of Qwen3 T = 1 (new); full GPU check of new.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
echo "== A/B"; ROUNDS=3 timeout 250 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096,16384 base=$n/ab/base fence=$n/ab/fence new=$n > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt; cp $r/ab.txt $OUT/
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
echo "== trace qwen3 T=1"
timeout 60 "${bench[@]}" --preset qwen3-30b-a3b --tokens 1 --trace --iters 20 --out $w/t-1 > $r/trace-1.txt 2>&1
grep -E "trace T=|phases T=" $r/trace-1.txt; python3 $b/os_trace.py $w/t-1/trace-T1.json
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt; grep -E "^trace|FAIL" $w/out/native.log | head -20
(cd $w && tar czf $OUT/all.tar.gz r out t-*/trace-*.json 2>/dev/null); ls -la $OUT
