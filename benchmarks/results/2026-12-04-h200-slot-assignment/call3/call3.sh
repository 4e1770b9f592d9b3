#!/usr/bin/env bash
# call3 (2026-12-04, session 4): item 44 (GEMM0 released with the slot assignment; its processor acquires the
# dispatch flags). Qwen3 A/B base43 (a14c5a0's library, item 43) / new, 3 rounds; traces T = 1, 64, 256, 1024, 16384
# (phases, GEMM0 starts); full GPU check; preset sweeps (graph replays) of qwen3, paper and Mixtral-8x7B.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
echo "== A/B"; ROUNDS=3 timeout 250 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096,16384 base43=$n/ab/base43 new=$n > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for t in 1 64 256 1024 16384; do
  echo "== trace qwen3 T=$t"
  timeout 60 "${bench[@]}" --preset qwen3-30b-a3b --tokens $t --trace --iters 20 --out $w/t-$t > $r/trace-$t.txt 2>&1
  grep -E "phases T=" $r/trace-$t.txt | sed 's/; PUSH_GEMM1.*//'
  python3 $b/starts.py $w/t-$t/trace-T$t.json
done
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt; grep -E "FAIL" $w/out/native.log | head -20
for spec in "qwen3-30b-a3b 1,8,64,256,1024,4096,16384" "paper 1,1024,4096,16384" "mixtral-8x7b 1,1024,8192"; do
  set -- $spec
  echo "== sweep $1" | tee -a $r/sweeps.txt
  timeout 100 "${bench[@]}" --preset $1 --sweep $2 --out $w/o-$1 >> $r/sweeps.txt 2>&1; echo "exit $?" >> $r/sweeps.txt
done
grep -E "^== |^ *[0-9]+ +[0-9.]+ |exit|ceiling|copy|matmul" $r/sweeps.txt
(cd $w && tar czf $OUT/all.tar.gz r out t-*/trace-*.json o-* 2>/dev/null); ls -la $OUT
