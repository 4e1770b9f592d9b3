#!/usr/bin/env bash
# call6 (2026-12-04, session 3): item 41, the GEMM0 lookahead (FLASHMOE_QUEUE_LOOKAHEAD: the most GEMM0 tasks released
# beyond the claimed tickets; default twice the processors, 0 = unbounded = call5's behaviour). Qwen3 A/B in one
# library: default (526) / 0 / 263 / 1052, 3 rounds; preset sweeps default vs 0 on paper and Mixtral-8x7B (long
# queues); trace of Qwen3 T = 16384 (default); full GPU check (fused_test settings: lookahead 1 and 0 bitwise = default).
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
L=FLASHMOE_QUEUE_LOOKAHEAD
echo "== A/B"; ROUNDS=3 timeout 250 bash $b/run-ab.sh $n/gemm_tile_test 1,64,1024,4096,16384 la526=$n la0=$n,$L=0 la263=$n,$L=263 la1052=$n,$L=1052 > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt; cp $r/ab.txt $OUT/
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for spec in "paper 1024,4096,16384" "mixtral-8x7b 1024,8192"; do
  set -- $spec
  for v in default la0; do
    e=(); [ $v = la0 ] && e=($L=0)
    echo "== $1 $v" >> $r/sweeps.txt
    env "${e[@]}" timeout 60 "${bench[@]}" --preset $1 --sweep $2 --out $w/o-$1-$v >> $r/sweeps.txt 2>&1; echo "exit $?" >> $r/sweeps.txt
  done
done
grep -E "^== |^ *[0-9]+ +[0-9.]+ |exit" $r/sweeps.txt; cp $r/sweeps.txt $OUT/
echo "== trace qwen3 T=16384"
timeout 60 "${bench[@]}" --preset qwen3-30b-a3b --tokens 16384 --trace --iters 20 --out $w/t-16384 > $r/trace-16384.txt 2>&1
grep -E "trace T=|phases T=" $r/trace-16384.txt
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt; grep -E "^settings|^trace|FAIL" $w/out/native.log | head -30
(cd $w && tar czf $OUT/all.tar.gz r out t-*/trace-*.json 2>/dev/null); ls -la $OUT
