#!/usr/bin/env bash
# call8 (2026-12-03): gemm_tile_test after the review (the prototype takes its own 128-row A map instead of a library
# map slot; fence / release helpers): every tile case against fp64 and the timings.
set -uo pipefail
b=.bundle; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $OUT/nvidia-smi.txt
LD_LIBRARY_PATH=$n timeout 150 $n/gemm_tile_test --time > $OUT/tile.txt 2>&1; echo "exit $?"
grep -c " ok " $OUT/tile.txt; grep -E "^proto|^time .*(wgmma bf16 tile B=2 M=8192|PROTOTYPE)|PASS|FAIL" $OUT/tile.txt
