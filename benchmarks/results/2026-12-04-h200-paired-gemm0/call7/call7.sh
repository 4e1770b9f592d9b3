#!/usr/bin/env bash
# call7 (2026-12-04): item 34, GEMM1 on paired row tiles (the groups item 33 pairs). Full GPU check (JUnit GPU tests,
# native tests incl. the pairs test, sanitizers); Qwen3 A/B item33 / new (2 rounds); Mixtral-8x7B T = 2048, 4096, 8192
# and DBRX-like (6144, 10752, 16, 4) T = 2048, 8192 with GEMM1 pairs on and off (FLASHMOE_DISABLE_PAIR_GEMM1=1).
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt; grep -E "^pairs|FAIL" $w/out/native.log | head -40
echo "== A/B"; ROUNDS=2 timeout 120 bash $b/run-ab.sh $n/gemm_tile_test 1,64,1024,4096,16384 item33=$n/ab/item33 new=$n > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt; cp $r/ab.txt $OUT/
cp="$b/lib/flashmoe-tests.jar:$b/lib/flashmoe-api.jar:$b/lib/flashmoe-native.jar:$b/lib/javacpp.jar"
bench=($b/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$w/jc -cp "$b/lib/flashmoe-bench.jar:$cp" dev.flashmoe.bench.Main --backend cuda)
for v in on off; do
  e=(); [ $v = off ] && e=(FLASHMOE_DISABLE_PAIR_GEMM1=1)
  echo "== mixtral gemm1 pairs $v" >> $r/sweeps.txt
  env "${e[@]}" timeout 90 "${bench[@]}" --preset mixtral-8x7b --sweep 1024,2048,4096,8192 --out $w/m-$v >> $r/sweeps.txt 2>&1; echo "exit $?" >> $r/sweeps.txt
  echo "== dbrx-like gemm1 pairs $v" >> $r/sweeps.txt
  env "${e[@]}" timeout 90 "${bench[@]}" --hidden 6144 --intermediate 10752 --experts 16 --topk 4 --sweep 2048,8192 --out $w/d-$v >> $r/sweeps.txt 2>&1; echo "exit $?" >> $r/sweeps.txt
done
grep -E "^== |^ *[0-9]+ +[0-9.]+ |exit" $r/sweeps.txt
cp $r/sweeps.txt $OUT/
(cd $w && tar czf $OUT/all.tar.gz r out 2>/dev/null)
