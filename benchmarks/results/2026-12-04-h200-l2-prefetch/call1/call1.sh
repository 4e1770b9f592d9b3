#!/usr/bin/env bash
# call1 (2026-12-04, session 8): item 59 (weight boxes prefetched into the L2 ahead of the ring). Qwen3 A/B, 2 rounds:
# base (ad7e7fe: HEAD, its library built from a clean worktree) / the working tree with FLASHMOE_WEIGHT_PREFETCH = 0
# (the default: prefetch off), 8, 16, 32 and FLASHMOE_GEMM1_EARLY_PREFETCH = 1 alone and with 8; then the full GPU
# check of the working tree (prefetch off by default), which also covers HEAD's with_activation refactor.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv,noheader
r=$w/r; mkdir -p $r
echo "== A/B"; ROUNDS=2 timeout 330 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096,16384 base=$n/ab/base \
  p0=$n p8=$n,FLASHMOE_WEIGHT_PREFETCH=8 p16=$n,FLASHMOE_WEIGHT_PREFETCH=16 p32=$n,FLASHMOE_WEIGHT_PREFETCH=32 \
  g1=$n,FLASHMOE_GEMM1_EARLY_PREFETCH=1 g1p8=$n,FLASHMOE_GEMM1_EARLY_PREFETCH=1,FLASHMOE_WEIGHT_PREFETCH=8 > $r/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $r/ab.txt
echo "== check"; mkdir -p $w/out; OUT=$w/out GPU_TESTS_TIMEOUT=200 NATIVE_TIMEOUT=170 SANITIZER_TIMEOUT=80 bash $b/run-gpu-check.sh tests native sanitizer > $r/check.txt 2>&1
echo "check exit $?"; cat $w/out/summary.txt; cp $w/out/summary.txt $OUT/summary.txt
grep -E "FAIL|trace  |timeout |routing" $w/out/native.log | head -20
cp $r/ab.txt $OUT/; (cd $w && tar czf $OUT/all.tar.gz r out 2>/dev/null); ls -la $OUT
