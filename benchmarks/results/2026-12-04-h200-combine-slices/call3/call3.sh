#!/usr/bin/env bash
# call3 (2026-12-04, session 5): items 47 (second version: GEMM1's wide rule fixed) and 48. Qwen3 A/B, 4 rounds:
# head (b277d69's library) / new (the working tree, default 2 GEMM tasks per processor) / tpp3 and tpp4 (new with 3 and
# 4) / cif4 (new with 4 columns of COMBINE loads in flight per thread) / cif4tpp4 (both).
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
r=$w/r; mkdir -p $r
echo "== A/B"; ROUNDS=4 timeout 420 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096,16384 head=$n/ab/head new=$n tpp3=$n,FLASHMOE_TASKS_PER_PROCESSOR=3 tpp4=$n,FLASHMOE_TASKS_PER_PROCESSOR=4 cif4=$n/ab/cif4 cif4tpp4=$n/ab/cif4,FLASHMOE_TASKS_PER_PROCESSOR=4 > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt
(cd $w && tar czf $OUT/all.tar.gz r 2>/dev/null); ls -la $OUT
