#!/usr/bin/env bash
# call6 (2026-12-03): PROTOTYPE of perf-notes Next steps 1 in gemm_tile_test (not the library's tile): one block per SM
# of two consumer warpgroups sharing each stage's B boxes and a producer warp; 128 x 128 (6 stages of 32 KB) and
# 128 x 256 (4 stages of 48 KB) gated tiles, one or two MMA groups left in flight; against fp64, and their throughput
# against the library's 64 x 128 tile on the same problem.
set -uo pipefail
b=.bundle; w=$(mktemp -d); n="$(bash $b/unpack-native.sh $b $w)"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > $OUT/nvidia-smi.txt
LD_LIBRARY_PATH=$n timeout 150 $n/gemm_tile_test --time > $OUT/tile.txt 2>&1; echo "exit $?"
grep -E "^proto|^time|PASS|FAIL" $OUT/tile.txt
