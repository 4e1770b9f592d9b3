#!/usr/bin/env bash
# call1 (2026-12-03): warp-specialised processors (a producer warp issues the TMA loads, the processor warpgroup only
# waits and issues wgmma; 256-thread blocks, setmaxnreg 24 / 232). Native tests first (fail fast), then the tiles
# against fp64 and their throughput, then the A/B against 64f0f8d (base) at Qwen3-30B-A3B.
set -uo pipefail
b=.bundle; [ -x $b/jre/bin/java ] || tar -xJf $b/jre.tar.xz -C $b; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
export NVSHMEM_DISABLE_NVLS=1
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $OUT/nvidia-smi.txt
echo "== native"; mkdir -p $w/out; OUT=$w/out NATIVE_TIMEOUT=120 bash $b/run-gpu-check.sh native > $OUT/native.txt 2>&1
echo "native exit $?"; cat $w/out/summary.txt
echo "== tiles"; LD_LIBRARY_PATH=$n timeout 150 $n/gemm_tile_test --time > $OUT/tile.txt 2>&1; echo "exit $?"
grep -E "^time|FAIL|PASS" $OUT/tile.txt | tail -14
echo "== A/B"; ROUNDS=2 timeout 240 bash $b/run-ab.sh $n/gemm_tile_test 1,8,64,256,1024,4096,16384 base=$n/ab/base new=$n > $OUT/ab.txt 2>&1
echo "ab exit $?"; sed -n '/== medians/,$p' $OUT/ab.txt
