#!/usr/bin/env bash
# call7 (2026-12-04, session 5): item 50 (the OS scan of the chunk counts in batches of 8). Qwen3 A/B, 5 rounds:
# head (836c7f0's library, from the clean-clone CI build; 760bd1d's code) / new (the working tree); full GPU check of
# new.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
echo "== A/B"; ROUNDS=5 timeout 240 bash $b/run-ab.sh $n/gemm_tile_test 1,64,256,1024,4096,16384 head=$n/ab/head new=$n > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=150 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt; grep -E "FAIL|ROUTES_PER_CHUNK" $w/out/native.log | head -20
grep -h "in-kernel trace" $w/out/*.log | head -2
(cd $w && tar czf $OUT/all.tar.gz r out 2>/dev/null); ls -la $OUT
