#!/usr/bin/env bash
# call9 (2026-12-04): item 35, half the processors dispatch. Full GPU check (JUnit GPU tests, native tests incl.
# dispatchers, sanitizers); Qwen3 A/B new / alldisp (the same library, FLASHMOE_DISPATCH_PROCESSORS=1024: every
# processor dispatches, as before), 2 rounds.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
echo "== A/B"; ROUNDS=2 timeout 150 bash $b/run-ab.sh $n/gemm_tile_test 1,64,1024,4096,16384 new=$n alldisp=$n,FLASHMOE_DISPATCH_PROCESSORS=1024 > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt; cp $r/ab.txt $OUT/
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt; grep -E "^dispatchers|FAIL" $w/out/native.log | head -20
(cd $w && tar czf $OUT/all.tar.gz r out 2>/dev/null)
