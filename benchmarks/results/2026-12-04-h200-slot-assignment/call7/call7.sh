#!/usr/bin/env bash
# call7 (2026-12-04, session 4): item 45 (the launch's first release published after its first 32 entries when it
# holds more tasks than processors). Qwen3 A/B base44 (afd6368's library = call5's) / new, 3 rounds; trace T = 8;
# full GPU check of the new library (which also carries fused_test's settings refactor).
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
echo "== A/B"; ROUNDS=3 timeout 200 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096 base44=$n/ab/base44 new=$n > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
echo "== trace qwen3 T=8"
timeout 60 "${bench[@]}" --preset qwen3-30b-a3b --tokens 8 --trace --iters 20 --out $w/t-8 > $r/trace-8.txt 2>&1
grep -E "phases T=" $r/trace-8.txt; python3 $b/starts.py $w/t-8/trace-T8.json
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt; grep -E "FAIL|settings.*= defaults" $w/out/native.log | head -20
(cd $w && tar czf $OUT/all.tar.gz r out t-*/trace-*.json 2>/dev/null); ls -la $OUT
